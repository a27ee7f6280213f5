/*
 * ecs.task_definition: what a task runs. A revision is immutable, so every
 * property but the tags replaces: the engine deregisters the old revision and
 * registers a new one of the family (services go on running the old one until
 * they are updated to the new ARN, which the plan does in the same run).
 */
#include "agent/diff.h"
#include "agent/live.h"
#include "agent/resources/tagindex.h"
#include "agent/resources/ecsutil.h"
#include "agent/resources/resmap.h"
#include "agent/resources/types.h"
#include "core/xmalloc.h"

#include <stdlib.h>
#include <string.h>

/* Fargate's task sizes; the memory that goes with each is in memory's doc. */
static const char *const cpu_values[] = {"256",  "512",  "1024",  "2048",
                                         "4096", "8192", "16384", NULL};
static const char *const network_mode_values[] = {"awsvpc", "bridge", "host", "none", NULL};
static const char *const compat_values[] = {"EC2", "FARGATE", "EXTERNAL", "MANAGED_INSTANCES",
                                            NULL};
static const char *const transport_values[] = {"tcp", "udp", NULL};
static const char *const app_protocol_values[] = {"http", "http2", "grpc", NULL};
static const char *const log_driver_values[] = {
    "awslogs", "awsfirelens", "json-file", "syslog", "journald", "gelf", "fluentd", "splunk", NULL};
static const char *const enabled_values[] = {"ENABLED", "DISABLED", NULL};
static const char *const arch_values[] = {"X86_64", "ARM64", NULL};

static const struct attr port_mapping_fields[] = {
    {.name = "container_port",
     .type = VT_PORT,
     .flags = ATTR_REQUIRED,
     .doc = "The port the container listens on."},
    {.name = "host_port",
     .type = VT_PORT,
     .doc = "The host port; under awsvpc it equals container_port, which AWS fills in."},
    {.name = "protocol",
     .type = VT_STRING,
     .def = "tcp",
     .values = transport_values,
     .doc = "The transport protocol."},
    {.name = "name", .type = VT_STRING, .doc = "A name for the mapping (Service Connect)."},
    {.name = "app_protocol",
     .type = VT_STRING,
     .values = app_protocol_values,
     .doc = "The application protocol (Service Connect)."},
    {0},
};

static const struct attr secret_fields[] = {
    {.name = "name",
     .type = VT_STRING,
     .flags = ATTR_REQUIRED,
     .doc = "The environment variable that receives the secret."},
    {.name = "value_from",
     .type = VT_STRING,
     .flags = ATTR_REQUIRED,
     .ref_type = "secretsmanager.secret",
     .doc = "The secret's ARN, optionally followed by :json-key:version-stage:version-id."},
    {0},
};

static const struct attr mount_point_fields[] = {
    {.name = "source_volume",
     .type = VT_STRING,
     .flags = ATTR_REQUIRED,
     .doc = "The name of a volume of the task definition."},
    {.name = "container_path",
     .type = VT_STRING,
     .flags = ATTR_REQUIRED,
     .doc = "Where the volume appears in the container, for example /prometheus."},
    {.name = "read_only",
     .type = VT_BOOL,
     .def = "false",
     .doc = "Whether the container may only read the volume."},
    {0},
};

static const struct attr log_configuration_fields[] = {
    {.name = "log_driver",
     .type = VT_STRING,
     .flags = ATTR_REQUIRED,
     .values = log_driver_values,
     .doc = "The log driver; Fargate supports awslogs, splunk and awsfirelens."},
    {.name = "options",
     .type = VT_MAP,
     .doc = "Driver options, for awslogs: awslogs-group, awslogs-region, awslogs-stream-prefix."},
    {0},
};

