/* servicediscovery.service: a Cloud Map name that ECS registers tasks under. */
#include "agent/live.h"
#include "agent/resources/resutil.h"
#include "agent/resources/sdutil.h"
#include "agent/resources/types.h"
#include "aws/session.h"
#include "core/printable.h"
#include "core/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const record_type_values[] = {"A", "AAAA", "SRV", "CNAME", NULL};
static const char *const routing_values[] = {"MULTIVALUE", "WEIGHTED", NULL};

static const struct attr dns_record_fields[] = {
    {.name = "type",
     .type = VT_STRING,
     .flags = ATTR_REQUIRED,
     .values = record_type_values,
     .doc = "The record type; tasks with awsvpc networking register A records. AWS cannot "
            "change it in place: a service with another record type needs another name."},
    {.name = "ttl",
     .type = VT_INT,
     .flags = ATTR_REQUIRED,
     .min = 0,
     .max = 2147483647,
     .doc = "Seconds resolvers may cache the record."},
    {0},
};

static const struct attr custom_health_fields[] = {
    {.name = "failure_threshold",
     .type = VT_INT,
     .min = 1,
     .max = 10,
     .doc = "Kept for the API's sake: Cloud Map now always uses 1, whatever is set."},
    {0},
};

static const struct attr attrs[] = {
    {.name = "name",
     .type = VT_STRING,
     .flags = ATTR_NAME | ATTR_REPLACE,
     .doc = "The service's name, the first label of its DNS name <name>.<namespace>."},
    {.name = "namespace_id",
     .type = VT_STRING,
     .flags = ATTR_REQUIRED | ATTR_REPLACE,
     .ref_type = "servicediscovery.private_dns_namespace",
     .doc = "The namespace the service is in."},
    {.name = "description", .type = VT_STRING, .doc = "What the service is for."},
    {.name = "dns_records",
     .type = VT_LIST,
     .elem = VT_OBJECT,
     .fields = dns_record_fields,
     .flags = ATTR_REQUIRED,
     .doc = "The records Cloud Map creates for each registered instance (DnsConfig.DnsRecords)."},
    {.name = "routing_policy",
     .type = VT_STRING,
     .flags = ATTR_REPLACE,
     .def = "MULTIVALUE",
     .values = routing_values,
     .doc = "How answers are chosen: MULTIVALUE returns up to eight healthy instances."},
    {.name = "health_check_custom_config",
     .type = VT_OBJECT,
     .flags = ATTR_REPLACE,
     .fields = custom_health_fields,
     .doc = "Lets ECS report task health to Cloud Map, so only healthy tasks resolve; set it "
            "(even as {}) for services ECS registers."},
    RESTYPE_TAGS,
    {.name = "id", .type = VT_STRING, .flags = ATTR_COMPUTED, .doc = "The service's ID (srv-...)."},
    {.name = "arn",
     .type = VT_ARN,
     .flags = ATTR_COMPUTED,
     .doc = "The service's ARN, which an ECS service's service_registries take."},
    {.name = "dns_name",
     .type = VT_DNS_NAME,
     .flags = ATTR_COMPUTED,
     .doc = "The name the tasks resolve as inside the VPC: <name>.<namespace name>."},
    {0},
};

/* How long an update waits for Cloud Map's operation, and a removal retries while instances
 * are still registered (ECS deregisters a deleted service's tasks as they drain). */
#define WAIT_SECONDS   300
#define IN_USE_SECONDS 180

/* A service's attributes from a ListServices item or a CreateService answer; namespace_id
 * and dns_name come from the namespace it was listed in. */
