/* servicediscovery.service: a Cloud Map name that ECS registers tasks under. */
#include "agent/live.h"
#include "agent/resources/resutil.h"
#include "agent/resources/sdutil.h"
#include "agent/resources/types.h"
#include "agent/resources/resmap.h"
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
     .member = "Type",
     .doc = "The record type; tasks with awsvpc networking register A records. AWS cannot "
            "change it in place: a service with another record type needs another name."},
    {.name = "ttl",
     .type = VT_INT,
     .flags = ATTR_REQUIRED,
     .min = 0,
     .max = 2147483647,
     .member = "TTL",
     .doc = "Seconds resolvers may cache the record."},
    {0},
};

static const struct attr custom_health_fields[] = {
    {.name = "failure_threshold",
     .type = VT_INT,
     .min = 1,
     .max = 10,
     .member = "FailureThreshold",
     .doc = "Kept for the API's sake: Cloud Map now always uses 1, whatever is set."},
    {0},
};

static const struct attr attrs[] = {
    {.name = "name",
     .type = VT_STRING,
     .flags = ATTR_NAME | ATTR_REPLACE,
     .member = "Name",
     .doc = "The service's name, the first label of its DNS name <name>.<namespace>."},
    {.name = "namespace_id",
     .type = VT_STRING,
     .flags = ATTR_REQUIRED | ATTR_REPLACE,
     .ref_type = "servicediscovery.private_dns_namespace",
     .member = "NamespaceId",
     .doc = "The namespace the service is in."},
    {.name = "description",
     .type = VT_STRING,
     .member = "Description",
     .doc = "What the service is for."},
    {.name = "dns_records",
     .type = VT_LIST,
     .elem = VT_OBJECT,
     .fields = dns_record_fields,
     .flags = ATTR_REQUIRED,
     .member = "DnsConfig/DnsRecords",
     .doc = "The records Cloud Map creates for each registered instance (DnsConfig.DnsRecords)."},
    {.name = "routing_policy",
     .type = VT_STRING,
     .flags = ATTR_REPLACE,
     .def = "MULTIVALUE",
     .values = routing_values,
     .member = "DnsConfig/RoutingPolicy",
     .doc = "How answers are chosen: MULTIVALUE returns up to eight healthy instances."},
    {.name = "health_check_custom_config",
     .type = VT_OBJECT,
     .flags = ATTR_REPLACE,
     .fields = custom_health_fields,
     .member = "HealthCheckCustomConfig",
     .doc = "Lets ECS report task health to Cloud Map, so only healthy tasks resolve; set it "
            "(even as {}) for services ECS registers."},
    RESTYPE_TAGS,
    {.name = "id",
     .type = VT_STRING,
     .flags = ATTR_COMPUTED,
     .member = "Id",
     .doc = "The service's ID (srv-...)."},
    {.name = "arn",
     .type = VT_ARN,
     .flags = ATTR_COMPUTED,
     .member = "Arn",
     .doc = "The service's ARN, which an ECS service's service_registries take."},
    {.name = "dns_name",
     .type = VT_DNS_NAME,
     .flags = ATTR_COMPUTED,
     .doc = "The name the tasks resolve as inside the VPC: <name>.<namespace name>."},
    {0},
};

#define T (&servicediscovery_service_type)

/* How long an update waits for Cloud Map's operation, and a removal retries while instances
 * are still registered (ECS deregisters a deleted service's tasks as they drain). */
#define WAIT_SECONDS   300
#define IN_USE_SECONDS 180

/* A service's attributes from a ListServices item or a CreateService answer; namespace_id
 * and dns_name come from the namespace it was listed in. */
