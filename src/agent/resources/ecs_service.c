/* ecs.service: keeps a number of tasks of a task definition running. */
#include "agent/live.h"
#include "agent/resources/ecsutil.h"
#include "agent/resources/types.h"

#include <errno.h>
#include <string.h>
#include <time.h>

/* How long a removal waits for the service to be INACTIVE: draining its tasks out of the
 * target group takes the group's deregistration delay and their stop timeout. */
#define SVC_REMOVE_WAIT_MS (600L * 1000)

static const char *const launch_values[] = {"FARGATE", "EC2", "EXTERNAL", "MANAGED_INSTANCES",
                                            NULL};
static const char *const enabled_values[] = {"ENABLED", "DISABLED", NULL};
static const char *const propagate_values[] = {"TASK_DEFINITION", "SERVICE", "NONE", NULL};

static const struct attr network_fields[] = {
    {.name = "subnets",
     .type = VT_LIST,
     .elem = VT_STRING,
     .flags = ATTR_REQUIRED,
     .ref_type = "ec2.subnet",
     .min = 1,
     .max = 16,
     .doc = "The subnets the tasks' network interfaces are placed in."},
    {.name = "security_groups",
     .type = VT_LIST,
     .elem = VT_STRING,
     .ref_type = "ec2.security_group",
     .min = 0,
     .max = 5,
     .doc = "The security groups of the tasks; the VPC's default group when omitted."},
    {.name = "assign_public_ip",
     .type = VT_STRING,
     .def = "DISABLED",
     .values = enabled_values,
     .doc = "Whether tasks get a public IP; tasks in private subnets reach out through a NAT."},
    {0},
};

static const struct attr load_balancer_fields[] = {
    {.name = "target_group_arn",
     .type = VT_ARN,
     .flags = ATTR_REQUIRED,
     .ref_type = "elbv2.target_group",
     .doc = "The target group the tasks are registered in."},
    {.name = "container_name",
     .type = VT_STRING,
     .flags = ATTR_REQUIRED,
     .doc = "The container that receives the traffic."},
    {.name = "container_port",
     .type = VT_PORT,
     .flags = ATTR_REQUIRED,
     .doc = "The container port that receives the traffic."},
    {0},
};

static const struct attr registry_fields[] = {
    {.name = "registry_arn",
     .type = VT_ARN,
     .flags = ATTR_REQUIRED,
     .ref_type = "servicediscovery.service",
     .doc = "The Cloud Map service the tasks are registered in."},
    {.name = "container_name",
     .type = VT_STRING,
     .doc = "With SRV records: the container whose port is registered."},
    {.name = "container_port",
     .type = VT_PORT,
     .doc = "With SRV records: the container port that is registered."},
    {0},
};

static const struct attr circuit_breaker_fields[] = {
    {.name = "enable",
     .type = VT_BOOL,
     .flags = ATTR_REQUIRED,
     .doc = "Whether a deployment whose tasks keep failing is stopped."},
    {.name = "rollback",
     .type = VT_BOOL,
     .flags = ATTR_REQUIRED,
     .doc = "Whether a stopped deployment rolls back to the last one that worked."},
    {0},
};

static const struct attr deployment_fields[] = {
    {.name = "maximum_percent",
     .type = VT_INT,
     .def = "200",
     .doc = "Running tasks allowed during a deployment, in percent of desired_count."},
    {.name = "minimum_healthy_percent",
     .type = VT_INT,
     .def = "100",
     .min = 0,
     .max = 100,
     .doc = "Healthy tasks kept during a deployment, in percent of desired_count."},
    {.name = "deployment_circuit_breaker",
     .type = VT_OBJECT,
     .fields = circuit_breaker_fields,
     .doc = "Stops, and can roll back, a deployment that cannot reach a steady state."},
    {0},
};