static json_t *parse(const json_t *svc, const char *namespace_id, const char *namespace_name)
{
    json_t *got = json_object(), *records = json_array(), *r;
    const json_t *dns = json_object_get(svc, "DnsConfig");
    const json_t *health = json_object_get(svc, "HealthCheckCustomConfig");
    static const char *const names[][2] = {
        {"id", "Id"}, {"arn", "Arn"}, {"name", "Name"}, {"description", "Description"}};
    const char *name = json_string_value(json_object_get(svc, "Name"));
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const char *v = json_string_value(json_object_get(svc, names[i][1]));
        if (v && *v)
            json_object_set_new(got, names[i][0], json_string(v));
    }
    if (namespace_id)
        json_object_set_new(got, "namespace_id", json_string(namespace_id));
    json_array_foreach(json_object_get(dns, "DnsRecords"), i, r)
    {
        json_array_append_new(records, json_pack("{s:O?, s:O?}", "type", json_object_get(r, "Type"),
                                                 "ttl", json_object_get(r, "TTL")));
    }
    json_object_set_new(got, "dns_records", records);
    if (json_is_string(json_object_get(dns, "RoutingPolicy")))
        json_object_set(got, "routing_policy", json_object_get(dns, "RoutingPolicy"));
    if (json_is_object(health)) {
        json_t *h = json_object();
        if (json_is_integer(json_object_get(health, "FailureThreshold")))
            json_object_set(h, "failure_threshold", json_object_get(health, "FailureThreshold"));
        json_object_set_new(got, "health_check_custom_config", h);
    }
    if (name && namespace_name) {
        size_t n = strlen(name) + strlen(namespace_name) + 2;
        char *full = xmalloc(n);
        snprintf(full, n, "%s.%s", name, namespace_name);
        json_object_set_new(got, "dns_name", json_string(full));
        free(full);
    }
    return got;
}

/* The namespace a service was listed under, as ListServices' filter named it. */
static const char *namespace_of(const json_t *svc)
{
    const char *ns = json_string_value(json_object_get(svc, "NamespaceId"));
    return ns ? ns
              : json_string_value(
                    json_object_get(json_object_get(svc, "DnsConfig"), "NamespaceId"));
}

/* What read_namespace() adds to. */
struct reading {
    const char *stack;
    struct live_set *set;
};

/* ListServices in one namespace of the stack (paginated), and ListTagsForResource for each:
 * the list carries no tags. */
static int read_namespace(struct session *s, const json_t *item, const json_t *tags, void *arg,
                          struct diag *d)
{
    struct reading *rd = arg;
    const char *ns = json_string_value(json_object_get(item, "Id"));
    const char *ns_name = json_string_value(json_object_get(item, "Name"));
    struct apicall c;
    int ret = -1;

    (void)tags;
    if (!ns)
        return 0;
    apicall_init(&c, service_lookup("servicediscovery"), "ListServices");
    apicall_json(&c, json_pack("{s:[{s:s, s:[s], s:s}]}", "Filters", "Name", "NAMESPACE_ID",
                               "Values", ns, "Condition", "EQ"));
    do {
        size_t i;
        json_t *svc;
        if (session_call(s, &c, d) != CALL_OK)
            goto out;
        json_array_foreach(json_object_get(c.out, "Services"), i, svc)
        {
            const char *arn = json_string_value(json_object_get(svc, "Arn"));
            const char *in = namespace_of(svc);
            json_t *own, *got;
            /* The filter already says which namespace; checked again in case it was not
             * applied. */
            if (!arn || (in && strcmp(in, ns) != 0))
                continue;
            if (sdutil_tags(s, arn, &own, d) < 0) {
                json_decref(own);
                goto out;
            }
            got = parse(svc, ns, ns_name);
            resutil_add_read(rd->set, &servicediscovery_service_type, rd->stack,
                             json_string_value(json_object_get(got, "id")), own, got);
            json_decref(own);
        }
    } while (apicall_next_page(&c, "NextToken", "NextToken"));
    ret = 0;
out:
    apicall_release(&c);
    return ret;
}

/*
 * The services of the stack's namespaces: ListNamespaces and ListTagsForResource per private
 * DNS namespace (to find the stack's), then per namespace of the stack one ListServices and one
 * ListTagsForResource per service. A service of the stack in a namespace the stack does not
 * own is not found.
 */
