/* efs.file_system: an EFS file system. */
#include "agent/live.h"
#include "agent/resources/efsutil.h"
#include "agent/resources/types.h"
#include "agent/resources/resmap.h"
#include "aws/session.h"

#include <stdio.h>
#include <string.h>

static const char *const performance_values[] = {"generalPurpose", "maxIO", NULL};
static const char *const throughput_values[] = {"bursting", "provisioned", "elastic", NULL};
static const char *const to_ia_values[] = {
    "AFTER_1_DAY",   "AFTER_7_DAYS",   "AFTER_14_DAYS",  "AFTER_30_DAYS",  "AFTER_60_DAYS",
    "AFTER_90_DAYS", "AFTER_180_DAYS", "AFTER_270_DAYS", "AFTER_365_DAYS", NULL};
static const char *const to_primary_values[] = {"AFTER_1_ACCESS", NULL};

static const struct attr lifecycle_fields[] = {
    {.name = "transition_to_ia",
     .type = VT_STRING,
     .member = "TransitionToIA",
     .values = to_ia_values,
     .doc = "When files not accessed move to Infrequent Access."},
    {.name = "transition_to_primary_storage_class",
     .type = VT_STRING,
     .member = "TransitionToPrimaryStorageClass",
     .values = to_primary_values,
     .doc = "When files move back to Standard storage."},
    {.name = "transition_to_archive",
     .type = VT_STRING,
     .member = "TransitionToArchive",
     .values = to_ia_values,
     .doc = "When files not accessed move to Archive."},
    {0},
};

static const struct attr attrs[] = {
    {.name = "encrypted",
     .type = VT_BOOL,
     .member = "Encrypted",
     .flags = ATTR_REPLACE,
     .def = "true",
     .doc = "Whether data is encrypted at rest; cairn's default is true where the API's is "
            "false."},
    {.name = "kms_key_id",
     .type = VT_STRING,
     .member = "KmsKeyId",
     .flags = ATTR_REPLACE,
     .doc = "The KMS key (its ID or ARN) that encrypts the data; AWS's aws/elasticfilesystem "
            "key when omitted. AWS answers the key's ARN, so an alias shows as a difference."},
    {.name = "performance_mode",
     .type = VT_STRING,
     .member = "PerformanceMode",
     .flags = ATTR_REPLACE,
     .def = "generalPurpose",
     .values = performance_values,
     .doc = "The performance mode; AWS recommends generalPurpose for all file systems."},
    {.name = "throughput_mode",
     .type = VT_STRING,
     .member = "ThroughputMode",
     .def = "bursting",
     .values = throughput_values,
     .doc = "How throughput is provided: bursting scales with the size stored."},
    {.name = "provisioned_throughput_in_mibps",
     .type = VT_INT,
     .min = 1,
     .max = 3414,
     .doc = "The throughput in MiB/s when throughput_mode is provisioned (the upper limit "
            "depends on the Region)."},
    {.name = "availability_zone_name",
     .type = VT_AZ,
     .member = "AvailabilityZoneName",
     .flags = ATTR_REPLACE,
     .doc = "For One Zone storage, the Availability Zone; omitted, the file system is Regional."},
    {.name = "lifecycle_policies",
     .type = VT_LIST,
     .elem = VT_OBJECT,
     .fields = lifecycle_fields,
     .min = 0,
     .max = 3,
     .doc = "When files move between storage classes (PutLifecycleConfiguration); omitted or "
            "empty, they never move."},
    RESTYPE_TAGS,
    {.name = "id",
     .type = VT_STRING,
     .member = "FileSystemId",
     .flags = ATTR_COMPUTED,
     .doc = "The file system's ID (fs-...)."},
    {.name = "arn",
     .type = VT_ARN,
     .member = "FileSystemArn",
     .flags = ATTR_COMPUTED,
     .doc = "The file system's ARN, which a backup selection takes."},
    /* Derived from the stack and logical name: an interrupted create is adopted, not repeated. */
    {.name = "creation_token",
     .type = VT_STRING,
     .member = "CreationToken",
     .flags = ATTR_COMPUTED | ATTR_REPLACE,
     .doc = "The idempotency token cairn creates the file system with (CreationToken)."},
    {0},
};

/*
 * Policies as a list of one-transition objects, names taken from the from side
 * (0: the table's, 1: the API's members) to the other (or the same).
 * AWS takes and answers one transition per policy object, while a stack may
 * write several in one: both are read into this form. New array.
 */
static json_t *split_policies(const json_t *policies, int from_api, int to_api)
{
    json_t *out = json_array(), *p;
    size_t i;

    json_array_foreach(policies, i, p)
    {
        for (const struct attr *a = lifecycle_fields; a->name; a++) {
            const char *v = efsutil_str(p, from_api ? a->member : a->name);
            if (v)
                json_array_append_new(out, json_pack("{s:s}", to_api ? a->member : a->name, v));
        }
    }
    return out;
}