static const struct attr attrs[] = {
    {.name = "name",
     .type = VT_STRING,
     .flags = ATTR_NAME | ATTR_REPLACE,
     .doc = "The service's name (serviceName), unique in the cluster."},
    {.name = "cluster",
     .type = VT_STRING,
     .flags = ATTR_REQUIRED | ATTR_REPLACE,
     .ref_type = "ecs.cluster",
     .doc = "The cluster (ARN or name) the service runs in."},
    {.name = "task_definition",
     .type = VT_STRING,
     .flags = ATTR_REQUIRED,
     .ref_type = "ecs.task_definition",
     .doc = "The task definition (ARN or family:revision) the tasks run; a change rolls the "
            "tasks over."},
    {.name = "desired_count",
     .type = VT_INT,
     .def = "1",
     .min = 0,
     .max = 2147483647,
     .doc = "How many tasks to keep running."},
    {.name = "launch_type",
     .type = VT_STRING,
     .flags = ATTR_REPLACE,
     .def = "FARGATE",
     .values = launch_values,
     .doc = "Where the tasks run; cairn's default is FARGATE (the API's is EC2)."},
    {.name = "platform_version",
     .type = VT_STRING,
     .def = "LATEST",
     .doc = "The Fargate platform version; EFS volumes need 1.4.0 or later."},
    /* The API's networkConfiguration.awsvpcConfiguration, one level up. */
    {.name = "network_configuration",
     .type = VT_OBJECT,
     .fields = network_fields,
     .doc = "The awsvpc networking of the tasks, which Fargate needs."},
    {.name = "load_balancers",
     .type = VT_LIST,
     .elem = VT_OBJECT,
     .fields = load_balancer_fields,
     .doc = "Target groups the tasks are registered in."},
    {.name = "service_registries",
     .type = VT_LIST,
     .elem = VT_OBJECT,
     .flags = ATTR_REPLACE,
     .fields = registry_fields,
     .doc = "Cloud Map services the tasks are registered in, so they resolve by name; a change "
            "replaces the service."},
    {.name = "health_check_grace_period_seconds",
     .type = VT_INT,
     .def = "0",
     .min = 0,
     .max = 2147483647,
     .doc = "Seconds after a task starts during which failed load balancer health checks are "
            "ignored."},
    {.name = "deployment_configuration",
     .type = VT_OBJECT,
     .fields = deployment_fields,
     .doc = "How many tasks run during a deployment, and when a deployment is stopped."},
    {.name = "enable_execute_command",
     .type = VT_BOOL,
     .def = "false",
     .doc = "Whether ECS Exec can open a shell in the tasks."},
    {.name = "enable_ecs_managed_tags",
     .type = VT_BOOL,
     .def = "false",
     .doc = "Whether ECS tags the tasks with the cluster and service names."},
    {.name = "propagate_tags",
     .type = VT_STRING,
     .def = "NONE",
     .values = propagate_values,
     .doc = "Where the tasks' tags are copied from; cairn's default, NONE, leaves the tasks "
            "untagged, so no task carries cairn's ownership tags."},
    RESTYPE_TAGS,
    {.name = "arn", .type = VT_ARN, .flags = ATTR_COMPUTED, .doc = "The service's ARN."},
    {.name = "id", .type = VT_ARN, .flags = ATTR_COMPUTED, .doc = "The service's ARN, as arn."},
    {0},
};

/* The attributes of a service as DescribeServices or CreateService give it. */
static json_t *parse(const json_t *svc)
{
    json_t *api = json_copy((json_t *)svc), *a;
    json_t *vpc =
        json_object_get(json_object_get(svc, "networkConfiguration"), "awsvpcConfiguration");
    const char *arn = json_string_value(json_object_get(svc, "serviceArn"));

    json_object_set(api, "name", json_object_get(svc, "serviceName"));
    json_object_set(api, "cluster", json_object_get(svc, "clusterArn"));
    if (vpc)
        json_object_set(api, "networkConfiguration", vpc);
    else
        json_object_del(api, "networkConfiguration");
    a = ecsutil_from_api(attrs, api);
    if (arn) {
        json_object_set_new(a, "arn", json_string(arn));
        json_object_set_new(a, "id", json_string(arn));
    }
    json_decref(api);
    return a;
}

static int is_active(const json_t *svc)
{
    const char *status = json_string_value(json_object_get(svc, "status"));

    return status && strcmp(status, "ACTIVE") == 0;
}

/* Listed per cluster (ListServices), described with tags per 10 (DescribeServices); DRAINING
 * and INACTIVE ones are on their way out. */
