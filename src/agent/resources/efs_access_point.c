/* efs.access_point: an application's entry into a file system. */
#include "agent/live.h"
#include "agent/plan.h"
#include "agent/resources/efsutil.h"
#include "agent/resources/types.h"
#include "agent/resources/resmap.h"
#include "aws/session.h"
#include "core/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct attr posix_user_fields[] = {
    {.name = "uid",
     .type = VT_POSIX_ID,
     .member = "Uid",
     .flags = ATTR_REQUIRED,
     .doc = "The user ID every file operation runs as."},
    {.name = "gid",
     .type = VT_POSIX_ID,
     .member = "Gid",
     .flags = ATTR_REQUIRED,
     .doc = "The group ID every file operation runs as."},
    {.name = "secondary_gids",
     .type = VT_LIST,
     .member = "SecondaryGids",
     .elem = VT_POSIX_ID,
     .min = 0,
     .max = 16,
     .doc = "Further group IDs of the user."},
    {0},
};

static const struct attr creation_info_fields[] = {
    {.name = "owner_uid",
     .type = VT_POSIX_ID,
     .member = "OwnerUid",
     .flags = ATTR_REQUIRED,
     .doc = "The user ID that owns the root directory when EFS creates it."},
    {.name = "owner_gid",
     .type = VT_POSIX_ID,
     .member = "OwnerGid",
     .flags = ATTR_REQUIRED,
     .doc = "The group ID that owns the root directory when EFS creates it."},
    {.name = "permissions",
     .type = VT_OCTAL_MODE,
     .member = "Permissions",
     .flags = ATTR_REQUIRED,
     .doc = "The mode of the root directory when EFS creates it, for example 755."},
    {0},
};

static const struct attr root_directory_fields[] = {
    {.name = "path",
     .type = VT_STRING,
     .member = "Path",
     .def = "/",
     .doc = "The directory clients see as /, for example /prometheus (up to 4 levels, 100 "
            "characters)."},
    {.name = "creation_info",
     .type = VT_OBJECT,
     .member = "CreationInfo",
     .fields = creation_info_fields,
     .doc = "Owner and mode EFS creates path with when it does not exist; without it a missing "
            "path fails the mount."},
    {0},
};

/* Access points cannot be changed, only tagged: every property replaces. */
static const struct attr attrs[] = {
    {.name = "file_system_id",
     .type = VT_STRING,
     .member = "FileSystemId",
     .flags = ATTR_REQUIRED | ATTR_REPLACE,
     .ref_type = "efs.file_system",
     .doc = "The file system the access point opens."},
    {.name = "posix_user",
     .type = VT_OBJECT,
     .member = "PosixUser",
     .flags = ATTR_REPLACE,
     .fields = posix_user_fields,
     .doc = "The POSIX identity forced on every request through the access point."},
    {.name = "root_directory",
     .type = VT_OBJECT,
     .member = "RootDirectory",
     .flags = ATTR_REPLACE,
     .fields = root_directory_fields,
     .doc = "The directory exposed as the root of the file system."},
    RESTYPE_TAGS,
    {.name = "id",
     .type = VT_STRING,
     .member = "AccessPointId",
     .flags = ATTR_COMPUTED,
     .doc = "The access point's ID (fsap-...), which a task volume's authorization_config "
            "takes."},
    {.name = "arn",
     .type = VT_ARN,
     .flags = ATTR_COMPUTED,
     .member = "AccessPointArn",
     .doc = "The access point's ARN."},
    {0},
};

/*
 * A mode as AWS keeps it and cairn compares it: octal text without the leading zeros of a
 * 4-digit form ("0755" is "755"), whether written as text or as a number. New, or NULL.
 */
static json_t *mode_text(const json_t *v)
{
    char buf[32];
    const char *s = buf;

    if (json_is_integer(v))
        snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
    else if (!(s = json_string_value(v)))
        return NULL;
    while (strlen(s) > 3 && *s == '0')
        s++;
    return json_string(s);
}

/* The root directory's mode as octal text without a leading zero ("0755", 755 and "755" are
 * one mode); the IDs compare by value already. */
static json_t *ap_normalize(const char *attr, const json_t *v)
{
    json_t *out, *ci, *mode;

    if (strcmp(attr, "root_directory") != 0 || !json_is_object(v))
        return NULL;
    out = json_deep_copy(v);
    ci = json_object_get(out, "creation_info");
    if (json_is_object(ci) && (mode = mode_text(json_object_get(ci, "permissions"))))
        json_object_set_new(ci, "permissions", mode);
    return out;
}