static const struct attr health_check_fields[] = {
    {.name = "command",
     .type = VT_LIST,
     .elem = VT_STRING,
     .flags = ATTR_REQUIRED | ATTR_ORDERED,
     .doc = "The check, starting with CMD or CMD-SHELL, for example [CMD-SHELL, curl -f "
            "http://localhost:3000/api/health || exit 1]."},
    {.name = "interval",
     .type = VT_INT,
     .def = "30",
     .min = 5,
     .max = 300,
     .doc = "Seconds between checks."},
    {.name = "timeout",
     .type = VT_INT,
     .def = "5",
     .min = 2,
     .max = 60,
     .doc = "Seconds a check may take before it counts as failed."},
    {.name = "retries",
     .type = VT_INT,
     .def = "3",
     .min = 1,
     .max = 10,
     .doc = "Failed checks in a row that make the container unhealthy."},
    {.name = "start_period",
     .type = VT_INT,
     .def = "0",
     .min = 0,
     .max = 300,
     .doc = "Seconds after start during which failures do not count."},
    {0},
};

static const struct attr container_fields[] = {
    {.name = "name",
     .type = VT_STRING,
     .flags = ATTR_REQUIRED,
     .doc = "The container's name, unique in the task definition."},
    {.name = "image",
     .type = VT_STRING,
     .flags = ATTR_REQUIRED,
     .doc = "The image, repository:tag or repository@digest."},
    {.name = "essential",
     .type = VT_BOOL,
     .def = "true",
     .doc = "Whether the task stops when this container stops."},
    {.name = "cpu",
     .type = VT_INT,
     .def = "0",
     .min = 0,
     .max = 196608,
     .doc = "CPU units reserved for the container, out of the task's."},
    {.name = "memory",
     .type = VT_INT,
     .min = 6,
     .max = 122880,
     .doc = "The memory in MiB above which the container is killed."},
    {.name = "memory_reservation",
     .type = VT_INT,
     .min = 6,
     .max = 122880,
     .doc = "The memory in MiB reserved for the container."},
    {.name = "port_mappings",
     .type = VT_LIST,
     .elem = VT_OBJECT,
     .fields = port_mapping_fields,
     .doc = "The ports the container exposes."},
    {.name = "environment",
     .type = VT_MAP,
     .doc = "Environment variables, written as a map (the API's list of name/value pairs)."},
    {.name = "secrets",
     .type = VT_LIST,
     .elem = VT_OBJECT,
     .fields = secret_fields,
     .doc = "Environment variables whose values ECS reads from Secrets Manager at start."},
    {.name = "mount_points",
     .type = VT_LIST,
     .elem = VT_OBJECT,
     .fields = mount_point_fields,
     .doc = "Where the task's volumes appear in the container."},
    {.name = "log_configuration",
     .type = VT_OBJECT,
     .fields = log_configuration_fields,
     .doc = "Where the container's output goes."},
    {.name = "health_check",
     .type = VT_OBJECT,
     .fields = health_check_fields,
     .doc = "A command Docker runs in the container to tell whether it is healthy."},
    {.name = "command",
     .type = VT_LIST,
     .elem = VT_STRING,
     .flags = ATTR_ORDERED,
     .doc = "Arguments that replace the image's CMD."},
    {.name = "entry_point",
     .type = VT_LIST,
     .elem = VT_STRING,
     .flags = ATTR_ORDERED,
     .doc = "A command that replaces the image's ENTRYPOINT."},
    {.name = "user",
     .type = VT_STRING,
     .doc = "The user the container runs as: name, uid, uid:gid or user:group."},
    {.name = "working_directory", .type = VT_STRING, .doc = "The directory commands run in."},
    {.name = "readonly_root_filesystem",
     .type = VT_BOOL,
     .def = "false",
     .doc = "Whether the container's root file system is read-only."},
    {0},
};

static const struct attr authorization_fields[] = {
    {.name = "access_point_id",
     .type = VT_STRING,
     .ref_type = "efs.access_point",
     .doc = "The access point to mount through; needs transit_encryption ENABLED."},
    {.name = "iam",
     .type = VT_STRING,
     .def = "DISABLED",
     .values = enabled_values,
     .doc = "Whether the mount uses the task role, so the file system policy applies to it."},
    {0},
};