static const struct ecsutil_kind kind = {
    .list = "ListServices",
    .listed = "serviceArns",
    .describe = "DescribeServices",
    .names = "services",
    .include = (const char *const[]){"TAGS", NULL},
    .batch = 10,
    .arn = "serviceArn",
    .in_clusters = 1,
    .parse = parse,
};

/* The API form of desired's value of attribute name for UpdateService: what to send when it
 * is left out is what leaving it out at create means. New reference, or NULL for none. */
static json_t *api_value(const json_t *want, const char *name)
{
    const struct attr *a = restype_attr(attrs, name);
    char member[64];
    json_t *v, *tmp;

    ecsutil_member(name, member, sizeof(member));
    v = json_incref(json_object_get(want, member));
    if (strcmp(name, "network_configuration") == 0) {
        tmp = v ? json_pack("{s:o}", "awsvpcConfiguration", v) : NULL;
        return tmp;
    }
    if (strcmp(name, "load_balancers") == 0)
        return v ? v : json_array();
    if (strcmp(name, "deployment_configuration") == 0) {
        tmp = v ? json_deep_copy(v) : json_object();
        json_decref(v);
        if (!json_object_get(tmp, "maximumPercent"))
            json_object_set_new(tmp, "maximumPercent", json_integer(200));
        if (!json_object_get(tmp, "minimumHealthyPercent"))
            json_object_set_new(tmp, "minimumHealthyPercent", json_integer(100));
        if (!json_object_get(tmp, "deploymentCircuitBreaker"))
            json_object_set_new(tmp, "deploymentCircuitBreaker",
                                json_pack("{s:b, s:b}", "enable", 0, "rollback", 0));
        return tmp;
    }
    if (v || !a || !a->def)
        return v;
    /* The table's default, converted as a stack's value would be. */
    tmp = ecsutil_to_api(attrs, json_pack("{s:s}", name, a->def));
    v = json_incref(json_object_get(tmp, member));
    json_decref(tmp);
    return v;
}

/* Adopt the service named name in cluster when it is this resource's (a create retried after a
 * crash): 1 adopted, 0 none ACTIVE or DRAINING by that name, -1 someone else's or an error. */
static int adopt(struct session *s, const struct restype_call *c, const char *cluster,
                 const char *name, struct live_set *set, struct live_obj **out, struct diag *d)
{
    json_t *names = json_pack("[s]", name), *svcs = ecsutil_describe(s, &kind, cluster, names, d);
    json_t *svc;
    size_t i;
    int ret = 0;

    json_decref(names);
    if (!svcs)
        return -1;
    json_array_foreach(svcs, i, svc)
    {
        const char *status = json_string_value(json_object_get(svc, "status"));
        json_t *tags = resutil_tags_from_list(json_object_get(svc, "tags"), "key", "value");
        if (status && strcmp(status, "INACTIVE") == 0) {
            json_decref(tags);
            continue;
        }
        if (!is_active(svc)) {
            diag_error(d, NULL, "ecs.service %s: service %s is %s: run again once it is gone",
                       c->cairn_id, name, status ? status : "in an unknown state");
            ret = -1;
        } else if (!resutil_owned(tags, c)) {
            /* Services are named per cluster: the message says which. */
            diag_error(d, NULL,
                       "ecs.service %s: a service named %s exists in %s and is not "
                       "this stack's",
                       c->cairn_id, name, cluster);
            ret = -1;
        } else {
            *out = resutil_add_read(set, &ecs_service_type, c->stack,
                                    json_string_value(json_object_get(svc, "serviceArn")), tags,
                                    parse(svc));
            ret = *out ? 1 : -1;
        }
        json_decref(tags);
        break;
    }
    json_decref(svcs);
    return ret;
}

/*
 * CreateService with its tags and ClientToken c->token. AWS refuses a second service of the
 * same name in the cluster unless the token and parameters match, so a DescribeServices by
 * name goes first: the stack's own service (a create retried after a crash) is adopted as it
 * is, anyone else's is an error. desired_count and launch_type (whose default, FARGATE, is
 * cairn's) are always sent, platform_version with FARGATE. Not ready at once: see svc_ready().
 */
