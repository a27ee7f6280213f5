/* efs.backup_policy: EFS's own automatic backups of a file system. */
#include "agent/live.h"
#include "agent/resources/efsutil.h"
#include "agent/resources/types.h"
#include "aws/session.h"

#include <string.h>

/* ENABLING and DISABLING are states AWS reports, not values to ask for. */
static const char *const status_values[] = {"ENABLED", "DISABLED", NULL};

static const struct attr attrs[] = {
    {.name = "file_system_id",
     .type = VT_STRING,
     .flags = ATTR_REQUIRED | ATTR_REPLACE,
     .ref_type = "efs.file_system",
     .doc = "The file system the policy applies to."},
    {.name = "status",
     .type = VT_STRING,
     .flags = ATTR_REQUIRED,
     .values = status_values,
     .doc = "ENABLED backs the file system up daily into aws/efs/automatic-backup-vault with "
            "35-day retention, besides any backup.plan."},
    {0},
};

/* The policy's attributes; its id is its file system's (it has none of its own). */
static json_t *bp_attrs(const char *fs_id, const char *status)
{
    return json_pack("{s:s, s:s, s:s}", "id", fs_id, "file_system_id", fs_id, "status", status);
}

/* DescribeBackupPolicy of one file system. PolicyNotFound (which AWS documents for a One Zone
 * file system without backups) means DISABLED. */
static int read_fs(struct session *s, const json_t *fs, void *arg, struct diag *d)
{
    static const char *const none[] = {"PolicyNotFound", NULL};
    const char *id = efsutil_str(fs, "FileSystemId");
    struct apicall c;
    int r;

    efsutil_init(&c, "DescribeBackupPolicy", "GET", "file-systems", id, "backup-policy");
    if ((r = dialect_send_codes(s, &c, 0, none, d)) >= 0) {
        const char *status = efsutil_str(json_object_get(c.out, "BackupPolicy"), "Status");
        /* Untagged: the planner matches it by file system (and status). */
        live_set_add(arg, &efs_backup_policy_type, id, NULL,
                     bp_attrs(id, r == 0 && status ? status : "DISABLED"));
    }
    apicall_release(&c);
    return r < 0 ? -1 : 0;
}

/*
 * Every file system of the stack has a backup policy: one DescribeFileSystems (paginated) and
 * one DescribeBackupPolicy per file system.
 */
static int bp_read(struct session *s, const struct restype *t, const char *stack,
                   struct live_set *set, struct diag *d)
{
    return efsutil_file_systems(s, stack, read_fs, set, d);
}

/* PutBackupPolicy: 0, and *status (when not NULL) the status AWS answers (or want when it
 * answers none; new), or -1 with d saying why; a file system already gone is 0 when how is
 * DIALECT_GONE_OK. */
static int put(struct session *s, const char *fs_id, const char *want, json_t **status,
               unsigned how, struct diag *d)
{
    struct apicall c;
    const char *now;
    int r;

    efsutil_init(&c, "PutBackupPolicy", "PUT", "file-systems", fs_id, "backup-policy");
    apicall_json(&c, json_pack("{s:{s:s}}", "BackupPolicy", "Status", want));
    r = dialect_send(s, &c, how, d);
    now = efsutil_str(json_object_get(c.out, "BackupPolicy"), "Status");
    if (r == 0 && status)
        *status = json_string(now ? now : want);
    apicall_release(&c);
    return r;
}

/* PutBackupPolicy with desired's status: the policy exists with its file system, so "create"
 * only sets it. */
static int bp_create(struct session *s, const struct restype_call *c, const json_t *desired,
                     struct live_set *set, struct live_obj **out, struct diag *d)
{
    const struct restype *t = &efs_backup_policy_type;
    const char *fs_id = resutil_want_str(t, desired, "file_system_id");
    json_t *status;

    *out = NULL;
    if (resutil_check_required(t, c->cairn_id, desired, d) < 0 ||
        put(s, fs_id, resutil_want_str(t, desired, "status"), &status, 0, d) < 0)
        return -1;
    *out = resutil_add_created(set, t, c, bp_attrs(fs_id, json_string_value(status)), d);
    json_decref(status);
    return *out ? 0 : -1;
}

/* A new status is one PutBackupPolicy (a setter; c and row unused). */
static int set_status(struct session *s, const struct restype_call *c, const json_t *desired,
                      struct live_obj *live, const struct resutil_setter *row, struct diag *d)
{
    json_t *status;

    (void)c, (void)row;
    if (put(s, live->id, resutil_want_str(&efs_backup_policy_type, desired, "status"), &status, 0,
            d) < 0)
        return -1;
    json_object_set_new(live->attrs, "status", status);
    return 0;
}

static const struct resutil_setter setters[] = {
    {"status", set_status, RESUTIL_EACH, NULL},
    {NULL, NULL, RESUTIL_EACH, NULL},
};

/*
 * There is nothing to delete: the policy goes with its file system. Removing it from a stack
 * turns EFS's automatic backups off (PutBackupPolicy DISABLED, AWS's default for a file system
 * made through the API); a file system already gone is fine. A status change of a stack's
 * policy is a removal then a creation (status identifies the untagged policy), and removals
 * run first, so the new status wins.
 */
static int bp_remove(struct session *s, const struct live_obj *live, unsigned how, struct diag *d)
{
    (void)how;
    return put(s, live->id, "DISABLED", NULL, DIALECT_GONE_OK, d);
}

/* ENABLING and DISABLING are on their way to ENABLED and DISABLED. */
static json_t *bp_normalize(const char *attr, const json_t *v)
{
    const char *s = json_string_value(v);

    if (strcmp(attr, "status") != 0 || !s)
        return NULL;
    if (strcmp(s, "ENABLING") == 0)
        return json_string("ENABLED");
    if (strcmp(s, "DISABLING") == 0)
        return json_string("DISABLED");
    return NULL;
}

static const struct restype_ops ops = {
    .read = bp_read,
    .create = bp_create,
    .setters = setters,
    .remove = bp_remove,
    .normalize = bp_normalize,
};

/* IAM actions (cairn policy): what read calls; what create, update, remove and ready add. */
static const char *const read_actions[] = {"elasticfilesystem:DescribeFileSystems",
                                           "elasticfilesystem:DescribeBackupPolicy", NULL};
static const char *const write_actions[] = {"elasticfilesystem:PutBackupPolicy", NULL};

const struct restype efs_backup_policy_type = {
    .name = "efs.backup_policy",
    .service = "efs",
    .doc = "The backup policy of an EFS file system (PutBackupPolicy): whether EFS's automatic "
           "backups are on; it is part of the file system and carries no tags. Removed from a "
           "stack, automatic backups are turned off.",
    .attrs = attrs,
    .ops = &ops,
    .read_actions = read_actions,
    .write_actions = write_actions,
};