static const struct attr efs_volume_fields[] = {
    {.name = "file_system_id",
     .type = VT_STRING,
     .flags = ATTR_REQUIRED,
     .ref_type = "efs.file_system",
     .doc = "The file system to mount."},
    {.name = "root_directory",
     .type = VT_STRING,
     .def = "/",
     .doc = "The directory of the file system to mount; / (or omitted) with an access point."},
    {.name = "transit_encryption",
     .type = VT_STRING,
     .def = "DISABLED",
     .values = enabled_values,
     .doc = "Whether NFS traffic is encrypted with TLS."},
    {.name = "transit_encryption_port",
     .type = VT_PORT,
     .doc = "The local port of the TLS tunnel; ECS picks one when omitted."},
    {.name = "authorization_config",
     .type = VT_OBJECT,
     .fields = authorization_fields,
     .doc = "The access point and IAM authorization of the mount."},
    {0},
};

static const struct attr volume_fields[] = {
    {.name = "name",
     .type = VT_STRING,
     .flags = ATTR_REQUIRED,
     .doc = "The volume's name, which mount points' source_volume refers to."},
    {.name = "efs_volume_configuration",
     .type = VT_OBJECT,
     .fields = efs_volume_fields,
     .doc = "An EFS file system as the volume."},
    {0},
};

static const struct attr runtime_platform_fields[] = {
    {.name = "cpu_architecture",
     .type = VT_STRING,
     .values = arch_values,
     .doc = "The CPU architecture the images are built for."},
    {0},
};

static const struct attr attrs[] = {
    {.name = "family",
     .type = VT_STRING,
     .flags = ATTR_NAME | ATTR_REPLACE,
     .doc = "The family, the task definition's name; each change registers a new revision of "
            "it."},
    {.name = "cpu",
     .type = VT_INT,
     .flags = ATTR_REQUIRED | ATTR_REPLACE,
     .values = cpu_values,
     .doc = "The task's CPU units (1024 is one vCPU), one of Fargate's sizes."},
    {.name = "memory",
     .type = VT_INT,
     .flags = ATTR_REQUIRED | ATTR_REPLACE,
     .min = 512,
     .max = 122880,
     .doc = "The task's memory in MiB, which Fargate allows per cpu as: 256: 512, 1024 or 2048; "
            "512: 1024-4096; 1024: 2048-8192; 2048: 4096-16384; 4096: 8192-30720, in steps of "
            "1024; 8192: 16384-61440 in steps of 4096; 16384: 32768-122880 in steps of 8192."},
    {.name = "network_mode",
     .type = VT_STRING,
     .flags = ATTR_REPLACE,
     .def = "awsvpc",
     .values = network_mode_values,
     .doc = "The Docker network mode; cairn's default is awsvpc, which Fargate needs (the API's "
            "is bridge)."},
    {.name = "requires_compatibilities",
     .type = VT_LIST,
     .elem = VT_STRING,
     .flags = ATTR_REPLACE,
     .def = "[\"FARGATE\"]",
     .values = compat_values,
     .doc = "The launch types the task definition is checked against; cairn's default is "
            "[FARGATE] (the API's is none, which allows EC2 only)."},
    {.name = "execution_role_arn",
     .type = VT_ARN,
     .flags = ATTR_REPLACE,
     .ref_type = "iam.role",
     .doc = "The role ECS uses to pull images, write logs and read secrets for the task."},
    {.name = "task_role_arn",
     .type = VT_ARN,
     .flags = ATTR_REPLACE,
     .ref_type = "iam.role",
     .doc = "The role the containers' own AWS calls use."},
    {.name = "container_definitions",
     .type = VT_LIST,
     .elem = VT_OBJECT,
     .flags = ATTR_REQUIRED | ATTR_REPLACE,
     .fields = container_fields,
     .min = 1,
     .max = 10,
     .doc = "The containers of the task."},
    {.name = "volumes",
     .type = VT_LIST,
     .elem = VT_OBJECT,
     .flags = ATTR_REPLACE,
     .fields = volume_fields,
     .doc = "Volumes the containers can mount."},
    {.name = "runtime_platform",
     .type = VT_OBJECT,
     .flags = ATTR_REPLACE,
     .fields = runtime_platform_fields,
     .doc = "The platform the task runs on."},
    RESTYPE_TAGS,
    {.name = "arn",
     .type = VT_ARN,
     .flags = ATTR_COMPUTED,
     .doc = "The ARN of the current revision (family:revision), which an ECS service's "
            "task_definition takes."},
    {.name = "revision",
     .type = VT_INT,
     .flags = ATTR_COMPUTED,
     .doc = "The revision number within the family."},
    {.name = "id", .type = VT_ARN, .flags = ATTR_COMPUTED, .doc = "The revision's ARN, as arn."},
    {0},
};