static int svc_create(struct session *s, const struct restype_call *c, const json_t *desired,
                      struct live_set *set, struct live_obj **out, struct diag *d)
{
    const struct restype *t = &ecs_service_type;
    const char *name = resutil_create_name(t, c, desired, d);
    const char *cluster = resutil_want_str(t, desired, "cluster");
    const char *launch = resutil_want_str(t, desired, "launch_type");
    json_t *body, *got = NULL, *tags = NULL, *parsed, *v;
    int ret = -1, rc;

    *out = NULL;
    if (!name)
        return -1;
    if ((rc = adopt(s, c, cluster, name, set, out, d)) != 0)
        return rc < 0 ? -1 : 0;
    body = ecsutil_to_api(attrs, desired);
    json_object_del(body, "name");
    json_object_set_new(body, "serviceName", json_string(name));
    json_object_set_new(body, "desiredCount",
                        json_integer(resutil_want_int(t, desired, "desired_count", 1)));
    json_object_set_new(body, "launchType", json_string(launch));
    if (strcmp(launch, "FARGATE") == 0)
        json_object_set_new(body, "platformVersion",
                            json_string(resutil_want_str(t, desired, "platform_version")));
    if ((v = api_value(body, "network_configuration")))
        json_object_set_new(body, "networkConfiguration", v);
    if (c->token)
        json_object_set_new(body, "clientToken", json_string(c->token));
    tags = resutil_tags_want(c, desired);
    json_object_set_new(body, "tags", resutil_tags_to_list(tags, "key", "value"));
    if (dialect_call(s, "ecs", "CreateService", body, 0, &got, d) != 0)
        goto out;
    parsed = parse(json_object_get(got, "service"));
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
 * One UpdateService with every changed attribute but the tags (a new task definition, count
 * or network configuration starts a deployment, which svc_ready() waits for), then the tags.
 * What the table flags ATTR_REPLACE (name, cluster, launch_type, service_registries) cannot
 * change in place.
 */
static int svc_update(struct session *s, const struct restype_call *c, const json_t *desired,
                      struct live_obj *live, const char *const *changed, size_t nchanged,
                      struct diag *d)
{
    const char *cluster = json_string_value(json_object_get(live->attrs, "cluster"));
    json_t *want = ecsutil_to_api(attrs, desired), *body = json_object();
    int tags = 0, ret = -1;

