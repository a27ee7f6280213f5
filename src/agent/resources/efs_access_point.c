/* efs.access_point: an application's entry into a file system. */
#include "agent/live.h"
#include "agent/plan.h"
#include "agent/resources/efsutil.h"
#include "agent/resources/types.h"
#include "aws/session.h"
#include "core/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct attr posix_user_fields[] = {
    {.name = "uid",
     .type = VT_POSIX_ID,
     .flags = ATTR_REQUIRED,
     .doc = "The user ID every file operation runs as."},
    {.name = "gid",
     .type = VT_POSIX_ID,
     .flags = ATTR_REQUIRED,
     .doc = "The group ID every file operation runs as."},
    {.name = "secondary_gids",
     .type = VT_LIST,
     .elem = VT_POSIX_ID,
     .min = 0,
     .max = 16,
     .doc = "Further group IDs of the user."},
    {0},
};

static const struct attr creation_info_fields[] = {
    {.name = "owner_uid",
     .type = VT_POSIX_ID,
     .flags = ATTR_REQUIRED,
     .doc = "The user ID that owns the root directory when EFS creates it."},
    {.name = "owner_gid",
     .type = VT_POSIX_ID,
     .flags = ATTR_REQUIRED,
     .doc = "The group ID that owns the root directory when EFS creates it."},
    {.name = "permissions",
     .type = VT_OCTAL_MODE,
     .flags = ATTR_REQUIRED,
     .doc = "The mode of the root directory when EFS creates it, for example 755."},
    {0},
};

static const struct attr root_directory_fields[] = {
    {.name = "path",
     .type = VT_STRING,
     .def = "/",
     .doc = "The directory clients see as /, for example /prometheus (up to 4 levels, 100 "
            "characters)."},
    {.name = "creation_info",
     .type = VT_OBJECT,
     .fields = creation_info_fields,
     .doc = "Owner and mode EFS creates path with when it does not exist; without it a missing "
            "path fails the mount."},
    {0},
};

/* Access points cannot be changed, only tagged: every property replaces. */
static const struct attr attrs[] = {
    {.name = "file_system_id",
     .type = VT_STRING,
     .flags = ATTR_REQUIRED | ATTR_REPLACE,
     .ref_type = "efs.file_system",
     .doc = "The file system the access point opens."},
    {.name = "posix_user",
     .type = VT_OBJECT,
     .flags = ATTR_REPLACE,
     .fields = posix_user_fields,
     .doc = "The POSIX identity forced on every request through the access point."},
    {.name = "root_directory",
     .type = VT_OBJECT,
     .flags = ATTR_REPLACE,
     .fields = root_directory_fields,
     .doc = "The directory exposed as the root of the file system."},
    RESTYPE_TAGS,
    {.name = "id",
     .type = VT_STRING,
     .flags = ATTR_COMPUTED,
     .doc = "The access point's ID (fsap-...), which a task volume's authorization_config "
            "takes."},
    {.name = "arn", .type = VT_ARN, .flags = ATTR_COMPUTED, .doc = "The access point's ARN."},
    {0},
};

static const char *const ap_not_found[] = {"AccessPointNotFound", NULL};

/* A POSIX ID as the API's number: JSON integers, or text (a resolved ${param.uid}). */
static json_t *posix_id(const json_t *v)
{
    const char *s = json_string_value(v);
    char *end;
    long long n;

    if (json_is_integer(v))
        return json_integer(json_integer_value(v));
    if (!s || !*s)
        return NULL;
    n = strtoll(s, &end, 10);
    return *end ? NULL : json_integer(n);
}

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

/* Set member k of o to v (taken over) unless v is NULL. */
static void set_opt(json_t *o, const char *k, json_t *v)
{
    if (v)
        json_object_set_new(o, k, v);
}

/* posix_user and root_directory in the API's shape (CreateAccessPoint). */
static json_t *api_posix_user(const json_t *u)
{
    json_t *out = json_object(), *gids = json_object_get(u, "secondary_gids"), *g;
    size_t i;

    set_opt(out, "Uid", posix_id(json_object_get(u, "uid")));
    set_opt(out, "Gid", posix_id(json_object_get(u, "gid")));
    if (json_array_size(gids)) {
        json_t *list = json_array();
        json_array_foreach(gids, i, g)
        {
            json_t *n = posix_id(g);
            if (n)
                json_array_append_new(list, n);
        }
        json_object_set_new(out, "SecondaryGids", list);
    }
    return out;
}

static json_t *api_root_directory(const json_t *r)
{
    json_t *out = json_object(), *ci = json_object_get(r, "creation_info");
    const char *path = efsutil_str(r, "path");

    json_object_set_new(out, "Path", json_string(path ? path : "/"));
    if (json_is_object(ci)) {
        json_t *info = json_object();
        set_opt(info, "OwnerUid", posix_id(json_object_get(ci, "owner_uid")));
        set_opt(info, "OwnerGid", posix_id(json_object_get(ci, "owner_gid")));
        set_opt(info, "Permissions", mode_text(json_object_get(ci, "permissions")));
        json_object_set_new(out, "CreationInfo", info);
    }
    return out;
}

