/* ecs.cluster: an ECS cluster for Fargate services. */
#include "agent/live.h"
#include "agent/resources/ecsutil.h"
#include "agent/resources/types.h"

#include <string.h>

static const char *const insights_values[] = {"enhanced", "enabled", "disabled", NULL};

static const struct attr attrs[] = {
    {.name = "name",
     .type = VT_STRING,
     .flags = ATTR_NAME | ATTR_REPLACE,
     .doc = "The cluster's name (clusterName)."},
    /* The API's settings list has this one entry: flattened. */
    {.name = "container_insights",
     .type = VT_STRING,
     .def = "disabled",
     .values = insights_values,
     .doc = "CloudWatch Container Insights for the cluster (the containerInsights setting); "
            "cairn always sends it, so an account-wide default does not apply."},
    RESTYPE_TAGS,
    {.name = "arn",
     .type = VT_ARN,
     .flags = ATTR_COMPUTED,
     .doc = "The cluster's ARN, which an ECS service's cluster takes."},
    {.name = "id", .type = VT_ARN, .flags = ATTR_COMPUTED, .doc = "The cluster's ARN, as arn."},
    {0},
};

/* The attributes of a cluster as DescribeClusters or CreateCluster give it. */
static json_t *parse(const json_t *cl)
{
    json_t *a = json_object(), *set;
    const char *arn = json_string_value(json_object_get(cl, "clusterArn"));
    size_t i;

    json_object_set(a, "name", json_object_get(cl, "clusterName"));
    json_array_foreach(json_object_get(cl, "settings"), i, set)
    {
        const char *n = json_string_value(json_object_get(set, "name"));
        if (n && strcmp(n, "containerInsights") == 0)
            json_object_set(a, "container_insights", json_object_get(set, "value"));
    }
    if (arn) {
        json_object_set_new(a, "arn", json_string(arn));
        json_object_set_new(a, "id", json_string(arn));
    }
    return a;
}

static const struct ecsutil_kind kind = {
    .list = "ListClusters",
    .listed = "clusterArns",
    .describe = "DescribeClusters",
    .names = "clusters",
    .include = (const char *const[]){"TAGS", "SETTINGS", NULL},
    .batch = 100,
    .arn = "clusterArn",
    .parse = parse,
};

static json_t *settings(const json_t *desired)
{
    return json_pack("[{s:s, s:s}]", "name", "containerInsights", "value",
                     resutil_want_str(&ecs_cluster_type, desired, "container_insights"));
}

/* The setter of container_insights: UpdateCluster with the settings list. */
static int set_insights(struct session *s, const struct restype_call *c, const json_t *desired,
                        struct live_obj *o, const struct resutil_setter *row, struct diag *d)
{
    (void)c;
    (void)row;
    if (dialect_call(s, "ecs", "UpdateCluster",
                     json_pack("{s:s, s:o}", "cluster", o->id, "settings", settings(desired)), 0,
                     NULL, d) != 0)
        return -1;
    json_object_set_new(
        o->attrs, "container_insights",
        json_string(resutil_want_str(&ecs_cluster_type, desired, "container_insights")));
    return 0;
}

/*
 * Adopt the cluster named name when it is the stack's (CreateCluster would answer with it
 * anyway, whoever made it), brought to desired: 1 adopted (*out set), 0 no such ACTIVE
 * cluster, -1 one that is not this resource's, or an error.
 */
static int adopt(struct session *s, const struct restype_call *c, const json_t *desired,
                 const char *name, struct live_set *set, struct live_obj **out, struct diag *d)
{
    json_t *names = json_pack("[s]", name), *got = ecsutil_describe(s, &kind, NULL, names, d);
    json_t *cl, *tags;
    size_t i;
    int rc = got ? 0 : -1;

    json_array_foreach(got, i, cl)
    {
        const char *status = json_string_value(json_object_get(cl, "status"));
        if (rc || !status || strcmp(status, "ACTIVE") != 0)
            continue;
        tags = resutil_tags_from_list(json_object_get(cl, "tags"), "key", "value");
        if (resutil_adopt_check(&ecs_cluster_type, c, name, tags, d) == 0)
            *out = resutil_add_read(set, &ecs_cluster_type, c->stack,
                                    json_string_value(json_object_get(cl, "clusterArn")), tags,
                                    parse(cl));
        rc = *out ? 1 : -1;
        json_decref(tags);
    }
    json_decref(names);
    json_decref(got);
    if (rc == 1 && resutil_converge(s, &ecs_cluster_type, c, desired, *out, d) < 0)
        rc = -1;
    return rc;
}

/*
 * CreateCluster with its tags and the containerInsights setting. AWS answers a create of a
 * name already taken with the existing cluster, so a DescribeClusters by name goes first: the
 * stack's own cluster (a create retried after a crash) is adopted, anyone else's is an error.
 * Ready at once (ACTIVE) for Fargate.
 */
static int cluster_create(struct session *s, const struct restype_call *c, const json_t *desired,
                          struct live_set *set, struct live_obj **out, struct diag *d)
{
    const char *name = resutil_create_name(&ecs_cluster_type, c, desired, d);
    json_t *got = NULL, *tags, *parsed;
    int ret = -1, rc;

    *out = NULL;
    if (!name)
        return -1;
    if ((rc = adopt(s, c, desired, name, set, out, d)) != 0)
        return rc < 0 ? -1 : 0;
    tags = resutil_tags_want(c, desired);
    if (dialect_call(s, "ecs", "CreateCluster",
                     json_pack("{s:s, s:o, s:o}", "clusterName", name, "tags",
                               resutil_tags_to_list(tags, "key", "value"), "settings",
                               settings(desired)),
                     0, &got, d) != 0)
        goto out;
    parsed = parse(json_object_get(got, "cluster"));
    json_object_set(parsed, "tags", tags);
    if (!(*out = resutil_add_created(set, &ecs_cluster_type, c, parsed, d)))
        goto out;
    ret = 0;
out:
    json_decref(tags);
    json_decref(got);
    return ret;
}

static const struct resutil_setter setters[] = {
    {"container_insights", set_insights, RESUTIL_EACH, NULL},
    {"tags", resutil_set_tags, RESUTIL_EACH, NULL},
    {NULL, NULL, RESUTIL_EACH, NULL},
};

static const struct restype_ops ops = {
    .read = ecsutil_read_kind,
    .kind = &kind,
    .create = cluster_create,
    .setters = setters,
    /* DeleteCluster; one already gone is success. AWS refuses while services are in it, which the
     * services' removals (they go first, and wait until their services are INACTIVE) prevent. */
    .del = {.op = "DeleteCluster", .member = "cluster"},
};

/* IAM actions (cairn policy): what read calls; what create, update, remove and ready add. */
static const char *const read_actions[] = {"ecs:ListClusters", "ecs:DescribeClusters", NULL};
static const char *const write_actions[] = {"ecs:CreateCluster", "ecs:UpdateCluster",
                                            "ecs:DeleteCluster", NULL};

const struct restype ecs_cluster_type = {
    .name = "ecs.cluster",
    .service = "ecs",
    .doc = "An ECS cluster: the logical group the services and their Fargate tasks run in.",
    .attrs = attrs,
    .taggable = 1,
    .name_max = 255,
    .ops = &ops,
    .read_actions = read_actions,
    .write_actions = write_actions,
};
