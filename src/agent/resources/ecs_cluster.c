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
    json_t *tags = ecsutil_tags_from(json_object_get(cl, "tags"));
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
static int cluster_read(struct session *s, const char *stack, struct live_set *set, struct diag *d)
{
    struct reading r = {set, stack};

    return ecsutil_clusters(s, stack, read_one, &r, d);
}

static json_t *settings(const json_t *desired)
{
    return json_pack("[{s:s, s:s}]", "name", "containerInsights", "value",
                     resutil_want_str(&ecs_cluster_type, desired, "container_insights"));
}

static int set_insights(struct session *s, struct live_obj *o, const json_t *desired,
                        struct diag *d)
{
    if (ecsutil_call(s, "UpdateCluster",
                     json_pack("{s:s, s:o}", "cluster", o->id, "settings", settings(desired)), NULL,
                     NULL, d) != 0)
        return -1;
    json_object_set_new(
        o->attrs, "container_insights",
        json_string(resutil_want_str(&ecs_cluster_type, desired, "container_insights")));
    return 0;
}

/*
 * Adopt the cluster named name when it is the stack's (CreateCluster would answer with it
 * anyway, whoever made it): 1 adopted (*out set, brought to desired), 0 no such ACTIVE
 * cluster, -1 one that is not this resource's, or an error.
 */
static int adopt(struct session *s, const struct restype_call *c, const json_t *desired,
                 const char *name, struct live_set *set, struct live_obj **out, struct diag *d)
{
    json_t *got, *cl;
    size_t i;
    int ret = 0;

    if (ecsutil_call(s, "DescribeClusters",
                     json_pack("{s:[s], s:[s,s]}", "clusters", name, "include", "TAGS", "SETTINGS"),
                     &got, NULL, d) != 0)
        return -1;
    json_array_foreach(json_object_get(got, "clusters"), i, cl)
    {
        const char *status = json_string_value(json_object_get(cl, "status"));
        json_t *tags;
        if (!status || strcmp(status, "ACTIVE") != 0)
            continue;
        tags = ecsutil_tags_from(json_object_get(cl, "tags"));
        if (resutil_adopt_check(&ecs_cluster_type, c, name, tags, d) < 0) {
            ret = -1;
        } else if (!(*out = add_cluster(set, c->stack, cl))) {
            ret = -1;
        } else {
            const char *have =
                json_string_value(json_object_get((*out)->attrs, "container_insights"));
            const char *want = resutil_want_str(&ecs_cluster_type, desired, "container_insights");
            ret = 1;
            if ((!have || strcmp(have, want) != 0) && set_insights(s, *out, desired, d) < 0)
                ret = -1;
            else if (ecsutil_update_tags(s, (*out)->id, c, desired, *out, d) < 0)
                ret = -1;
        }
        json_decref(tags);
        break;
    }
    json_decref(got);
    return ret;
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
    const char *name = resutil_want_str(&ecs_cluster_type, desired, "name");
    json_t *got = NULL, *tags, *parsed;
    int ret = -1, rc;

    *out = NULL;
    if (resutil_check_required(&ecs_cluster_type, c->cairn_id, desired, d) < 0)
        return -1;
    if (!name)
        name = c->physical_name;
    if (!name) {
        diag_error(d, NULL, "ecs.cluster %s: no name to give it", c->cairn_id);
        return -1;
    }
    if ((rc = adopt(s, c, desired, name, set, out, d)) != 0)
        return rc < 0 ? -1 : 0;
    tags = resutil_tags_want(c, desired);
    if (ecsutil_call(s, "CreateCluster",
                     json_pack("{s:s, s:o, s:o}", "clusterName", name, "tags",
                               resutil_tags_to_list(tags, "key", "value"), "settings",
                               settings(desired)),
                     &got, NULL, d) != 0)
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

static int cluster_update(struct session *s, const struct restype_call *c, const json_t *desired,
                          struct live_obj *live, const char *const *changed, size_t nchanged,
                          struct diag *d)
{
    for (size_t i = 0; i < nchanged; i++) {
        int rc;
        if (strcmp(changed[i], "tags") == 0)
            rc = ecsutil_update_tags(s, live->id, c, desired, live, d);
        else if (strcmp(changed[i], "container_insights") == 0)
            rc = set_insights(s, live, desired, d);
        else {
            diag_error(d, NULL, "ecs.cluster %s: %s cannot change in place", live->id, changed[i]);
            rc = -1;
        }
        if (rc < 0)
            return -1;
    }
    return 0;
}

static const struct restype_ops ops = {
    .read = cluster_read,
    .create = cluster_create,
    .update = cluster_update,
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
