/* backup.plan: when AWS Backup backs up, where to, and for how long. */
#include "agent/live.h"
#include "agent/resources/backuputil.h"
#include "agent/resources/resutil.h"
#include "agent/resources/types.h"
#include "aws/session.h"

#include <stdio.h>
#include <string.h>

/* The API's Lifecycle is flattened into the rule: two numbers. */
static const struct attr rule_fields[] = {
    {.name = "name",
     .type = VT_STRING,
     .flags = ATTR_REQUIRED,
     .doc = "The rule's name (RuleName): 1 to 50 letters, digits and -_.."},
    {.name = "schedule",
     .type = VT_BACKUP_CRON,
     .def = "cron(0 5 ? * * *)",
     .doc = "When backups start, in UTC (ScheduleExpression), for example cron(0 3 * * ? *) for "
            "03:00 daily."},
    {.name = "target_vault",
     .type = VT_STRING,
     .flags = ATTR_REQUIRED,
     .ref_type = "backup.vault",
     .doc = "The name of the vault the recovery points go to (TargetBackupVaultName)."},
    {.name = "start_window_minutes",
     .type = VT_INT,
     .def = "480",
     .min = 60,
     .max = 52560000,
     .doc = "Minutes after the scheduled time within which a backup must start."},
    {.name = "completion_window_minutes",
     .type = VT_INT,
     .def = "10080",
     .min = 60,
     .max = 52560000,
     .doc = "Minutes after a backup starts within which it must finish."},
    {.name = "delete_after_days",
     .type = VT_INT,
     .min = 1,
     .max = 2147483647,
     .doc = "Days after which a recovery point is deleted, at least 90 more than "
            "move_to_cold_storage_after_days; omitted, it is kept."},
    {.name = "move_to_cold_storage_after_days",
     .type = VT_INT,
     .min = 1,
     .max = 2147483647,
     .doc = "Days after which a recovery point moves to cold storage."},
    {0},
};

static const struct attr attrs[] = {
    {.name = "name",
     .type = VT_STRING,
     .flags = ATTR_NAME,
     .doc = "The plan's name (BackupPlanName): 1 to 50 letters, digits and -_.."},
    {.name = "rules",
     .type = VT_LIST,
     .elem = VT_OBJECT,
     .flags = ATTR_REQUIRED,
     .fields = rule_fields,
     .min = 1,
     .max = 100,
     .doc = "The plan's rules, each a schedule, a vault and a retention."},
    RESTYPE_TAGS,
    {.name = "id",
     .type = VT_STRING,
     .flags = ATTR_COMPUTED,
     .doc = "The plan's ID, which a backup selection's plan_id takes."},
    {.name = "arn", .type = VT_ARN, .flags = ATTR_COMPUTED, .doc = "The plan's ARN."},
    {.name = "version_id",
     .type = VT_STRING,
     .flags = ATTR_COMPUTED,
     .doc = "The ID of the plan's current version, new at every update."},
    {0},
};

/* A rule's attributes and the API's names for them; the lifecycle ones sit in Lifecycle. */
static const struct field {
    const char *attr, *api;
    int lifecycle, number;
} fields[] = {
    {"name", "RuleName", 0, 0},
    {"schedule", "ScheduleExpression", 0, 0},
    {"target_vault", "TargetBackupVaultName", 0, 0},
    {"start_window_minutes", "StartWindowMinutes", 0, 1},
    {"completion_window_minutes", "CompletionWindowMinutes", 0, 1},
    {"delete_after_days", "DeleteAfterDays", 1, 1},
    {"move_to_cold_storage_after_days", "MoveToColdStorageAfterDays", 1, 1},
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

/* The API's rule (BackupRule) as the table's rule. */
static json_t *rule_from_api(const json_t *r)
{
    json_t *out = json_object();

    for (size_t i = 0; i < NFIELDS; i++) {
        const json_t *from = fields[i].lifecycle ? json_object_get(r, "Lifecycle") : r;
        json_t *v = json_object_get(from, fields[i].api);
        if (v && !json_is_null(v))
            json_object_set(out, fields[i].attr, v);
    }
    return out;
}

/* The table's rule as the API's BackupRuleInput, with the defaults AWS would fill in spelled
 * out: creates send them, so the plan says what it does. */
static json_t *rule_to_api(const json_t *r)
{
    json_t *out = json_object(), *life = json_object();

    for (size_t i = 0; i < NFIELDS; i++) {
        const struct attr *a = restype_attr(rule_fields, fields[i].attr);
        const json_t *v = json_object_get(r, fields[i].attr);
        json_t *given = NULL, *put;
        if ((!v || json_is_null(v)) && a && a->def)
            v = given = json_string(a->def);
        if (!v || json_is_null(v))
            continue;
        put = fields[i].number ? backuputil_int(v) : json_incref((json_t *)v);
        if (put)
            json_object_set_new(fields[i].lifecycle ? life : out, fields[i].api, put);
        json_decref(given);
    }
    if (json_object_size(life))
        json_object_set(out, "Lifecycle", life);
    json_decref(life);
    return out;
}

/* The BackupPlanInput desired describes, named name. */
static json_t *plan_to_api(const json_t *desired, const char *name)
{
    json_t *rules = json_array(), *r;
    size_t i;

    json_array_foreach(json_object_get(desired, "rules"), i, r)
    {
        json_array_append_new(rules, rule_to_api(r));
    }
    return json_pack("{s:s, s:o}", "BackupPlanName", name, "Rules", rules);
}

/* The name and rules of a plan document (BackupPlan) into out. */
static void parse_doc(json_t *out, const json_t *doc)
{
    json_t *rules = json_array(), *r;
    size_t i;

    if (json_is_string(json_object_get(doc, "BackupPlanName")))
        json_object_set(out, "name", json_object_get(doc, "BackupPlanName"));
    json_array_foreach(json_object_get(doc, "Rules"), i, r)
    {
        json_array_append_new(rules, rule_from_api(r));
    }
    json_object_set_new(out, "rules", rules);
}

/* The id, ARN and version of a plan (CreateBackupPlan, GetBackupPlan) into out. */
static void parse_ids(json_t *out, const json_t *got)
{
    static const char *const names[][2] = {
        {"id", "BackupPlanId"}, {"arn", "BackupPlanArn"}, {"version_id", "VersionId"}};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        json_t *v = json_object_get(got, names[i][1]);
        if (json_is_string(v))
            json_object_set(out, names[i][0], v);
    }
}