/* The attributes of a revision as DescribeTaskDefinition or RegisterTaskDefinition give it. */
static json_t *parse(const json_t *td)
{
    json_t *a = ecsutil_from_api(attrs, td);
    const char *arn = json_string_value(json_object_get(td, "taskDefinitionArn"));

    if (arn) {
        json_object_set_new(a, "arn", json_string(arn));
        json_object_set_new(a, "id", json_string(arn));
    }
    json_object_set(a, "revision", json_object_get(td, "revision"));
    return a;
}

/* The revision number at the end of a task definition's ARN (family:revision), or 0. */
static long long revision_of(const json_t *arn)
{
    const char *s = json_string_value(arn), *colon = s ? strrchr(s, ':') : NULL;

    return colon ? strtoll(colon + 1, NULL, 10) : 0;
}

static int newest_first(const void *a, const void *b)
{
    long long ra = revision_of(*(json_t *const *)a), rb = revision_of(*(json_t *const *)b);

    return ra < rb ? 1 : ra > rb ? -1 : 0;
}

/* arns sorted by revision, newest first: ListTaskDefinitions' sort DESC says so too, but moto
 * ignores it. New array. */
static json_t *sorted_newest_first(const json_t *arns)
{
    size_t n = json_array_size(arns);
    json_t **v = xcalloc(n + 1, sizeof(*v)), *out = json_array();

    for (size_t i = 0; i < n; i++)
        v[i] = json_array_get(arns, i);
    qsort(v, n, sizeof(*v), newest_first);
    for (size_t i = 0; i < n; i++)
        json_array_append(out, v[i]);
    free(v);
    return out;
}

/* The tag that records what a revision was registered with (diff_digest of the desired
 * attributes): a revision never changes, so while the stack asks for the same, a read needs no
 * DescribeTaskDefinition. Kept out of the "tags" attribute, which the planner compares. */
#define TAG_DIGEST "cairn:digest"

/* The revision at arn as DescribeTaskDefinition (with tags) gives it: *got_attrs, *tags new. */
static int describe(struct session *s, const char *arn, json_t **got_attrs, json_t **tags,
                    struct diag *d)
{
    json_t *got;

    if (dialect_call(s, "ecs", "DescribeTaskDefinition",
                     json_pack("{s:s, s:[s]}", "taskDefinition", arn, "include", "TAGS"), 0, &got,
                     d) != 0)
        return -1;
    *got_attrs = parse(json_object_get(got, "taskDefinition"));
    *tags = resutil_tags_from_list(json_object_get(got, "tags"), "key", "value");
    json_object_del(*tags, TAG_DIGEST);
    json_decref(got);
    return 0;
}

/* The revisions of a read that carry no digest (registered before cairn recorded one), each
 * described into a set of its own on a worker of its own. */
struct describe_job {
    const char *stack;
    json_t *arns;
    struct live_set *got;
};

static int describe_one(struct session *s, size_t i, void *arg, struct diag *d)
{
    struct describe_job *j = arg;
    const char *arn = json_string_value(json_array_get(j->arns, i));
    json_t *got_attrs, *tags;

    if (describe(s, arn, &got_attrs, &tags, d) < 0)
        return -1;
    resutil_add_read(&j->got[i], &ecs_task_definition_type, j->stack, arn, tags, got_attrs);
    json_decref(tags);
    return 0;
}

/* Whether the family in a revision's ARN (.../task-definition/<family>:<revision>) starts with
 * the stack's name, as the default physical name, <stack>-<resource>, does. */
static int family_of_stack(const char *arn, const char *stack)
{
    const char *f = arn ? strstr(arn, ":task-definition/") : NULL;

    return f && strncmp(f + strlen(":task-definition/"), stack, strlen(stack)) == 0;
}