/* The attributes of a FileSystemDescription (lifecycle policies are read apart). */
static json_t *fs_attrs(const json_t *fs)
{
    json_t *a = resmap_read(attrs, fs),
           *mibps = json_object_get(fs, "ProvisionedThroughputInMibps");

    /* A double in the API, whole MiB/s in the table: 128.0 reads as 128. */
    if (json_is_number(mibps) && json_number_value(mibps) >= 1 &&
        json_number_value(mibps) == (double)(json_int_t)json_number_value(mibps))
        json_object_set_new(a, "provisioned_throughput_in_mibps",
                            json_integer((json_int_t)json_number_value(mibps)));
    json_object_set_new(a, "tags", efsutil_tags(json_object_get(fs, "Tags")));
    return a;
}

/* DescribeLifecycleConfiguration: the policies of file system id, in the table's form. */
static int read_policies(struct session *s, const char *id, json_t **out, struct diag *d)
{
    struct apicall c;
    int ret = -1;

    *out = NULL;
    efsutil_init(&c, "DescribeLifecycleConfiguration", "GET", "file-systems", id,
                 "lifecycle-configuration");
    if (dialect_send(s, &c, 0, d) < 0)
        goto out;
    *out = split_policies(json_object_get(c.out, "LifecyclePolicies"), 1, 0);
    ret = 0;
out:
    apicall_release(&c);
    return ret;
}

struct read_arg {
    const char *stack;
    struct live_set *set;
};

static int read_fs(struct session *s, const json_t *fs, void *arg, struct diag *d)
{
    struct read_arg *r = arg;
    json_t *got = fs_attrs(fs), *policies;

    if (read_policies(s, efsutil_str(fs, "FileSystemId"), &policies, d) < 0) {
        json_decref(got);
        return -1;
    }
    json_object_set_new(got, "lifecycle_policies", policies);
    resutil_add_read(r->set, &efs_file_system_type, r->stack, efsutil_str(fs, "FileSystemId"),
                     json_object_get(got, "tags"), got);
    return 0;
}

/*
 * DescribeFileSystems (paginated; the tags come inline) for the stack's file systems, and one
 * DescribeLifecycleConfiguration each: DescribeFileSystems does not say the policies.
 */
static int fs_read(struct session *s, const struct restype *t, const char *stack,
                   struct live_set *set, struct diag *d)
{
    struct read_arg r = {stack, set};

    return efsutil_file_systems(s, stack, read_fs, &r, d);
}

/*
 * One DescribeFileSystems of the file system: "available" is ready (and live's attributes are
 * refreshed, but for the lifecycle policies and tags it does not say), "creating" or
 * "updating" (or not listed yet) is not, anything else failed.
 */
static int fs_ready(struct session *s, struct live_obj *live, struct diag *d)
{
    return efsutil_ready(s, &efsutil_file_system, live, fs_attrs, d);
}

/* fs_ready as a probe of efsutil_wait, arg the live object. */
static int available(struct session *s, void *arg, struct diag *d)
{
    return fs_ready(s, arg, d);
}

/* PutLifecycleConfiguration with policies in the API's form ([] removes them all). */
static int put_policies(struct session *s, const char *id, const json_t *policies, struct diag *d)
{
    struct apicall c;
    int ret;

    efsutil_init(&c, "PutLifecycleConfiguration", "PUT", "file-systems", id,
                 "lifecycle-configuration");
    apicall_json(&c, json_pack("{s:O}", "LifecyclePolicies", policies));
    ret = dialect_send(s, &c, 0, d);
    apicall_release(&c);
    return ret;
}

/* PutLifecycleConfiguration of desired's policies on live (a setter; c and row unused); its
 * attributes follow. */
static int set_policies(struct session *s, const struct restype_call *c, const json_t *desired,
                        struct live_obj *live, const struct resutil_setter *row, struct diag *d)
{
    json_t *want = resutil_want_json(&efs_file_system_type, desired, "lifecycle_policies");
    json_t *policies = split_policies(want, 0, 1);
    int r = put_policies(s, live->id, policies, d);

    (void)c, (void)row;
    if (r == 0)
        json_object_set_new(live->attrs, "lifecycle_policies", split_policies(policies, 1, 0));
    json_decref(want);
    json_decref(policies);
    return r;
}

/* The throughput members of CreateFileSystem and UpdateFileSystem: the MiB/s only with
 * provisioned throughput, where AWS takes them. */