    if (cluster)
        json_object_set_new(body, "cluster", json_string(cluster));
    json_object_set_new(body, "service", json_string(live->id));
    for (size_t i = 0; i < nchanged; i++) {
        const struct attr *a = restype_attr(attrs, changed[i]);
        char member[64];
        json_t *v;
        if (strcmp(changed[i], "tags") == 0) {
            tags = 1;
            continue;
        }
        if (!a || (a->flags & (ATTR_REPLACE | ATTR_COMPUTED)) ||
            !(v = api_value(want, changed[i]))) {
            diag_error(d, NULL, "ecs.service %s: %s cannot change in place", live->id, changed[i]);
            goto out;
        }
        ecsutil_member(changed[i], member, sizeof(member));
        json_object_set_new(body, member, v);
    }
    if (json_object_size(body) > 2) {
        int rc = dialect_call(s, "ecs", "UpdateService", body, 0, NULL, d);
        body = NULL; /* taken by the call */
        if (rc != 0)
            goto out;
        for (size_t i = 0; i < nchanged; i++) {
            json_t *v = json_object_get(desired, changed[i]);
            if (strcmp(changed[i], "tags") == 0)
                continue;
            if (v)
                json_object_set_new(live->attrs, changed[i], json_deep_copy(v));
            else
                json_object_del(live->attrs, changed[i]);
        }
    }
    if (tags && resutil_retag(s, live, live->id, resutil_tags_want(c, desired), d) < 0)
        goto out;
    ret = 0;
out:
    json_decref(want);
    json_decref(body);
    return ret;
}

/* The service's status after a DescribeServices: its JSON (new reference), or NULL when AWS
 * no longer lists it (*gone set) or on an error (d says why). */
static json_t *current(struct session *s, const struct live_obj *live, int *gone, struct diag *d)
{
    const char *cluster = json_string_value(json_object_get(live->attrs, "cluster"));
    json_t *names = json_pack("[s]", live->id), *svcs, *svc;

    *gone = 0;
    svcs = ecsutil_describe(s, &kind, cluster ? cluster : "default", names, d);
    json_decref(names);
    if (!svcs)
        return NULL;
    svc = json_incref(json_array_get(svcs, 0));
    json_decref(svcs);
    if (!svc)
        *gone = 1;
    return svc;
}

/*
 * A steady state, as the SDKs' services-stable waiter means it: ACTIVE, one deployment only
 * (a rolling deployment has two until the old tasks are gone), and as many tasks running as
 * desired. A deployment whose rollout FAILED (the circuit breaker stopped it), or a service no
 * longer ACTIVE, fails for good; one that never gets there is the executor's time-out (the
 * service's events say why: tasks that cannot pull their image, fail their health checks...).
 * moto starts no tasks: its runningCount follows desiredCount only through the harness
 * (tests/harness/cairnharness/ecsgaps.py).
 */
static int svc_ready(struct session *s, struct live_obj *live, struct diag *d)
{
    const char *name = live->cairn_id ? live->cairn_id : "service";
    json_t *svc, *deps, *dep, *primary = NULL;
    const char *status, *rollout;
    size_t i;
    int gone, ret = 0;

    if (!(svc = current(s, live, &gone, d))) {
        if (gone)
            diag_error(d, NULL, "%s (ecs.service) %s: gone", name, live->id);
        return -1;
    }
    status = json_string_value(json_object_get(svc, "status"));
    deps = json_object_get(svc, "deployments");
    json_array_foreach(deps, i, dep)
    {
        const char *st = json_string_value(json_object_get(dep, "status"));
        if (st && strcmp(st, "PRIMARY") == 0)
            primary = dep;
    }
    rollout = json_string_value(json_object_get(primary, "rolloutState"));
    if (!status || strcmp(status, "ACTIVE") != 0) {
        diag_error(d, NULL, "%s (ecs.service) %s: status %s", name, live->id,
                   status ? status : "unknown");
        ret = -1;
    } else if (rollout && strcmp(rollout, "FAILED") == 0) {
        const char *why = json_string_value(json_object_get(primary, "rolloutStateReason"));
        diag_error(d, NULL, "%s (ecs.service) %s: the deployment failed: %s", name, live->id,
                   why ? why : "no reason given");
        ret = -1;
    } else {
        ret = primary && json_array_size(deps) == 1 &&
              json_integer_value(json_object_get(svc, "runningCount")) ==
                  json_integer_value(json_object_get(svc, "desiredCount"));
    }
    json_decref(svc);
    return ret;
}

/* 1 when the service is INACTIVE or no longer listed, 0 while it is, -1 on error. */
static int svc_gone(struct session *s, void *arg, struct diag *d)
{
    int missing;
    json_t *svc = current(s, arg, &missing, d);
    const char *status = json_string_value(json_object_get(svc, "status"));
    int done = missing || (status && strcmp(status, "INACTIVE") == 0);

    json_decref(svc);
    return !svc && !missing ? -1 : done;
}

/*
 * Scale to 0 (UpdateService), DeleteService with force, then poll DescribeServices until the
 * service is INACTIVE or no longer listed: until then its tasks may still be registered in the
 * target group and Cloud Map service, which cannot be deleted after it before that. A service
 * already gone, or already being deleted, counts as removed.
 */
static int svc_remove(struct session *s, const struct live_obj *live, unsigned how, struct diag *d)
{
    const char *cluster = json_string_value(json_object_get(live->attrs, "cluster"));
    const char *name = live->cairn_id ? live->cairn_id : "service";
    json_t *body;
    int rc;

    (void)how;
    body = json_pack("{s:s, s:s, s:i}", "cluster", cluster ? cluster : "default", "service",
                     live->id, "desiredCount", 0);
    if ((rc = dialect_call(s, "ecs", "UpdateService", body, DIALECT_TELL_GONE, NULL, d)) < 0)
        return -1;
    if (rc == 0) {
        body = json_pack("{s:s, s:s, s:b}", "cluster", cluster ? cluster : "default", "service",
                         live->id, "force", 1);
        if (dialect_call(s, "ecs", "DeleteService", body, DIALECT_GONE_OK, NULL, d) < 0)
            return -1;
    }
    if ((rc = resutil_poll(s, svc_gone, (void *)live, 1000, 5000, SVC_REMOVE_WAIT_MS / 1000, d)) ==
        0)
        diag_error(d, NULL, "%s (ecs.service) %s: still listed after %ld s", name, live->id,
                   SVC_REMOVE_WAIT_MS / 1000);
    return rc == 1 ? 0 : -1;
}

/* false, or "false" as a stack may write it. */
static int is_false(const json_t *v)
{
    return json_is_false(v) || (json_is_string(v) && strcmp(json_string_value(v), "false") == 0);
}

/*
 * The cluster and task definition compare by what they name, whichever way they are written:
 * a cluster's ARN as its name, a task definition's ARN as family:revision. A deployment
 * circuit breaker that is off is the same as none (AWS lists it either way).
 */
static json_t *svc_normalize(const char *attr, const json_t *v)
{
    const char *str = json_string_value(v), *at;
    json_t *out, *cb;

    if (strcmp(attr, "cluster") == 0 && str && (at = strstr(str, ":cluster/")))
        return json_string(at + strlen(":cluster/"));
    if (strcmp(attr, "task_definition") == 0 && str && (at = strstr(str, ":task-definition/")))
        return json_string(at + strlen(":task-definition/"));
    if (strcmp(attr, "deployment_configuration") != 0 || !json_is_object(v) ||
        !json_is_object(cb = json_object_get(v, "deployment_circuit_breaker")))
        return NULL;
    if (!is_false(json_object_get(cb, "enable")) || !is_false(json_object_get(cb, "rollback")))
        return NULL;
    out = json_deep_copy(v);
    json_object_del(out, "deployment_circuit_breaker");
    return out;
}

/* Tasks as ECS counts them (DescribeServices), for cairn status: ok when as many run as are
 * desired and no deployment is under way. */
static int svc_status(struct session *s, const struct live_obj *live, json_t **out, struct diag *d)
{
    json_t *svc;
    json_int_t want, run, pend;
    size_t ndeps;
    char summary[96];
    int gone;

    if (!(svc = current(s, live, &gone, d))) {
        if (gone)
            diag_error(d, NULL, "ecs.service %s: gone", live->id);
        return -1;
    }
    want = json_integer_value(json_object_get(svc, "desiredCount"));
    run = json_integer_value(json_object_get(svc, "runningCount"));
    pend = json_integer_value(json_object_get(svc, "pendingCount"));
    ndeps = json_array_size(json_object_get(svc, "deployments"));
    snprintf(summary, sizeof(summary), "%lld of %lld running%s", (long long)run, (long long)want,
             ndeps > 1 ? ", a deployment under way" : "");
    *out = json_pack("{s:b, s:s, s:[], s:I, s:I, s:I, s:I}", "ok", run == want && ndeps <= 1,
                     "summary", summary, "details", "desired", want, "running", run, "pending",
                     pend, "deployments", (json_int_t)ndeps);
    if (pend) {
        char line[64];
        snprintf(line, sizeof(line), "%lld pending", (long long)pend);
        json_array_append_new(json_object_get(*out, "details"), json_string(line));
    }
    json_decref(svc);
    return 0;
}

static const struct restype_ops ops = {
    .read = ecsutil_read_kind,
    .kind = &kind,
    .create = svc_create,
    .update = svc_update,
    .remove = svc_remove,
    .normalize = svc_normalize,
    .ready = svc_ready,
    .wait_seconds = 900, /* a rolling deployment drains the old tasks from the target group */
    .status_heading = "Services",
    .status = svc_status,
};

/* IAM actions (cairn policy): what read calls; what create, update, remove and ready add. */
static const char *const read_actions[] = {"ecs:ListClusters", "ecs:DescribeClusters",
                                           "ecs:ListServices", "ecs:DescribeServices", NULL};
static const char *const write_actions[] = {"ecs:CreateService", "ecs:UpdateService",
                                            "ecs:DeleteService", NULL};

const struct restype ecs_service_type = {
    .name = "ecs.service",
    .service = "ecs",
    .doc = "An ECS service: keeps desired_count tasks of a task definition running, registered "
           "with target groups and Cloud Map.",
    .attrs = attrs,
    .taggable = 1,
    .name_max = 255,
    .ops = &ops,
    .read_actions = read_actions,
    .write_actions = write_actions,
};