/* A revision the stack registered with a digest: its ARN, revision, family and tags only. */
static void add_digested(struct live_set *set, const char *stack, const char *arn, json_t *tags)
{
    const char *f = strstr(arn, ":task-definition/") + strlen(":task-definition/");
    const char *colon = strrchr(f, ':');
    json_t *got_attrs = json_pack("{s:s, s:s, s:I, s:s%}", "arn", arn, "id", arn, "revision",
                                  (json_int_t)(colon ? strtoll(colon + 1, NULL, 10) : 0), "family",
                                  f, (size_t)(colon ? (size_t)(colon - f) : strlen(f)));
    struct live_obj *o;
    char *digest = xstrdup(json_string_value(json_object_get(tags, TAG_DIGEST)));

    json_object_del(tags, TAG_DIGEST);
    if ((o = resutil_add_read(set, &ecs_task_definition_type, stack, arn, tags, got_attrs)))
        o->digest = digest;
    else
        free(digest);
    json_decref(tags);
}

/* The stack's revisions in arns (newest first) as [[arn, tags], ...], and how many claim each
 * cairn:id; in unindexed, the revisions of the stack's families the index lacks (another's, or
 * registered seconds ago: the tagging API is eventually consistent), to be described. */
static void claims_of(const json_t *arns, const json_t *index, const char *stack, json_t *mine,
                      json_t *claims, json_t *unindexed)
{
    size_t i;
    json_t *arn;

    json_array_foreach(arns, i, arn)
    {
        const json_t *tags = tagindex_get(index, json_string_value(arn));
        const char *id = json_string_value(json_object_get(tags, RESUTIL_TAG_ID));
        if (!family_of_stack(json_string_value(arn), stack))
            continue;
        if (!tags) {
            json_array_append(unindexed, arn);
            continue;
        }
        json_array_append_new(mine, json_pack("[O, O]", arn, tags));
        if (id)
            json_object_set_new(claims, id,
                                json_integer(json_integer_value(json_object_get(claims, id)) + 1));
    }
}

/*
 * The stack's ACTIVE revisions, newest first (so that when a crash left more than one with the
 * same cairn:id the planner keeps the newest: live_find takes the first, and deletes the
 * others). ECS has no filter by tag, so the read goes by name and by the stack's tag index: one
 * ListTaskDefinitions of the ACTIVE revisions (paginated), those of families starting with the
 * stack's name, their tags from the index (resources/tagindex.h; a revision missing there is
 * described: registered by hand or by another stack, or seconds ago). A revision with a digest tag
 * is added without its attributes (live_obj digest, ops detail); one without (registered by an
 * older cairn) gets a DescribeTaskDefinition, the revisions in parallel.
 */
static int td_read(struct session *s, const struct restype *t, const char *stack,
                   struct live_set *set, struct diag *d)
{
    struct describe_job j = {stack, json_array(), NULL};
    json_t *listed = json_array(), *arns = NULL, *index = NULL, *arn;
    json_t *mine = json_array(), *claims = json_object(), *m;
    size_t i, n;
    int ret = -1;

    if (dialect_list(s, "ecs", "ListTaskDefinitions",
                     json_pack("{s:s, s:s}", "status", "ACTIVE", "sort", "DESC"),
                     "taskDefinitionArns", resutil_collect, listed, d) < 0)
        goto out;
    arns = sorted_newest_first(listed);
    json_array_foreach(arns, i, arn)
    {
        if (family_of_stack(json_string_value(arn), stack)) {
            if (tagindex_read(s, stack, &index, d) < 0)
                goto out;
            break;
        }
    }
    claims_of(arns, index, stack, mine, claims, j.arns);
    /* A digest is a claim in a tag, which a revision registered by hand with the stack's tags
     * copied over carries too: where two revisions claim one resource, both are described. */
    json_array_foreach(mine, i, m)
    {
        const json_t *tags = json_array_get(m, 1);
        const char *id = json_string_value(json_object_get(tags, RESUTIL_TAG_ID));
        arn = json_array_get(m, 0);
        if (json_is_string(json_object_get(tags, TAG_DIGEST)) &&
            (!id || json_integer_value(json_object_get(claims, id)) == 1))
            add_digested(set, stack, json_string_value(arn), json_deep_copy(tags));
        else
            json_array_append(j.arns, arn);
    }
    n = json_array_size(j.arns);
    j.got = xcalloc(n + 1, sizeof(*j.got));
    for (i = 0; i < n; i++)
        live_set_init(&j.got[i]);
    ret = live_parallel(s, n, describe_one, &j, d);
    for (i = 0; i < n; i++)
        live_set_take(set, &j.got[i]);
    free(j.got);
out:
    json_decref(mine);
    json_decref(claims);
    json_decref(j.arns);
    json_decref(index);
    json_decref(arns);
    json_decref(listed);
    return ret;
}