/* The attributes of an AccessPointDescription. */
static json_t *ap_attrs(const json_t *ap)
{
    json_t *a = json_object(), *u = json_object_get(ap, "PosixUser");
    json_t *r = json_object_get(ap, "RootDirectory"), *ci = json_object_get(r, "CreationInfo");

    set_opt(a, "id", json_incref(json_object_get(ap, "AccessPointId")));
    set_opt(a, "arn", json_incref(json_object_get(ap, "AccessPointArn")));
    set_opt(a, "file_system_id", json_incref(json_object_get(ap, "FileSystemId")));
    if (json_is_object(u)) {
        json_t *user = json_object(), *gids = json_object_get(u, "SecondaryGids");
        set_opt(user, "uid", json_incref(json_object_get(u, "Uid")));
        set_opt(user, "gid", json_incref(json_object_get(u, "Gid")));
        if (json_array_size(gids))
            json_object_set(user, "secondary_gids", gids);
        json_object_set_new(a, "posix_user", user);
    }
    if (json_is_object(r)) {
        json_t *root = json_object();
        set_opt(root, "path", json_incref(json_object_get(r, "Path")));
        if (json_is_object(ci)) {
            json_t *info = json_object();
            set_opt(info, "owner_uid", json_incref(json_object_get(ci, "OwnerUid")));
            set_opt(info, "owner_gid", json_incref(json_object_get(ci, "OwnerGid")));
            set_opt(info, "permissions", mode_text(json_object_get(ci, "Permissions")));
            json_object_set_new(root, "creation_info", info);
        }
        json_object_set_new(a, "root_directory", root);
    }
    json_object_set_new(a, "tags", efsutil_tags(json_object_get(ap, "Tags")));
    return a;
}

static int is_going(const char *state)
{
    return state && (strcmp(state, "deleting") == 0 || strcmp(state, "deleted") == 0 ||
                     strcmp(state, "error") == 0);
}

/* Called for each access point DescribeAccessPoints lists. */
typedef int (*ap_fn)(const json_t *ap, void *arg);

/*
 * DescribeAccessPoints, every page (NextToken): of file system fs_id, or of the whole account
 * when fs_id is NULL. 0; 1 when AWS refused the first page with a code in refused (nothing was
 * listed then); -1 with d saying why.
 */
