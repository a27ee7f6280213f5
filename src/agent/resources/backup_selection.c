/* backup.selection: the resources a backup plan backs up. */
#include "agent/live.h"
#include "agent/resources/backuputil.h"
#include "agent/resources/resutil.h"
#include "agent/resources/types.h"
#include "agent/resources/resmap.h"
#include "aws/session.h"

#include <string.h>

/* There is no UpdateBackupSelection: every property replaces. */
static const struct attr attrs[] = {
    {.name = "name",
     .type = VT_STRING,
     .member = "SelectionName",
     .flags = ATTR_NAME | ATTR_REPLACE,
     .doc = "The selection's name (SelectionName): 1 to 50 letters, digits and -_.."},
    {.name = "plan_id",
     .type = VT_STRING,
     .flags = ATTR_REQUIRED | ATTR_REPLACE,
     .ref_type = "backup.plan",
     .doc = "The plan that backs the resources up."},
    {.name = "iam_role_arn",
     .type = VT_ARN,
     .member = "IamRoleArn",
     .flags = ATTR_REQUIRED | ATTR_REPLACE,
     .ref_type = "iam.role",
     .doc = "The role AWS Backup assumes to back the resources up, for example one with "
            "AWSBackupServiceRolePolicyForBackup."},
    {.name = "resources",
     .type = VT_LIST,
     .member = "Resources",
     .elem = VT_ARN,
     .flags = ATTR_REQUIRED | ATTR_REPLACE,
     .doc = "The ARNs of the resources to back up, for example ${efs.prometheus_data.arn}."},
    {.name = "id",
     .type = VT_STRING,
     .flags = ATTR_COMPUTED,
     .doc = "The selection's ID (SelectionId)."},
    {0},
};

/* A selection's attributes from GetBackupSelection (or what a create sent). */
static json_t *parse(const char *plan_id, const char *id, const json_t *sel)
{
    json_t *got = resmap_read(attrs, sel);

    json_object_set_new(got, "id", json_string(id));
    json_object_set_new(got, "plan_id", json_string(plan_id));
    if (!json_object_get(got, "resources"))
        json_object_set_new(got, "resources", json_array());
    return got;
}

/* GetBackupSelection of plan_id's selection id, into set. */
static int read_one(struct session *s, const char *plan_id, const char *id, struct live_set *set,
                    struct diag *d)
{
    struct apicall c;
    int ret = -1;

    backuputil_init(&c, "GetBackupSelection");
    apicall_rest(&c, "GET", "/backup/plans/%s/selections/%s", apicall_escape(&c, plan_id),
                 apicall_escape(&c, id));
    if (session_call(s, &c, d) == CALL_OK) {
        live_set_add(set, &backup_selection_type, id, NULL,
                     parse(plan_id, id, json_object_get(c.out, "BackupSelection")));
        ret = 0;
    }
    apicall_release(&c);
    return ret;
}

/* ListBackupSelections of plan_id (paginated), fn for each. */
static int each_selection(struct session *s, const char *plan_id, dialect_item_fn fn, void *arg,
                          struct diag *d)
{
    struct apicall c;

    backuputil_init(&c, "ListBackupSelections");
    apicall_rest(&c, "GET", "/backup/plans/%s/selections/", apicall_escape(&c, plan_id));
    return dialect_each(s, &c, "BackupSelectionsList", fn, arg, d);
}

/* What read_selection() adds to: the selections of one plan. */
struct reading {
    const char *plan_id;
    struct live_set *set;
};

static int read_selection(struct session *s, const json_t *sel, void *arg, struct diag *d)
{
    const struct reading *r = arg;
    const char *id = json_string_value(json_object_get(sel, "SelectionId"));

    return id ? read_one(s, r->plan_id, id, r->set, d) : 0;
}

/* ListBackupSelections of one plan of the stack (paginated), and GetBackupSelection for each:
 * only the latter has the resources. */
static int read_plan(struct session *s, const json_t *item, const json_t *tags, void *arg,
                     struct diag *d)
{
    struct reading r = {json_string_value(json_object_get(item, "BackupPlanId")), arg};

    (void)tags;
    return r.plan_id ? each_selection(s, r.plan_id, read_selection, &r, d) : 0;
}

/*
 * Selections carry no tags: they are found through the stack's plans (ListBackupPlans, ListTags
 * per plan that may be cairn's), one ListBackupSelections per plan of the stack and one
 * GetBackupSelection per selection. Their cairn_id is NULL: the planner matches them by plan,
 * role and resources, and one in a plan of the stack that the file does not describe is
 * deleted.
 */
static int selection_read(struct session *s, const struct restype *t, const char *stack,
                          struct live_set *set, struct diag *d)
{
    return backuputil_stack_plans(s, stack, read_plan, set, d);
}