/* The attributes of a revision read with its digest only (live_detail). */
static int td_detail(struct session *s, struct live_obj *o, struct diag *d)
{
    json_t *got_attrs, *tags;

    if (describe(s, o->id, &got_attrs, &tags, d) < 0)
        return -1;
    json_object_set(got_attrs, "tags", json_object_get(o->attrs, "tags"));
    json_decref(o->attrs);
    o->attrs = got_attrs;
    json_decref(tags);
    return 0;
}

/*
 * RegisterTaskDefinition: a new revision of the family, with its tags. The API has no
 * idempotency token: a registration repeated after a lost answer makes a second revision,
 * which the next plan deletes (the read lists the newest first). cpu and memory go as text,
 * as the API wants; network_mode and requires_compatibilities are sent even when left out
 * (cairn's defaults, awsvpc and [FARGATE], are not the API's).
 * Ready at once.
 */
static int td_create(struct session *s, const struct restype_call *c, const json_t *desired,
                     struct live_set *set, struct live_obj **out, struct diag *d)
{
    const struct restype *t = &ecs_task_definition_type;
    const char *family = resutil_create_name(t, c, desired, d);
    json_t *body, *got = NULL, *tags, *parsed, *v, *sent;
    char digest[DIFF_DIGEST_LEN + 1];
    int ret = -1;

    *out = NULL;
    if (!family)
        return -1;
    body = ecsutil_to_api(attrs, desired);
    json_object_set_new(body, "family", json_string(family));
    json_object_set_new(body, "networkMode",
                        json_string(resutil_want_str(t, desired, "network_mode")));
    if (!json_object_get(body, "requiresCompatibilities") &&
        (v = resutil_want_json(t, desired, "requires_compatibilities")))
        json_object_set_new(body, "requiresCompatibilities", v);
    if ((v = diff_as_text(json_object_get(body, "cpu"))))
        json_object_set_new(body, "cpu", v);
    if ((v = diff_as_text(json_object_get(body, "memory"))))
        json_object_set_new(body, "memory", v);
    tags = resutil_tags_want(c, desired);
    diff_digest(t, desired, digest);
    sent = json_deep_copy(tags);
    json_object_set_new(sent, TAG_DIGEST, json_string(digest));
    json_object_set_new(body, "tags", resutil_tags_to_list(sent, "key", "value"));
    json_decref(sent);
    if (dialect_call(s, "ecs", "RegisterTaskDefinition", body, 0, &got, d) != 0)
        goto out;
    parsed = parse(json_object_get(got, "taskDefinition"));
    json_object_set(parsed, "tags", tags);
    if (!(*out = resutil_add_created(set, t, c, parsed, d)))
        goto out;
    ret = 0;
out:
    json_decref(tags);
    json_decref(got);
    return ret;
}

/*
 * DeregisterTaskDefinition: the revision becomes INACTIVE, which services still running it
 * may go on using. When AWS refuses, a DescribeTaskDefinition tells whether it is INACTIVE or
 * gone already, which counts as done. Then DeleteTaskDefinitions, so that nothing tagged with
 * the stack stays behind: AWS keeps the revision (DELETE_IN_PROGRESS) until no task or
 * service uses it, so a service still on it during a replacement is not disturbed.
 */