static int svc_read(struct session *s, const char *stack, struct live_set *set, struct diag *d)
{
    struct reading rd = {stack, set};
    return sdutil_namespaces(s, stack, read_namespace, &rd, d);
}

/* The DnsRecords desired asks for: [{Type, TTL}]. */
static json_t *records_to_api(const json_t *desired)
{
    json_t *out = json_array(), *r;
    size_t i;

    json_array_foreach(json_object_get(desired, "dns_records"), i, r)
    {
        const json_t *ttl = json_object_get(r, "ttl");
        long long n =
            json_is_integer(ttl)
                ? json_integer_value(ttl)
                : strtoll(json_string_value(ttl) ? json_string_value(ttl) : "0", NULL, 10);
        json_array_append_new(out, json_pack("{s:O?, s:I}", "Type", json_object_get(r, "type"),
                                             "TTL", (json_int_t)n));
    }
    return out;
}

/* GetNamespace: the name of namespace id, for dns_name (NULL when it cannot be had). */
static char *namespace_name(struct session *s, const char *id, struct diag *d)
{
    struct apicall c;
    char *name = NULL;

    if (sdutil_call(s, &c, "GetNamespace", json_pack("{s:s}", "Id", id), d) == 0) {
        const char *n =
            json_string_value(json_object_get(json_object_get(c.out, "Namespace"), "Name"));
        if (n)
            name = xstrdup(n);
    }
    apicall_release(&c);
    return name;
}

/* What find_svc() looks for in a namespace of the stack: this resource's, by name. */
struct wanted {
    const char *cairn_id, *name, *namespace_id;
    json_t *got;
};

static int find_svc(struct session *s, const json_t *item, const json_t *tags, void *arg,
                    struct diag *d)
{
    struct wanted *w = arg;
    struct live_set found;
    struct reading rd = {json_string_value(json_object_get(tags, RESUTIL_TAG_STACK)), &found};
    const char *id = json_string_value(json_object_get(item, "Id"));

    int ret;

    if (w->got || !id || strcmp(id, w->namespace_id) != 0)
        return 0;
    live_set_init(&found);
    ret = read_namespace(s, item, tags, &rd, d);
    for (size_t i = 0; ret == 0 && i < found.n; i++) {
        const char *name = json_string_value(json_object_get(found.v[i].attrs, "name"));
        if (!w->got && found.v[i].cairn_id && strcmp(found.v[i].cairn_id, w->cairn_id) == 0 &&
            name && strcmp(name, w->name) == 0)
            w->got = json_deep_copy(found.v[i].attrs);
    }
    live_set_release(&found);
    return ret;
}

/*
 * CreateService with its tags and CreatorRequestId, DNS records, routing policy and custom
 * health check, and one GetNamespace for the namespace's name (dns_name). A create sent
 * again that Cloud Map refuses (ServiceAlreadyExists) adopts the service of that name in the
 * namespace tagged as this resource.
 */
static int svc_create(struct session *s, const struct restype_call *c, const json_t *desired,
                      struct live_set *set, struct live_obj **out, struct diag *d)
{
    const struct restype *t = &servicediscovery_service_type;
    struct apicall call;
    struct diag why;
    const char *name = c->physical_name, *desc = resutil_want_str(t, desired, "description");
    const char *ns = resutil_want_str(t, desired, "namespace_id");
    const json_t *health = json_object_get(desired, "health_check_custom_config");
    json_t *body, *got = NULL, *tags = resutil_tags_want(c, desired);
    char *ns_name = NULL;
    int ret = -1;