/* What find_selection() looks for: the selection a create of the same request made. */
struct wanted {
    const char *name, *token;
    char id[128];
};

/* The selection named w->name that the request with w->token made: AlreadyExistsException's
 * answer to a create sent again. */
static int find_selection(struct session *s, const json_t *sel, void *arg, struct diag *d)
{
    struct wanted *w = arg;
    const char *id = json_string_value(json_object_get(sel, "SelectionId"));
    const char *name = json_string_value(json_object_get(sel, "SelectionName"));
    const char *crid = json_string_value(json_object_get(sel, "CreatorRequestId"));

    (void)s, (void)d;
    if (id && name && crid && w->token && strcmp(name, w->name) == 0 && strcmp(crid, w->token) == 0)
        snprintf(w->id, sizeof(w->id), "%s", id);
    return 0;
}

/*
 * CreateBackupSelection in plan_id with a CreatorRequestId. A create sent again (after a crash
 * or a lost answer) that AWS refuses as existing adopts the selection of that name the same
 * request made; one of that name made otherwise is an error.
 */
static int selection_create(struct session *s, const struct restype_call *c, const json_t *desired,
                            struct live_set *set, struct live_obj **out, struct diag *d)
{
    const char *name = resutil_create_name(&backup_selection_type, c, desired, d);
    const char *plan_id = resutil_want_str(&backup_selection_type, desired, "plan_id");
    struct wanted w = {.name = name, .token = c->token};
    struct apicall call;
    json_t *sel = json_object();
    const char *id;
    int r;

    *out = NULL;
    if (!name) {
        json_decref(sel);
        return -1;
    }
    backuputil_init(&call, "CreateBackupSelection");
    apicall_rest(&call, "PUT", "/backup/plans/%s/selections/", apicall_escape(&call, plan_id));
    resutil_create_body(&backup_selection_type, c, desired, NULL, sel);
    if ((r = backuputil_create(s, &call, c, json_pack("{s:O}", "BackupSelection", sel), d)) == 0) {
        if ((id = json_string_value(json_object_get(call.out, "SelectionId"))))
            *out = resutil_add_created(set, &backup_selection_type, c, parse(plan_id, id, sel), d);
        else
            diag_error(d, NULL, "backup.selection %s: the response names no selection",
                       c->cairn_id);
    } else if (r == 1 && each_selection(s, plan_id, find_selection, &w, d) == 0) {
        if (!w.id[0])
            diag_error(d, NULL, "backup.selection %s: %s: %s", c->cairn_id, call.err.code,
                       call.err.message);
        else if (read_one(s, plan_id, w.id, set, d) == 0)
            *out = &set->v[set->n - 1];
    }
    json_decref(sel);
    apicall_release(&call);
    return *out ? 0 : -1;
}

/* DeleteBackupSelection; a selection (or plan) already gone counts as deleted. */
static int selection_remove(struct session *s, const struct live_obj *live, unsigned how,
                            struct diag *d)
{
    const char *plan_id = json_string_value(json_object_get(live->attrs, "plan_id"));
    struct apicall c;
    int ret;

    (void)how;
    if (!plan_id) {
        diag_error(d, NULL, "backup.selection %s: no plan_id to find it by", live->id);
        return -1;
    }
    backuputil_init(&c, "DeleteBackupSelection");
    apicall_rest(&c, "DELETE", "/backup/plans/%s/selections/%s", apicall_escape(&c, plan_id),
                 apicall_escape(&c, live->id));
    ret = dialect_send(s, &c, DIALECT_GONE_OK, d);
    apicall_release(&c);
    return ret;
}

static const struct restype_ops ops = {
    .read = selection_read,
    .create = selection_create,
    /* No setters: nothing changes in place (there is no UpdateBackupSelection). */
    .remove = selection_remove,
};

/* IAM actions (cairn policy): what read calls; what create, update, remove and ready add.
 * CreateBackupSelection passes its IAM role to AWS Backup. */
static const char *const read_actions[] = {"backup:ListBackupPlans", "backup:ListTags",
                                           "backup:ListBackupSelections",
                                           "backup:GetBackupSelection", NULL};
static const char *const write_actions[] = {"backup:CreateBackupSelection",
                                            "backup:DeleteBackupSelection", NULL};

const struct restype backup_selection_type = {
    .name = "backup.selection",
    .service = "backup",
    .doc = "An AWS Backup selection: the resources a plan backs up and the role it uses; found "
           "through the plan (it carries no tags).",
    .attrs = attrs,
    .name_max = 50,
    .ops = &ops,
    .read_actions = read_actions,
    .write_actions = write_actions,
    .passes_role_to = "backup.amazonaws.com",
};