static int list_aps(struct session *s, const char *fs_id, ap_fn fn, void *arg,
                    const char *const *refused, struct diag *d)
{
    struct apicall c;
    int ret = -1, r;

    efsutil_init(&c, "DescribeAccessPoints", "GET", "access-points", NULL, NULL);
    if (fs_id)
        apicall_param(&c, "FileSystemId", fs_id);
    do {
        json_t *ap;
        size_t i;
        if ((r = efsutil_send(s, &c, refused, d)) != 0) {
            ret = r;
            goto out;
        }
        refused = NULL; /* later pages must not fail */
        json_array_foreach(json_object_get(c.out, "AccessPoints"), i, ap)
        {
            if (fn(ap, arg) < 0)
                goto out;
        }
    } while (apicall_next_page(&c, "NextToken", "NextToken"));
    ret = 0;
out:
    apicall_release(&c);
    return ret;
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

static int add_ap(const json_t *ap, void *arg)
{
    struct read_arg *r = arg;
    json_t *got, *tags;
    int untagged;

    if (is_going(efsutil_str(ap, "LifeCycleState")) || !efsutil_str(ap, "AccessPointId"))
        return 0;
    tags = efsutil_tags(json_object_get(ap, "Tags"));
    untagged = !json_object_get(tags, RESUTIL_TAG_STACK);
    json_decref(tags);
    if (untagged && r->fs_id)
        add_untagged(r->set, ap);
    else if (untagged)
        json_array_append(r->untagged, (json_t *)ap);
    if (untagged)
        return 0;
    got = ap_attrs(ap);
    resutil_add_read(r->set, &efs_access_point_type, r->stack, efsutil_str(got, "id"),
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
static int ap_read(struct session *s, const char *stack, struct live_set *set, struct diag *d)
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

/* The access point made with a client token, found after AccessPointAlreadyExists. */
struct by_token {
    const char *token;
    json_t *found;
};

static int find_token(const json_t *ap, void *arg)
{
    struct by_token *f = arg;
    const char *token = efsutil_str(ap, "ClientToken");

    if (!f->found && token && strcmp(token, f->token) == 0 &&
        !is_going(efsutil_str(ap, "LifeCycleState")))
        f->found = json_incref((json_t *)ap);
    return 0;
}

/*
 * CreateAccessPoint with its tags and ClientToken c->token: sent again (a retry after a lost
 * response, a run after a crash) AWS answers AccessPointAlreadyExists, and the file system's
 * access point with that token is adopted. Not ready at once: "creating", then "available".
 */
static int ap_create(struct session *s, const struct restype_call *c, const json_t *desired,
                     struct live_set *set, struct live_obj **out, struct diag *d)
{
    static const char *const exists[] = {"AccessPointAlreadyExists", NULL};
    const struct restype *t = &efs_access_point_type;
    const char *fs_id = resutil_want_str(t, desired, "file_system_id");
    json_t *tags = NULL, *body, *user = json_object_get(desired, "posix_user");
    json_t *root = json_object_get(desired, "root_directory"), *got = NULL;
    struct by_token f = {c->token, NULL};
    struct apicall call;
    int r, ret = -1;

    *out = NULL;
    if (resutil_check_required(t, c->cairn_id, desired, d) < 0)
        return -1;
    if (!c->token) {
        diag_error(d, NULL, "efs.access_point %s: no idempotency token", c->cairn_id);
        return -1;
    }
    tags = resutil_tags_want(c, desired);
    body = json_pack("{s:s, s:s, s:o}", "ClientToken", c->token, "FileSystemId", fs_id, "Tags",
                     resutil_tags_to_list(tags, "Key", "Value"));
    if (json_is_object(user))
        json_object_set_new(body, "PosixUser", api_posix_user(user));
    if (json_is_object(root))
        json_object_set_new(body, "RootDirectory", api_root_directory(root));
    efsutil_init(&call, "CreateAccessPoint", "POST", "access-points", NULL, NULL);
    apicall_json(&call, body);
    if ((r = efsutil_send(s, &call, exists, d)) < 0)
        goto out;
    if (r == 0) {
        got = ap_attrs(call.out);
    } else {
        if (list_aps(s, fs_id, find_token, &f, NULL, d) < 0)
            goto out;
        if (!f.found) {
            diag_error(d, NULL, "efs CreateAccessPoint: %s (%s): %s", call.err.code, c->cairn_id,
                       call.err.message);
            goto out;
        }
        got = ap_attrs(f.found);
    }
    *out = resutil_add_created(set, t, c, got, d);
    ret = *out ? 0 : -1;
out:
    json_decref(f.found);
    json_decref(tags);
    apicall_release(&call);
    return ret;
}

/* Access points cannot change; only their tags do (TagResource/UntagResource). */
static int ap_update(struct session *s, const struct restype_call *c, const json_t *desired,
                     struct live_obj *live, const char *const *changed, size_t nchanged,
                     struct diag *d)
{
    for (size_t i = 0; i < nchanged; i++) {
        if (strcmp(changed[i], "tags") != 0) {
            diag_error(d, NULL, "efs.access_point %s: %s cannot change in place", live->id,
                       changed[i]);
            return -1;
        }
        if (efsutil_update_tags(s, c, desired, live, d) < 0)
            return -1;
    }
    return 0;
}

/*
 * One DescribeAccessPoints of the access point: "available" is ready (live's attributes are
 * refreshed, its tags aside), "creating" (or not listed yet) is not, anything else failed.
 */
static int ap_ready(struct session *s, struct live_obj *live, struct diag *d)
{
    struct apicall c;
    json_t *ap, *now;
    const char *state;
    int r;

    efsutil_init(&c, "DescribeAccessPoints", "GET", "access-points", NULL, NULL);
    apicall_param(&c, "AccessPointId", live->id);
    if ((r = efsutil_send(s, &c, ap_not_found, d)) != 0 ||
        !(ap = json_array_get(json_object_get(c.out, "AccessPoints"), 0))) {
        r = r < 0 ? -1 : 0;
        goto out;
    }
    state = efsutil_str(ap, "LifeCycleState");
    if (state && strcmp(state, "available") == 0) {
        now = ap_attrs(ap);
        json_object_del(now, "tags");
        json_object_update(live->attrs, now);
        json_decref(now);
        r = 1;
    } else if (!state || strcmp(state, "creating") == 0) {
        r = 0;
    } else {
        diag_error(d, NULL, "efs.access_point %s: state %s", live->id, state);
        r = -1;
    }
out:
    apicall_release(&c);
    return r;
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
    .update = ap_update,
    /* DeleteAccessPoint; already gone counts as done. */
    .remove = resutil_remove,
    .del = {.op = "DeleteAccessPoint", .path = "/2015-02-01/access-points/%s"},
    .normalize = ap_normalize,
    .ready = ap_ready,
    .wait_seconds = 300,
    .restore = &restore_hooks,
};

/* IAM actions (cairn policy): what read calls; what create, update, remove and ready add. */
static const char *const read_actions[] = {"elasticfilesystem:DescribeFileSystems",
                                           "elasticfilesystem:DescribeAccessPoints", NULL};
static const char *const write_actions[] = {
    "elasticfilesystem:CreateAccessPoint", "elasticfilesystem:TagResource",
    "elasticfilesystem:UntagResource", "elasticfilesystem:DeleteAccessPoint", NULL};

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