static void put_mibps(const json_t *desired, json_t *body)
{
    const char *mode = resutil_want_str(&efs_file_system_type, desired, "throughput_mode");
    long long mibps =
        resutil_want_int(&efs_file_system_type, desired, "provisioned_throughput_in_mibps", 0);

    if (mibps > 0 && mode && strcmp(mode, "provisioned") == 0)
        json_object_set_new(body, "ProvisionedThroughputInMibps", json_integer(mibps));
}

/*
 * CreateFileSystem with its tags and CreationToken c->token: sent again (a retry after a lost
 * response, a run after a crash) it answers FileSystemAlreadyExists, and the file system made
 * with that token (DescribeFileSystems?CreationToken=) is adopted. Lifecycle policies need an
 * available file system, so a create that has some waits for it and then puts them; without
 * (the seed's []) it returns at once and the ready hook waits.
 */
static int fs_create(struct session *s, const struct restype_call *c, const json_t *desired,
                     struct live_set *set, struct live_obj **out, struct diag *d)
{
    const struct restype *t = &efs_file_system_type;
    const struct efsutil_adopt by_token = {NULL, "CreationToken", c->token, "CreationToken",
                                           c->token};
    json_t *want = NULL, *policies = NULL, *body = json_object(), *fs = NULL, *got;
    char what[160];
    int ret = -1;

    *out = NULL;
    resutil_create_body(t, c, desired, NULL, body);
    put_mibps(desired, body);
    if (efsutil_create(s, &efsutil_file_system, c, desired, body, &by_token, &fs, d) < 0)
        return -1;
    got = fs_attrs(fs);
    /* A new file system has no policies until they are put. */
    json_object_set_new(got, "lifecycle_policies", json_array());
    if (!(*out = resutil_add_created(set, t, c, got, d)))
        goto out;
    want = resutil_want_json(t, desired, "lifecycle_policies");
    policies = split_policies(want, 0, 1);
    snprintf(what, sizeof(what), "efs.file_system %s: not available for its lifecycle policies",
             (*out)->id);
    if (json_array_size(policies) && (efsutil_wait(s, available, *out, EFSUTIL_WAIT, what, d) < 0 ||
                                      set_policies(s, c, desired, *out, NULL, d) < 0))
        goto out;
    ret = 0;
out:
    json_decref(want);
    json_decref(policies);
    json_decref(fs);
    return ret;
}

/* UpdateFileSystem of the throughput mode (when it differs from live's) and MiB/s (a setter,
 * after the others); live's attributes follow the answer, its tags aside. */
static int set_throughput(struct session *s, const struct restype_call *c, const json_t *desired,
                          struct live_obj *live, const struct resutil_setter *row, struct diag *d)
{
    const char *mode = resutil_want_str(&efs_file_system_type, desired, "throughput_mode");
    const char *now_mode = efsutil_str(live->attrs, "throughput_mode");
    json_t *body = json_object();
    struct apicall call;
    int r;

    (void)c, (void)row;
    if (mode && (!now_mode || strcmp(mode, now_mode) != 0))
        json_object_set_new(body, "ThroughputMode", json_string(mode));
    put_mibps(desired, body);
    efsutil_init(&call, "UpdateFileSystem", "PUT", "file-systems", live->id, NULL);
    apicall_json(&call, body);
    if ((r = dialect_send(s, &call, 0, d)) == 0) {
        json_t *now = fs_attrs(call.out);
        json_object_del(now, "tags"); /* the answer's tags are not newer than ours */
        json_object_update(live->attrs, now);
        json_decref(now);
    }
    apicall_release(&call);
    return r;
}

/*
 * Throughput changes in place (UpdateFileSystem, once for both attributes; AWS allows a decrease
 * or a switch from provisioned once a day), lifecycle policies with PutLifecycleConfiguration,
 * tags with TagResource/UntagResource; the rest replaces.
 */
static const struct resutil_setter setters[] = {
    {"tags", efsutil_update_tags, RESUTIL_EACH, NULL},
    {"lifecycle_policies", set_policies, RESUTIL_EACH, NULL},
    {"throughput_mode", set_throughput, RESUTIL_AFTER, NULL},
    {"provisioned_throughput_in_mibps", set_throughput, RESUTIL_AFTER, NULL},
    {NULL, NULL, RESUTIL_EACH, NULL},
};

/*
 * DeleteFileSystem (resutil_remove), sent again while AWS answers FileSystemInUse: its mount
 * targets are removed first, but may still be deleting. Then wait until DescribeFileSystems
 * says FileSystemNotFound (or "deleted"): the subnets and security groups of its mount targets
 * can go only then. Already gone counts as done.
 */
static int fs_remove(struct session *s, const struct live_obj *live, unsigned how, struct diag *d)
{
    if (resutil_remove(s, live, how, d) < 0)
        return -1;
    return efsutil_wait_gone(s, &efsutil_file_system, live->id, d);
}