/* GetBackupPlan: the attributes of the current version of plan id, into *out (new). */
static int get_plan(struct session *s, const char *id, json_t **out, struct diag *d)
{
    struct apicall c;
    int ret = -1;

    *out = NULL;
    backuputil_init(&c, "GetBackupPlan");
    apicall_rest(&c, "GET", "/backup/plans/%s/", apicall_escape(&c, id));
    if (session_call(s, &c, d) == CALL_OK) {
        *out = json_object();
        parse_ids(*out, c.out);
        parse_doc(*out, json_object_get(c.out, "BackupPlan"));
        ret = 0;
    }
    apicall_release(&c);
    return ret;
}

/* What read_plan() adds to. */
struct reading {
    const char *stack;
    struct live_set *set;
};

static int read_plan(struct session *s, const json_t *item, const json_t *tags, void *arg,
                     struct diag *d)
{
    struct reading *r = arg;
    const char *id = json_string_value(json_object_get(item, "BackupPlanId"));
    json_t *got;

    if (!id)
        return 0;
    if (get_plan(s, id, &got, d) < 0)
        return -1;
    resutil_add_read(r->set, &backup_plan_type, r->stack, id, tags, got);
    return 0;
}

/* ListBackupPlans and ListTags per plan that may be cairn's, then GetBackupPlan per plan of the
 * stack: the list carries neither tags nor rules. */
static int plan_read(struct session *s, const char *stack, struct live_set *set, struct diag *d)
{
    struct reading r = {stack, set};
    return backuputil_stack_plans(s, stack, read_plan, &r, d);
}

/* What find_plan() looks for among the stack's plans: this resource's, by name. */
struct wanted {
    const char *cairn_id, *name;
    char id[128];
};

static int find_plan(struct session *s, const json_t *item, const json_t *tags, void *arg,
                     struct diag *d)
{
    struct wanted *w = arg;
    const char *cid = json_string_value(json_object_get(tags, RESUTIL_TAG_ID));
    const char *name = json_string_value(json_object_get(item, "BackupPlanName"));
    const char *id = json_string_value(json_object_get(item, "BackupPlanId"));

    (void)s, (void)d;
    if (cid && name && id && strcmp(cid, w->cairn_id) == 0 && strcmp(name, w->name) == 0)
        snprintf(w->id, sizeof(w->id), "%s", id);
    return 0;
}

/*
 * CreateBackupPlan with its tags and CreatorRequestId: AWS answers a create sent again with the
 * same CreatorRequestId with the plan it made the first time. Should AWS refuse the plan as
 * existing (AlreadyExistsException), a plan of this stack and resource with the same name is
 * adopted (and brought to desired by the next plan).
 */
static int plan_create(struct session *s, const struct restype_call *c, const json_t *desired,
                       struct live_set *set, struct live_obj **out, struct diag *d)
{
    struct apicall call;
    struct diag why;
    const char *name = c->physical_name;
    json_t *body, *got = NULL;
    int ret = -1;