/* Attributes (desired, or read by the table's members) with the mode in its one form. */
static json_t *with_mode(json_t *a)
{
    json_t *root = ap_normalize("root_directory", json_object_get(a, "root_directory"));

    if (root)
        json_object_set_new(a, "root_directory", root);
    return a;
}

/* The attributes of an AccessPointDescription. */
static json_t *ap_attrs(const json_t *ap)
{
    json_t *a = with_mode(resmap_read_nested(attrs, ap));

    json_object_set_new(a, "tags", efsutil_tags(json_object_get(ap, "Tags")));
    return a;
}

static int is_going(const char *state)
{
    return efsutil_going(state) || (state && strcmp(state, "error") == 0);
}

/* DescribeAccessPoints (paginated) of file system fs_id, or of the account's when NULL. */
static int list_aps(struct session *s, const char *fs_id, dialect_item_fn fn, void *arg,
                    const char *const *refused, struct diag *d)
{
    return efsutil_list(s, &efsutil_access_point, fs_id ? "FileSystemId" : NULL, fs_id, fn, arg,
                        refused, d);
}

struct read_arg {
    const char *stack;
    struct live_set *set;
    const char *fs_id; /* the stack's file system being listed, or NULL for the account's */
    json_t *untagged;  /* access points without a cairn:stack tag, when listing the account's */
};

/* An access point nobody tagged, on one of the stack's file systems: an extra (added by hand),
 * which the stack's file system owns as it owns its mount targets. */
static void add_untagged(struct live_set *set, const json_t *ap)
{
    json_t *got = ap_attrs(ap);

    live_set_add(set, &efs_access_point_type, efsutil_str(got, "id"), NULL, got);
}

static int add_ap(struct session *s, const json_t *ap, void *arg, struct diag *d)
{
    struct read_arg *r = arg;
    json_t *got;

    (void)s, (void)d;
    if (is_going(efsutil_str(ap, "LifeCycleState")) || !efsutil_str(ap, "AccessPointId"))
        return 0;
    got = ap_attrs(ap);
    /* Untagged and listed account-wide: the stack's file systems say later whether it is on
     * one of them. */
    if (!r->fs_id && !resutil_stack_of(got)) {
        json_array_append(r->untagged, (json_t *)ap);
        json_decref(got);
        return 0;
    }
    resutil_add_child(r->set, &efs_access_point_type, r->stack, efsutil_str(got, "id"),
                      json_object_get(got, "tags"), got);
    return 0;
}

static int read_fs(struct session *s, const json_t *fs, void *arg, struct diag *d)
{
    struct read_arg *r = arg;
    int ret;

    r->fs_id = efsutil_str(fs, "FileSystemId");
    ret = list_aps(s, r->fs_id, add_ap, arg, NULL, d) < 0 ? -1 : 0;
    r->fs_id = NULL;
    return ret;
}

/* The untagged access points listed account-wide that are on file system fs (the stack's). */
static int untagged_on(struct session *s, const json_t *fs, void *arg, struct diag *d)
{
    struct read_arg *r = arg;
    const char *fs_id = efsutil_str(fs, "FileSystemId");
    json_t *ap;
    size_t i;

    (void)s, (void)d;
    json_array_foreach(r->untagged, i, ap)
    {
        const char *on = efsutil_str(ap, "FileSystemId");
        if (fs_id && on && strcmp(fs_id, on) == 0)
            add_untagged(r->set, ap);
    }
    return 0;
}

/*
 * One DescribeAccessPoints without a file system (paginated) lists every access point of the
 * account with its tags; the stack's are those tagged cairn:stack. The API reference documents
 * only the per-file-system form, so should AWS refuse the account-wide one, the stack's file
 * systems are asked one by one (DescribeFileSystems, then DescribeAccessPoints each).
 * Deleting (or failed) ones are left out: the stack's is still to be made. Access points
 * without a cairn:stack tag on the stack's file systems are read too, untagged (extras):
 * when the account has any, DescribeFileSystems says which file systems are the stack's.
 */
static int ap_read(struct session *s, const struct restype *t, const char *stack,
                   struct live_set *set, struct diag *d)
{
    static const char *const refused[] = {"BadRequest", "ValidationException", NULL};
    struct read_arg r = {stack, set, NULL, json_array()};
    int got = list_aps(s, NULL, add_ap, &r, refused, d);