static json_t *parse(const json_t *svc, const char *namespace_id, const char *namespace_name)
{
    json_t *got = resmap_read_nested(T->attrs, svc);
    const char *name = json_string_value(json_object_get(got, "name"));

    if (!json_object_get(got, "dns_records"))
        json_object_set_new(got, "dns_records", json_array());
    if (namespace_id)
        json_object_set_new(got, "namespace_id", json_string(namespace_id));
    if (name && namespace_name) {
        size_t n = strlen(name) + strlen(namespace_name) + 2;
        char *full = xmalloc(n);
        snprintf(full, n, "%s.%s", name, namespace_name);
        json_object_set_new(got, "dns_name", json_string(full));
        free(full);
    }
    return got;
}

/* What read_namespace() adds to, and the namespace it reads. */
struct reading {
    const char *stack;
    struct live_set *set;
    const char *ns, *ns_name;
};

static int add_service(struct session *s, const json_t *svc, const json_t *tags, void *arg,
                       struct diag *d)
{
    struct reading *rd = arg;
    json_t *got = parse(svc, rd->ns, rd->ns_name);

    (void)s, (void)d;
    resutil_add_read(rd->set, T, rd->stack, json_string_value(json_object_get(got, "id")), tags,
                     got);
    return 0;
}

/* ListServices in one namespace of the stack (paginated), and ListTagsForResource for each:
 * the list carries no tags. */
static int read_namespace(struct session *s, const json_t *item, const json_t *tags, void *arg,
                          struct diag *d)
{
    struct reading *rd = arg;

    (void)tags;
    rd->ns = json_string_value(json_object_get(item, "Id"));
    rd->ns_name = json_string_value(json_object_get(item, "Name"));
    return rd->ns ? sdutil_list(s, "ListServices", "NAMESPACE_ID", rd->ns, "Services",
                                "NamespaceId", add_service, rd, d)
                  : 0;
}

/*
 * The services of the stack's namespaces: ListNamespaces and ListTagsForResource per private
 * DNS namespace (to find the stack's), then per namespace of the stack one ListServices and one
 * ListTagsForResource per service. A service of the stack in a namespace the stack does not
 * own is not found.
 */
static int svc_read(struct session *s, const struct restype *t, const char *stack,
                    struct live_set *set, struct diag *d)
{
    struct reading rd = {stack, set, NULL, NULL};
    return sdutil_namespaces(s, stack, read_namespace, &rd, d);
}

/* The DnsRecords desired asks for: [{Type, TTL}]. */
static json_t *records_to_api(const json_t *desired)
{
    json_t *v = resmap_api_value(restype_attr(T->attrs, "dns_records"),
                                 json_object_get(desired, "dns_records"));

    return v ? v : json_array();
}

/* GetNamespace: the name of namespace id, for dns_name (NULL when it cannot be had). */
static char *namespace_name(struct session *s, const char *id, struct diag *d)
{
    json_t *out;
    const char *n;
    char *name = NULL;

    if (dialect_call(s, T->service, "GetNamespace", json_pack("{s:s}", "Id", id), 0, &out, d) ==
            0 &&
        (n = json_string_value(json_object_get(json_object_get(out, "Namespace"), "Name"))))
        name = xstrdup(n);
    json_decref(out);
    return name;
}

/* The service w wants (sdutil_create), read from its namespace when the stack has it. */
static int find_svc(struct session *s, const json_t *item, const json_t *tags, void *arg,
                    struct diag *d)
{
    struct sdutil_wanted *w = arg;
    struct live_set found;
    struct reading rd = {json_string_value(json_object_get(tags, RESUTIL_TAG_STACK)), &found, NULL,
                         NULL};
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

/* The service CreateService's answer (call) describes, and one GetNamespace for the
 * namespace's name (dns_name): known even when that cannot be had. */
static json_t *made(struct session *s, const struct restype_call *c, const struct apicall *call,
                    const json_t *desired, const json_t *tags, struct diag *d)
{
    const char *ns = resutil_want_str(T, desired, "namespace_id");
    char *ns_name = namespace_name(s, ns, d);
    json_t *got = parse(json_object_get(call->out, "Service"), ns, ns_name);

    json_object_set_new(got, "tags", json_deep_copy(tags));
    free(ns_name);
    return got;
}

static const struct sdutil_kind kind = {T, "CreateService", find_svc, made};

/*
 * CreateService with its tags and CreatorRequestId, DNS records, routing policy and custom
 * health check. A create sent again that Cloud Map refuses (ServiceAlreadyExists) adopts the
 * service of that name in the namespace tagged as this resource. Made without a dns_name (its
 * namespace's name could not be had) is an error, the service known all the same.
 */
static int svc_create(struct session *s, const struct restype_call *c, const json_t *desired,
                      struct live_set *set, struct live_obj **out, struct diag *d)
{
    const json_t *health = json_object_get(desired, "health_check_custom_config");
    json_t *body = json_object(), *tags = resutil_tags_want(c, desired);
    int ret;