    *out = NULL;
    diag_init(&why);
    apicall_init(&call, service_lookup("servicediscovery"), "CreateService");
    if (resutil_check_required(t, c->cairn_id, desired, d) < 0)
        goto out;
    if (!name)
        name = resutil_want_str(t, desired, "name");
    if (!name) {
        diag_error(d, NULL, "%s %s: no name to give it", t->name, c->cairn_id);
        goto out;
    }
    body = json_pack("{s:s, s:s, s:{s:s, s:o}, s:o}", "Name", name, "NamespaceId", ns, "DnsConfig",
                     "RoutingPolicy", resutil_want_str(t, desired, "routing_policy"), "DnsRecords",
                     records_to_api(desired), "Tags", resutil_tags_to_list(tags, "Key", "Value"));
    if (desc)
        json_object_set_new(body, "Description", json_string(desc));
    if (json_is_object(health)) {
        const json_t *n = json_object_get(health, "failure_threshold");
        json_t *h = json_object();
        if (json_is_integer(n))
            json_object_set(h, "FailureThreshold", (json_t *)n);
        else if (json_is_string(n))
            json_object_set_new(h, "FailureThreshold",
                                json_integer(strtoll(json_string_value(n), NULL, 10)));
        json_object_set_new(body, "HealthCheckCustomConfig", h);
    }
    if (c->token)
        json_object_set_new(body, "CreatorRequestId", json_string(c->token));
    apicall_release(&call);
    if (sdutil_call(s, &call, "CreateService", body, &why) == 0) {
        /* Made: known even when its namespace's name (for dns_name) cannot be had. */
        ns_name = namespace_name(s, ns, d);
        got = parse(json_object_get(call.out, "Service"), ns, ns_name);
        json_object_set(got, "tags", tags);
    } else {
        struct wanted w = {.cairn_id = c->cairn_id, .name = name, .namespace_id = ns};
        if (strcmp(call.err.code, "ServiceAlreadyExists") != 0 || !c->stack || !c->cairn_id ||
            sdutil_namespaces(s, c->stack, find_svc, &w, d) < 0 || !w.got) {
            diag_error(d, NULL, "%s", diag_last(&why));
            goto out;
        }
        got = w.got;
    }
    if ((*out = resutil_add_created(set, t, c, got, d)) && json_object_get(got, "dns_name"))
        ret = 0;
out:
    free(ns_name);
    json_decref(tags);
    diag_release(&why);
    apicall_release(&call);
    return ret;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The DNS record types of a list of records (the table's shape), sorted: a new array. */
static json_t *record_types(const json_t *records)
{
    size_t i, n = 0;
    const char **v = xcalloc(json_array_size(records) + 1, sizeof(*v));
    json_t *r, *out = json_array();

    json_array_foreach(records, i, r)
    {
        const char *type = json_string_value(json_object_get(r, "type"));
        if (type)
            v[n++] = type;
    }
    qsort(v, n, sizeof(*v), cmp_str);
    for (i = 0; i < n; i++)
        json_array_append_new(out, json_string(v[i]));
    free(v);
    return out;
}

/*
 * UpdateService with desired's description and DNS records (both always sent: Cloud Map drops
 * the records an update leaves out), and the wait for its operation. Only the TTLs can change:
 * Cloud Map refuses another set of record types, which takes a new service (another name).
 */
static int update_service(struct session *s, const json_t *desired, struct live_obj *live,
                          struct diag *d)
{
    const struct restype *t = &servicediscovery_service_type;
    const char *desc = resutil_want_str(t, desired, "description");
    json_t *have = record_types(json_object_get(live->attrs, "dns_records"));
    json_t *want = record_types(json_object_get(desired, "dns_records")), *records = NULL;
    struct apicall c;
    char what[512];
    int ret = -1;

    apicall_init(&c, service_lookup("servicediscovery"), "UpdateService");
    snprintf(what, sizeof(what), "%s %s", t->name, live->id);
    if (!json_equal(have, want)) {
        diag_error(d, NULL,
                   "%s: Cloud Map cannot change a service's DNS record types in place; give the "
                   "service another name to replace it",
                   what);
        goto out;
    }
    records = records_to_api(desired);
    apicall_release(&c);
    if (sdutil_call(s, &c, "UpdateService",
                    json_pack("{s:s, s:{s:s, s:{s:O}}}", "Id", live->id, "Service", "Description",
                              desc ? desc : "", "DnsConfig", "DnsRecords", records),
                    d) < 0)
        goto out;
    if (sdutil_wait(s, what, json_string_value(json_object_get(c.out, "OperationId")), WAIT_SECONDS,
                    NULL, d) < 0)
        goto out;
    if (desc && *desc)
        json_object_set_new(live->attrs, "description", json_string(desc));
    else
        json_object_del(live->attrs, "description");
    json_object_set_new(live->attrs, "dns_records",
                        json_deep_copy(json_object_get(desired, "dns_records")));
    ret = 0;
out:
    json_decref(have);
    json_decref(want);
    json_decref(records);
    apicall_release(&c);
    return ret;
}

static int svc_update(struct session *s, const struct restype_call *c, const json_t *desired,
                      struct live_obj *live, const char *const *changed, size_t nchanged,
                      struct diag *d)
{
    int service_done = 0;

    for (size_t i = 0; i < nchanged; i++) {
        int rc = 0;
        if (strcmp(changed[i], "tags") == 0) {
            rc = sdutil_update_tags(s, c, desired, live, d);
        } else if (strcmp(changed[i], "description") == 0 ||
                   strcmp(changed[i], "dns_records") == 0) {
            if (!service_done++)
                rc = update_service(s, desired, live, d);
        } else {
            diag_error(d, NULL, "servicediscovery.service %s: %s cannot change in place", live->id,
                       changed[i]);
            rc = -1;
        }
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* Cloud Map keeps a custom health check's failure threshold at 1 whatever is asked: any custom
 * health check is the same one. */
static json_t *svc_normalize(const char *attr, const json_t *v)
{
    if (strcmp(attr, "health_check_custom_config") != 0 || !json_is_object(v))
        return NULL;
    return json_pack("{s:i}", "failure_threshold", 1);
}

/* The way in to a Cloud Map service: its name in its namespace. */
static void svc_output(const struct live_obj *o, const struct restype_refs *refs, FILE *out)
{
    const struct live_obj *ns = refs->follow(refs, o, "namespace_id");
    const char *name = json_string_value(json_object_get(o->attrs, "name"));
    const char *domain = ns ? json_string_value(json_object_get(ns->attrs, "name")) : NULL;

    fputs("  ", out);
    printable_fputs(name ? name : o->id, PRINTABLE_MAX, out);
    fputc('.', out);
    printable_fputs(domain ? domain : "(namespace unknown)", PRINTABLE_MAX, out);
    fputc('\n', out);
}

static const struct restype_ops ops = {
    .read = svc_read,
    .create = svc_create,
    .update = svc_update,
    /* DeleteService; a service already gone counts as deleted. Cloud Map refuses (ResourceInUse)
     * while instances are registered: cairn deletes the ECS service first, whose tasks ECS
     * deregisters as they stop, so the delete is sent again for IN_USE_SECONDS before the
     * refusal stands. */
    .remove = resutil_remove,
    .del = {.op = "DeleteService",
            .member = "Id",
            .busy = "ResourceInUse",
            .busy_seconds = IN_USE_SECONDS},
    .normalize = svc_normalize,
    .output_heading = "Cloud Map names",
    .output = svc_output,
};

/* IAM actions (cairn policy): what read calls; what create, update, remove and ready add. */
static const char *const read_actions[] = {"servicediscovery:ListNamespaces",
                                           "servicediscovery:ListTagsForResource",
                                           "servicediscovery:ListServices", NULL};
static const char *const write_actions[] = {
    "servicediscovery:CreateService", "servicediscovery:GetNamespace",
    "servicediscovery:GetOperation",  "servicediscovery:UpdateService",
    "servicediscovery:TagResource",   "servicediscovery:UntagResource",
    "servicediscovery:DeleteService", NULL};

const struct restype servicediscovery_service_type = {
    .name = "servicediscovery.service",
    .service = "servicediscovery",
    .doc = "An AWS Cloud Map service: a DNS name in a namespace under which ECS registers the "
           "IP addresses of a service's tasks.",
    .attrs = attrs,
    .taggable = 1,
    .name_max = 63,
    .ops = &ops,
    .read_actions = read_actions,
    .write_actions = write_actions,
};