    if (got == 1)
        got = efsutil_file_systems(s, stack, read_fs, &r, d);
    else if (got == 0 && json_array_size(r.untagged))
        got = efsutil_file_systems(s, stack, untagged_on, &r, d);
    json_decref(r.untagged);
    return got;
}

/*
 * CreateAccessPoint with its tags and ClientToken c->token: sent again (a retry after a lost
 * response, a run after a crash) AWS answers AccessPointAlreadyExists, and the file system's
 * access point with that token is adopted. Not ready at once: "creating", then "available".
 */
static int ap_create(struct session *s, const struct restype_call *c, const json_t *desired,
                     struct live_set *set, struct live_obj **out, struct diag *d)
{
    const struct restype *t = &efs_access_point_type;
    const char *fs_id = resutil_want_str(t, desired, "file_system_id");
    const struct efsutil_adopt by_token = {NULL, "FileSystemId", fs_id, "ClientToken", c->token};
    json_t *want = with_mode(json_deep_copy(desired)), *body = resmap_api_object(attrs, want), *ap;

    *out = NULL;
    json_decref(want);
    if (efsutil_create(s, &efsutil_access_point, c, desired, body, &by_token, &ap, d) < 0)
        return -1;
    *out = resutil_add_created(set, t, c, ap_attrs(ap), d);
    json_decref(ap);
    return *out ? 0 : -1;
}

/*
 * One DescribeAccessPoints of the access point: "available" is ready (live's attributes are
 * refreshed, its tags aside), "creating" (or not listed yet) is not, anything else failed.
 */
static int ap_ready(struct session *s, struct live_obj *live, struct diag *d)
{
    return efsutil_ready(s, &efsutil_access_point, live, ap_attrs, d);
}

/*
 * AWS Backup puts a restored file system's files under /aws-backup-restore_<time>/, which
 * cairn restore records on the file system as the tag cairn:restore-dir. An access point on
 * such a file system opens its root directory inside that one, so that the service finds its
 * old files where it left them: /prometheus becomes /aws-backup-restore_<time>/prometheus.
 * This is the one place the desired value of an object depends on another object's live tags:
 * the stack file keeps saying /prometheus, and plan, up and drift all see the same path.
 */
static void ap_follow(json_t *desired, const struct live_obj *fs)
{
    const char *dir = json_string_value(
        json_object_get(json_object_get(fs->attrs, "tags"), PLAN_TAG_RESTORE_DIR));
    const char *path;
    json_t *root;
    char *full;
    size_t n;

    if (!dir || !*dir)
        return;
    if (!json_is_object(root = json_object_get(desired, "root_directory"))) {
        root = json_object();
        json_object_set_new(desired, "root_directory", root);
    }
    path = json_string_value(json_object_get(root, "path"));
    if (!path || !*path)
        path = "/";
    while (*dir == '/')
        dir++;
    n = strlen(dir) + strlen(path) + 2;
    full = xmalloc(n);
    snprintf(full, n, "/%s%s", dir, strcmp(path, "/") == 0 ? "" : path);
    json_object_set_new(root, "path", json_string(full));
    free(full);
}

/* On a restored file system: retired with the old one, re-pointed onto the new one. */
static const struct restype_restore restore_hooks = {
    .retag = efsutil_retag,
    .parent = &efs_file_system_type,
    .parent_attr = "file_system_id",
    .follow = ap_follow,
};

static const struct restype_ops ops = {
    .read = ap_read,
    .create = ap_create,
    .setters = efsutil_tags_only,
    /* DeleteAccessPoint; already gone counts as done. */
    .del = {.op = "DeleteAccessPoint", .path = "/2015-02-01/access-points/%s"},
    .normalize = ap_normalize,
    .ready = ap_ready,
    .wait_seconds = 300,
    .restore = &restore_hooks,
};

/* IAM actions (cairn policy): what read calls; what create, update, remove and ready add. */
static const char *const read_actions[] = {"elasticfilesystem:DescribeFileSystems",
                                           "elasticfilesystem:DescribeAccessPoints", NULL};
static const char *const write_actions[] = {"elasticfilesystem:CreateAccessPoint",
                                            "elasticfilesystem:DeleteAccessPoint", NULL};

const struct restype efs_access_point_type = {
    .name = "efs.access_point",
    .service = "efs",
    .doc = "An EFS access point: an application-specific entry into a file system with its own "
           "POSIX user and root directory.",
    .attrs = attrs,
    .taggable = 1,
    .ops = &ops,
    .read_actions = read_actions,
    .write_actions = write_actions,
};
