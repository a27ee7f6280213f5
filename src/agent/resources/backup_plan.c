/* backup.plan: when AWS Backup backs up, where to, and for how long. */
#include "agent/live.h"
#include "agent/resources/backuputil.h"
#include "agent/resources/resutil.h"
#include "agent/resources/types.h"
#include "agent/resources/resmap.h"
#include "aws/session.h"

#include <stdio.h>
#include <string.h>

/* The API's Lifecycle is flattened into the rule: two numbers. */
static const struct attr rule_fields[] = {
    {.name = "name",
     .type = VT_STRING,
     .member = "RuleName",
     .flags = ATTR_REQUIRED,
     .doc = "The rule's name (RuleName): 1 to 50 letters, digits and -_.."},
    {.name = "schedule",
     .type = VT_BACKUP_CRON,
     .member = "ScheduleExpression",
     .def = "cron(0 5 ? * * *)",
     .doc = "When backups start, in UTC (ScheduleExpression), for example cron(0 3 * * ? *) for "
            "03:00 daily."},
    {.name = "target_vault",
     .type = VT_STRING,
     .member = "TargetBackupVaultName",
     .flags = ATTR_REQUIRED,
     .ref_type = "backup.vault",
     .doc = "The name of the vault the recovery points go to (TargetBackupVaultName)."},
    {.name = "start_window_minutes",
     .type = VT_INT,
     .member = "StartWindowMinutes",
     .def = "480",
     .min = 60,
     .max = 52560000,
     .doc = "Minutes after the scheduled time within which a backup must start."},
    {.name = "completion_window_minutes",
     .type = VT_INT,
     .member = "CompletionWindowMinutes",
     .def = "10080",
     .min = 60,
     .max = 52560000,
     .doc = "Minutes after a backup starts within which it must finish."},
    {.name = "delete_after_days",
     .type = VT_INT,
     .member = "Lifecycle/DeleteAfterDays",
     .min = 1,
     .max = 2147483647,
     .doc = "Days after which a recovery point is deleted, at least 90 more than "
            "move_to_cold_storage_after_days; omitted, it is kept."},
    {.name = "move_to_cold_storage_after_days",
     .type = VT_INT,
     .member = "Lifecycle/MoveToColdStorageAfterDays",
     .min = 1,
     .max = 2147483647,
     .doc = "Days after which a recovery point moves to cold storage."},
    {0},
};

static const struct attr attrs[] = {
    {.name = "name",
     .type = VT_STRING,
     .member = "BackupPlan/BackupPlanName",
     .flags = ATTR_NAME,
     .doc = "The plan's name (BackupPlanName): 1 to 50 letters, digits and -_.."},
    {.name = "rules",
     .type = VT_LIST,
     .member = "BackupPlan/Rules",
     .elem = VT_OBJECT,
     .flags = ATTR_REQUIRED,
     .fields = rule_fields,
     .min = 1,
     .max = 100,
     .doc = "The plan's rules, each a schedule, a vault and a retention."},
    RESTYPE_TAGS,
    {.name = "id",
     .type = VT_STRING,
     .member = "BackupPlanId",
     .flags = ATTR_COMPUTED,
     .doc = "The plan's ID, which a backup selection's plan_id takes."},
    {.name = "arn",
     .type = VT_ARN,
     .member = "BackupPlanArn",
     .flags = ATTR_COMPUTED,
     .doc = "The plan's ARN."},
    {.name = "version_id",
     .type = VT_STRING,
     .member = "VersionId",
     .flags = ATTR_COMPUTED,
     .doc = "The ID of the plan's current version, new at every update."},
    {0},
};

/* The request body {BackupPlan: BackupPlanInput} desired describes, named name: the rules with
 * the defaults AWS would fill in spelled out, so that the plan says what it does. */
static json_t *plan_to_api(const json_t *desired, const char *name)
{
    json_t *want = json_deep_copy(desired), *body;

    json_object_set_new(want, "name", json_string(name));
    body = resmap_api_object(attrs, want);
    json_decref(want);
    return body;
}

/* A plan's attributes from an answer: GetBackupPlan's, or CreateBackupPlan's and
 * UpdateBackupPlan's with the body that was sent (NULL: none), which has the document. */