/* Lifecycle policies one transition per object, as AWS answers them; a KMS key ARN as the key
 * ID it ends with, so that a stack may name the key either way. */
static json_t *fs_normalize(const char *attr, const json_t *v)
{
    const char *s = json_string_value(v), *key;

    if (strcmp(attr, "lifecycle_policies") == 0 && json_is_array(v))
        return split_policies(v, 0, 0);
    if (strcmp(attr, "kms_key_id") == 0 && s && strncmp(s, "arn:", 4) == 0 &&
        (key = strstr(s, ":key/")))
        return json_string(key + 5);
    return NULL;
}

/* ------------------------------------------------------------ cairn restore's hooks */

/* What the restore hooks hand on: the each hook's function, or where describe puts its one. */
struct volumes {
    restype_each_fn fn;
    void *arg;
    json_t **first;
};

/* A description in the table's form, with the state and creation time restore reads, to the
 * restore's function (or kept, the first one, for describe). */
static int to_volume(struct session *s, const json_t *fs, void *arg, struct diag *d)
{
    struct volumes *v = arg;
    json_t *a = fs_attrs(fs);
    const char *state = efsutil_str(fs, "LifeCycleState");
    int r = 0;

    (void)s;
    if (state)
        json_object_set_new(a, "state", json_string(state));
    json_object_set_new(a, "created",
                        json_real(json_number_value(json_object_get(fs, "CreationTime"))));
    if (v->first && !*v->first)
        *v->first = json_incref(a);
    else if (v->fn)
        r = v->fn(a, v->arg, d);
    json_decref(a);
    return r;
}

/* DescribeFileSystems by FileSystemId or CreationToken (restype_restore.describe). */
static int fs_describe(struct session *s, const char *member, const char *value, json_t **out,
                       struct diag *d)
{
    struct volumes v = {NULL, NULL, out};
    int r;

    *out = NULL;
    if ((r = efsutil_list(s, &efsutil_file_system, member, value, to_volume, &v, NULL, d)) < 0) {
        json_decref(*out);
        *out = NULL;
    }
    return r;
}

/* Every file system of the region, paginated (restype_restore.each). */
static int fs_each(struct session *s, restype_each_fn fn, void *arg, struct diag *d)
{
    struct volumes v = {fn, arg, NULL};

    return efsutil_list(s, &efsutil_file_system, NULL, NULL, to_volume, &v, NULL, d);
}

/* What cairn restore calls beyond the types' own actions (restore.c, cmd_restore.c): the
 * recovery points and the restore job, and the checks after the re-point. */
static const char *const restore_actions[] = {
    "backup:DescribeRecoveryPoint",
    "backup:DescribeRestoreJob",
    "backup:GetRecoveryPointRestoreMetadata",
    "backup:ListRecoveryPointsByBackupVault",
    "backup:ListRestoreJobs",
    "backup:StartRestoreJob",
    "elasticfilesystem:DescribeAccessPoints",
    "elasticfilesystem:DescribeFileSystems",
    "elasticfilesystem:DescribeMountTargets",
    "elasticloadbalancing:DescribeTargetHealth",
    "servicediscovery:ListInstances",
    NULL,
};

static const struct restype_restore restore_hooks = {
    .describe = fs_describe,
    .each = fs_each,
    .retag = efsutil_retag,
    .source = &backup_vault_type,
    .actions = restore_actions,
};

static const struct restype_ops ops = {
    .read = fs_read,
    .create = fs_create,
    .setters = setters,
    .remove = fs_remove,
    .del = {.op = "DeleteFileSystem",
            .path = "/2015-02-01/file-systems/%s",
            .busy = "FileSystemInUse",
            .busy_seconds = EFSUTIL_WAIT},
    .normalize = fs_normalize,
    .ready = fs_ready,
    .wait_seconds = 600,
    .restore = &restore_hooks,
};

/* IAM actions (cairn policy): what read calls; what create, update, remove and ready add. */
static const char *const read_actions[] = {"elasticfilesystem:DescribeFileSystems",
                                           "elasticfilesystem:DescribeLifecycleConfiguration",
                                           NULL};
static const char *const write_actions[] = {
    "elasticfilesystem:CreateFileSystem", "elasticfilesystem:PutLifecycleConfiguration",
    "elasticfilesystem:UpdateFileSystem", "elasticfilesystem:DeleteFileSystem", NULL};

const struct restype efs_file_system_type = {
    .name = "efs.file_system",
    .service = "efs",
    .doc = "An EFS file system: elastic NFS storage that tasks in the VPC mount through mount "
           "targets.",
    .attrs = attrs,
    .taggable = 1,
    .ops = &ops,
    .read_actions = read_actions,
    .write_actions = write_actions,
};