    *out = NULL;
    if (resutil_check_required(&backup_plan_type, c->cairn_id, desired, d) < 0)
        return -1;
    if (!name)
        name = resutil_want_str(&backup_plan_type, desired, "name");
    diag_init(&why);
    backuputil_init(&call, "CreateBackupPlan");
    if (!name) {
        diag_error(d, NULL, "backup.plan %s: no name to give it", c->cairn_id);
        goto out;
    }
    apicall_rest(&call, "PUT", "/backup/plans/");
    body = json_pack("{s:o, s:o}", "BackupPlan", plan_to_api(desired, name), "BackupPlanTags",
                     resutil_tags_want(c, desired));
    if (c->token)
        json_object_set_new(body, "CreatorRequestId", json_string(c->token));
    apicall_json(&call, body);
    if (session_call(s, &call, &why) == CALL_OK) {
        got = json_object();
        parse_ids(got, call.out);
        parse_doc(got, json_object_get(body, "BackupPlan"));
    } else {
        struct wanted w = {.cairn_id = c->cairn_id, .name = name};
        if (strcmp(call.err.code, "AlreadyExistsException") != 0 || !c->stack || !c->cairn_id ||
            backuputil_stack_plans(s, c->stack, find_plan, &w, d) < 0 || !w.id[0]) {
            diag_error(d, NULL, "%s", diag_last(&why));
            goto out;
        }
        if (get_plan(s, w.id, &got, d) < 0)
            goto out;
    }
    if ((*out = resutil_add_created(set, &backup_plan_type, c, got, d)))
        ret = 0;
out:
    diag_release(&why);
    apicall_release(&call);
    return ret;
}

/* UpdateBackupPlan with desired's name and rules: AWS makes a new version of the plan, whose
 * id goes to live's version_id. */
static int update_doc(struct session *s, const json_t *desired, struct live_obj *live,
                      struct diag *d)
{
    struct apicall c;
    const char *name = resutil_want_str(&backup_plan_type, desired, "name");
    json_t *doc;
    int ret = -1;

    if (!name)
        name = json_string_value(json_object_get(live->attrs, "name"));
    backuputil_init(&c, "UpdateBackupPlan");
    apicall_rest(&c, "POST", "/backup/plans/%s", apicall_escape(&c, live->id));
    doc = plan_to_api(desired, name ? name : "");
    apicall_json(&c, json_pack("{s:O}", "BackupPlan", doc));
    if (session_call(s, &c, d) != CALL_OK)
        goto out;
    parse_doc(live->attrs, doc);
    parse_ids(live->attrs, c.out);
    ret = 0;
out:
    json_decref(doc);
    apicall_release(&c);
    return ret;
}

/* Name and rules change together, in one new version; tags through TagResource and
 * UntagResource. */
static int plan_update(struct session *s, const struct restype_call *c, const json_t *desired,
                       struct live_obj *live, const char *const *changed, size_t nchanged,
                       struct diag *d)
{
    int doc_done = 0;

    for (size_t i = 0; i < nchanged; i++) {
        if (strcmp(changed[i], "tags") == 0) {
            if (backuputil_update_tags(s, c, desired, live, d) < 0)
                return -1;
        } else if (strcmp(changed[i], "name") == 0 || strcmp(changed[i], "rules") == 0) {
            if (!doc_done++ && update_doc(s, desired, live, d) < 0)
                return -1;
        } else {
            diag_error(d, NULL, "backup.plan %s: %s cannot change in place", live->id, changed[i]);
            return -1;
        }
    }
    return 0;
}

/* DeleteBackupPlan; a plan already gone counts as deleted. AWS refuses while the plan still
 * has selections: cairn deletes the stack's selections first, so one left is someone else's. */
static int plan_remove(struct session *s, const struct live_obj *live, unsigned how, struct diag *d)
{
    struct apicall c;
    struct diag why;
    int ret = 0;

    (void)how;
    diag_init(&why);
    backuputil_init(&c, "DeleteBackupPlan");
    apicall_rest(&c, "DELETE", "/backup/plans/%s", apicall_escape(&c, live->id));
    if (session_call(s, &c, &why) != CALL_OK && strcmp(c.err.code, BACKUPUTIL_NOT_FOUND) != 0) {
        if (strcmp(c.err.code, "InvalidRequestException") == 0)
            diag_error(d, NULL,
                       "backup.plan %s: AWS deletes a plan only once it has no selections, and a "
                       "selection cairn does not manage is left in it: %s",
                       live->id, c.err.message);
        else
            diag_error(d, NULL, "%s", diag_last(&why));
        ret = -1;
    }
    diag_release(&why);
    apicall_release(&c);
    return ret;
}

static const struct restype_ops ops = {
    .read = plan_read,
    .create = plan_create,
    .update = plan_update,
    .remove = plan_remove,
};

/* IAM actions (cairn policy): what read calls; what create, update, remove and ready add. */
static const char *const read_actions[] = {"backup:ListBackupPlans", "backup:ListTags",
                                           "backup:GetBackupPlan", NULL};
static const char *const write_actions[] = {"backup:CreateBackupPlan", "backup:UpdateBackupPlan",
                                            "backup:TagResource",      "backup:UntagResource",
                                            "backup:DeleteBackupPlan", NULL};

const struct restype backup_plan_type = {
    .name = "backup.plan",
    .service = "backup",
    .doc = "An AWS Backup plan: rules saying when resources are backed up, into which vault, "
           "and how long recovery points are kept.",
    .attrs = attrs,
    .taggable = 1,
    .name_max = 50,
    .ops = &ops,
    .read_actions = read_actions,
    .write_actions = write_actions,
};