static json_t *parse(const json_t *answer, const json_t *body)
{
    json_t *all = json_copy((json_t *)answer), *got;

    if (body)
        json_object_update_missing(all, (json_t *)body);
    got = resmap_read_nested(attrs, all);
    json_decref(all);
    return got;
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
        *out = parse(c.out, NULL);
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
static int plan_read(struct session *s, const struct restype *t, const char *stack,
                     struct live_set *set, struct diag *d)
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
    const char *name = resutil_create_name(&backup_plan_type, c, desired, d);
    struct wanted w = {.cairn_id = c->cairn_id, .name = name};
    struct apicall call;
    json_t *body, *got = NULL;
    int r;

    *out = NULL;
    if (!name)
        return -1;
    backuputil_init(&call, "CreateBackupPlan");
    apicall_rest(&call, "PUT", "/backup/plans/");
    body = plan_to_api(desired, name);
    json_object_set_new(body, "BackupPlanTags", resutil_tags_want(c, desired));
    if ((r = backuputil_create(s, &call, c, body, d)) == 0) {
        got = parse(call.out, call.body);
    } else if (r == 1 && backuputil_stack_plans(s, c->stack, find_plan, &w, d) == 0) {
        if (!w.id[0])
            diag_error(d, NULL, "backup.plan %s: %s: %s", c->cairn_id, call.err.code,
                       call.err.message);
        else
            get_plan(s, w.id, &got, d);
    }
    apicall_release(&call);
    if (got)
        *out = resutil_add_created(set, &backup_plan_type, c, got, d);
    return *out ? 0 : -1;
}

/* UpdateBackupPlan with desired's name and rules (a setter; c and row unused): AWS makes a new
 * version of the plan, whose id goes to live's version_id. */
static int update_doc(struct session *s, const struct restype_call *rc, const json_t *desired,
                      struct live_obj *live, const struct resutil_setter *row, struct diag *d)
{
    struct apicall c;
    const char *name = resutil_want_str(&backup_plan_type, desired, "name");
    json_t *now;
    int ret = -1;

    (void)rc, (void)row;
    if (!name)
        name = json_string_value(json_object_get(live->attrs, "name"));
    backuputil_init(&c, "UpdateBackupPlan");
    apicall_rest(&c, "POST", "/backup/plans/%s", apicall_escape(&c, live->id));
    apicall_json(&c, plan_to_api(desired, name ? name : ""));
    if (session_call(s, &c, d) == CALL_OK) {
        json_object_update(live->attrs, now = parse(c.out, c.body));
        json_decref(now);
        ret = 0;
    }
    apicall_release(&c);
    return ret;
}

/* Name and rules change together, in one new version; tags through TagResource and
 * UntagResource. */
static const struct resutil_setter setters[] = {
    {"tags", backuputil_update_tags, RESUTIL_EACH, NULL},
    {"name", update_doc, RESUTIL_FIRST, NULL},
    {"rules", update_doc, RESUTIL_FIRST, NULL},
    {NULL, NULL, RESUTIL_EACH, NULL},
};

/* DeleteBackupPlan; a plan already gone counts as deleted. AWS refuses while the plan still
 * has selections: cairn deletes the stack's selections first, so one left is someone else's. */
static int plan_remove(struct session *s, const struct live_obj *live, unsigned how, struct diag *d)
{
    static const char *const refused[] = {"InvalidRequestException", NULL};
    struct apicall c;
    int ret;

    (void)how;
    backuputil_init(&c, "DeleteBackupPlan");
    apicall_rest(&c, "DELETE", "/backup/plans/%s", apicall_escape(&c, live->id));
    if ((ret = dialect_send_codes(s, &c, DIALECT_GONE_OK, refused, d)) > 0) {
        diag_error(d, NULL,
                   "backup.plan %s: AWS deletes a plan only once it has no selections, and a "
                   "selection cairn does not manage is left in it: %s",
                   live->id, c.err.message);
        ret = -1;
    }
    apicall_release(&c);
    return ret;
}

static const struct restype_ops ops = {
    .read = plan_read,
    .create = plan_create,
    .setters = setters,
    .remove = plan_remove,
};

/* IAM actions (cairn policy): what read calls; what create, update, remove and ready add. */
static const char *const read_actions[] = {"backup:ListBackupPlans", "backup:ListTags",
                                           "backup:GetBackupPlan", NULL};
static const char *const write_actions[] = {"backup:CreateBackupPlan", "backup:UpdateBackupPlan",
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
