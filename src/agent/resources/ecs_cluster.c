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

static struct live_obj *add_cluster(struct live_set *set, const char *stack, const json_t *cl)
{
    json_t *tags = resutil_tags_from_list(json_object_get(cl, "tags"), "key", "value");
    struct live_obj *o =
        resutil_add_read(set, &ecs_cluster_type, stack,
                         json_string_value(json_object_get(cl, "clusterArn")), tags, parse(cl));

    json_decref(tags);
    return o;
}

struct reading {
    struct live_set *set;
    const char *stack;
};

static int read_one(const json_t *cl, void *arg, struct diag *d)
{
    struct reading *r = arg;

    (void)d;
    add_cluster(r->set, r->stack, cl);
    return 0;
}

/* ListClusters (paginated) and DescribeClusters with tags and settings per 100: the ACTIVE
 * clusters tagged with the stack. */
static int cluster_read(struct session *s, const struct restype *t, const char *stack,
                        struct live_set *set, struct diag *d)
{
    struct reading r = {set, stack};

    return ecsutil_clusters(s, stack, read_one, &r, d);
}

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
    if (resutil_call(s, "ecs", "UpdateCluster",
                     json_pack("{s:s, s:o}", "cluster", o->id, "settings", settings(desired)), 0,
                     NULL, d) != 0)
        return -1;
    json_object_set_new(
        o->attrs, "container_insights",
        json_string(resutil_want_str(&ecs_cluster_type, desired, "container_insights")));
    return 0;
}

struct adopting {
    const struct restype_call *c;
    const char *name;
    struct live_set *set;
    struct live_obj **out;
};

/* An ACTIVE cluster of the name: adopted (1) when it is this resource's, -1 otherwise. */
static int adopt_one(const json_t *cl, void *arg, struct diag *d)
{
    struct adopting *a = arg;
    json_t *tags = resutil_tags_from_list(json_object_get(cl, "tags"), "key", "value");
    int ok = resutil_adopt_check(&ecs_cluster_type, a->c, a->name, tags, d) == 0;

    json_decref(tags);
    return ok && (*a->out = add_cluster(a->set, a->c->stack, cl)) ? 1 : -1;
}

/*
 * Adopt the cluster named name when it is the stack's (CreateCluster would answer with it
 * anyway, whoever made it), brought to desired: 1 adopted (*out set), 0 no such ACTIVE
 * cluster, -1 one that is not this resource's, or an error.
 */
static int adopt(struct session *s, const struct restype_call *c, const json_t *desired,
                 const char *name, struct live_set *set, struct live_obj **out, struct diag *d)
{
    struct adopting a = {c, name, set, out};
    json_t *names = json_pack("[s]", name);
    int rc = ecsutil_describe_clusters(s, NULL, names, adopt_one, &a, d);

    json_decref(names);
    if (rc == 1 && resutil_converge(s, &ecs_cluster_type, c, desired, *out, resutil_update, d) < 0)
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
    if (resutil_call(s, "ecs", "CreateCluster",
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
    .read = cluster_read,
    .create = cluster_create,
    .update = resutil_update,
    .setters = setters,
    /* DeleteCluster; one already gone is success. AWS refuses while services are in it, which the
     * services' removals (they go first, and wait until their services are INACTIVE) prevent. */
    .remove = resutil_remove,
    .del = {.op = "DeleteCluster", .member = "cluster"},
};

/* IAM actions (cairn policy): what read calls; what create, update, remove and ready add. */
static const char *const read_actions[] = {"ecs:ListClusters", "ecs:DescribeClusters", NULL};
static const char *const write_actions[] = {"ecs:CreateCluster", "ecs:UpdateCluster",
                                            "ecs:TagResource",   "ecs:UntagResource",
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