    resutil_create_body(T, c, desired, tags, body);
    json_object_set_new(body, "DnsConfig",
                        json_pack("{s:s?, s:o}", "RoutingPolicy",
                                  resutil_want_str(T, desired, "routing_policy"), "DnsRecords",
                                  records_to_api(desired)));
    /* Sent even as {}: that asks for a custom health check. */
    if (json_is_object(health))
        json_object_set_new(
            body, "HealthCheckCustomConfig",
            resmap_api_value(restype_attr(T->attrs, "health_check_custom_config"), health));
    ret = sdutil_create(s, &kind, c, desired, body, tags, set, out, d);
    json_decref(tags);
    return ret == 0 && json_object_get((*out)->attrs, "dns_name") ? 0 : -1;
}

/* Whether every record of a (the table's shape) has a type that one of b has. */
static int types_in(const json_t *a, const json_t *b)
{
    const json_t *r, *q;
    size_t i, j;

    json_array_foreach(a, i, r)
    {
        int found = 0;
        json_array_foreach(b, j, q)
        {
            found |= json_equal(json_object_get(r, "type"), json_object_get(q, "type"));
        }
        if (!found)
            return 0;
    }
    return 1;
}

/*
 * UpdateService with desired's description and DNS records (both always sent: Cloud Map drops
 * the records an update leaves out), and the wait for its operation. Only the TTLs can change:
 * Cloud Map refuses another set of record types, which takes a new service (another name).
 */
static int update_service(struct session *s, const struct restype_call *rc, const json_t *desired,
                          struct live_obj *live, const struct resutil_setter *row, struct diag *d)
{
    const char *desc = resutil_want_str(T, desired, "description");
    const json_t *want = json_object_get(desired, "dns_records");
    const json_t *have = json_object_get(live->attrs, "dns_records");

    if (json_array_size(have) != json_array_size(want) || !types_in(have, want) ||
        !types_in(want, have)) {
        diag_error(d, NULL,
                   "%s %s: Cloud Map cannot change a service's DNS record types in place; give "
                   "the service another name to replace it",
                   T->name, live->id);
        return -1;
    }
    if (sdutil_update(s, live, "UpdateService",
                      json_pack("{s:s, s:{s:s, s:{s:o}}}", "Id", live->id, "Service", "Description",
                                desc ? desc : "", "DnsConfig", "DnsRecords",
                                records_to_api(desired)),
                      WAIT_SECONDS, d) < 0)
        return -1;
    sdutil_set_description(live, desired);
    json_object_set_new(live->attrs, "dns_records", json_deep_copy(want));
    return 0;
}

static const struct resutil_setter setters[] = {
    {"tags", sdutil_update_tags, RESUTIL_EACH, NULL},
    {"description", update_service, RESUTIL_FIRST, NULL},
    {"dns_records", update_service, RESUTIL_FIRST, NULL},
    {NULL, NULL, RESUTIL_EACH, NULL},
};

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
    .setters = setters,
    /* DeleteService; a service already gone counts as deleted. Cloud Map refuses (ResourceInUse)
     * while instances are registered: cairn deletes the ECS service first, whose tasks ECS
     * deregisters as they stop, so the delete is sent again for IN_USE_SECONDS before the
     * refusal stands. */
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