static int td_remove(struct session *s, const struct live_obj *live, unsigned how, struct diag *d)
{
    struct diag first;
    json_t *got = NULL;
    const char *status;
    int ret = -1, rc;

    (void)how;
    diag_init(&first);
    if (dialect_call(s, "ecs", "DeregisterTaskDefinition",
                     json_pack("{s:s}", "taskDefinition", live->id), 0, NULL, &first) < 0) {
        rc = dialect_call(s, "ecs", "DescribeTaskDefinition",
                          json_pack("{s:s}", "taskDefinition", live->id), DIALECT_TELL_GONE, &got,
                          d);
        status =
            json_string_value(json_object_get(json_object_get(got, "taskDefinition"), "status"));
        if (rc == DIALECT_GONE) { /* gone already (ECS says so with a ClientException) */
            ret = 0;
            goto out;
        }
        if (rc < 0 || !status || strcmp(status, "ACTIVE") == 0) {
            for (size_t i = 0; i < first.n; i++)
                diag_error(d, NULL, "%s", first.v[i].msg);
            goto out;
        }
    }
    /* Failures come back in the answer (a revision already deleted is one): not an error. */
    if (dialect_call(s, "ecs", "DeleteTaskDefinitions",
                     json_pack("{s:[s]}", "taskDefinitions", live->id), DIALECT_GONE_OK, NULL,
                     d) < 0)
        goto out;
    ret = 0;
out:
    json_decref(got);
    diag_release(&first);
    return ret;
}

/* An integer written as a number or as text; -1 when it is neither. */
static long long int_of(const json_t *v)
{
    json_t *n = resmap_int(v);
    long long i = n ? json_integer_value(n) : -1;

    json_decref(n);
    return i;
}

/*
 * Containers compare in one form whoever wrote them: a port mapping's host_port left out when
 * it is the container port (AWS fills it in under awsvpc) or 0 (bridge's "any port"), and
 * environment values as text (a stack may write PORT: 3000). The rest (AWS's defaults such as
 * cpu 0 and essential true, empty lists, numbers as text, lists as sets) is the generic
 * normalization's, from the table.
 */
static json_t *td_normalize(const char *attr, const json_t *v)
{
    json_t *out, *ctr;
    size_t i;

    if (strcmp(attr, "container_definitions") != 0 || !json_is_array(v))
        return NULL;
    out = json_deep_copy(v);
    json_array_foreach(out, i, ctr)
    {
        json_t *m, *env = json_object_get(ctr, "environment"), *val;
        const char *k;
        size_t j;
        json_array_foreach(json_object_get(ctr, "port_mappings"), j, m)
        {
            long long host = int_of(json_object_get(m, "host_port"));
            if (host == 0 || (host > 0 && host == int_of(json_object_get(m, "container_port"))))
                json_object_del(m, "host_port");
        }
        if (json_is_object(env))
            json_object_foreach(env, k, val)
            {
                json_t *text = diff_as_text(val);
                if (text)
                    json_object_set_new(env, k, text);
            }
    }
    return out;
}

static const struct restype_ops ops = {
    .read = td_read,
    .create = td_create,
    .setters = resutil_tags_only, /* anything else registers a new revision */
    .remove = td_remove,
    .normalize = td_normalize,
    .detail = td_detail,
};

/* IAM actions (cairn policy): what read calls; what create, update, remove and ready add.
 * RegisterTaskDefinition passes the task and execution roles to ECS tasks. */
static const char *const read_actions[] = {"ecs:ListTaskDefinitions", "ecs:DescribeTaskDefinition",
                                           TAGINDEX_ACTION, NULL};
static const char *const write_actions[] = {"ecs:RegisterTaskDefinition",
                                            "ecs:DeregisterTaskDefinition",
                                            "ecs:DeleteTaskDefinitions", NULL};

const struct restype ecs_task_definition_type = {
    .name = "ecs.task_definition",
    .service = "ecs",
    .doc = "An ECS task definition: the containers, their images, sizes, ports, volumes, "
           "secrets and logs that each task of a service runs.",
    .attrs = attrs,
    .taggable = 1,
    .name_max = 255,
    .ops = &ops,
    .read_actions = read_actions,
    .write_actions = write_actions,
    .passes_role_to = "ecs-tasks.amazonaws.com",
};
