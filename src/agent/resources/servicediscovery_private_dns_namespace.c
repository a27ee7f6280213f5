/* servicediscovery.private_dns_namespace: a Cloud Map domain inside a VPC. */
#include "agent/live.h"
#include "agent/resources/resutil.h"
#include "agent/resources/sdutil.h"
#include "agent/resources/types.h"
#include "agent/resources/resmap.h"
#include "aws/session.h"
#include "core/xmalloc.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct attr attrs[] = {
    {.name = "name",
     .type = VT_DNS_NAME,
     .flags = ATTR_NAME | ATTR_REPLACE,
     .member = "Name",
     .doc = "The domain, for example davidshaevel.local: a service resolves as "
            "<service>.<name>."},
    {.name = "vpc",
     .type = VT_STRING,
     .flags = ATTR_REQUIRED | ATTR_REPLACE,
     .ref_type = "ec2.vpc",
     .member = "Vpc",
     .doc = "The VPC whose resolver answers for the namespace; it needs DNS support and "
            "hostnames enabled. Cloud Map does not report it, so cairn records it in the "
            "namespace's cairn:vpc tag."},
    {.name = "description",
     .type = VT_STRING,
     .member = "Description",
     .doc = "What the namespace is for."},
    RESTYPE_TAGS,
    {.name = "id",
     .type = VT_STRING,
     .flags = ATTR_COMPUTED,
     .member = "Id",
     .doc = "The namespace's ID (ns-...), which a Cloud Map service's namespace_id takes."},
    {.name = "arn",
     .type = VT_ARN,
     .flags = ATTR_COMPUTED,
     .member = "Arn",
     .doc = "The namespace's ARN."},
    {.name = "hosted_zone_id",
     .type = VT_STRING,
     .flags = ATTR_COMPUTED,
     .member = "Properties/DnsProperties/HostedZoneId",
     .doc = "The Route 53 private hosted zone Cloud Map created for the namespace."},
    {0},
};

#define T (&servicediscovery_private_dns_namespace_type)

/* Creating or deleting a namespace takes Cloud Map a minute or so (a Route 53 hosted zone). */
#define WAIT_SECONDS 600
/* How long a removal retries while AWS still counts services just deleted. */
#define IN_USE_SECONDS 60

/* A namespace's attributes from a ListNamespaces item or GetNamespace's Namespace, and its
 * tags (the VPC tag becomes vpc). */
static json_t *parse(const json_t *ns, const json_t *tags)
{
    json_t *got = resmap_read(T->attrs, ns);
    json_t *own = json_deep_copy(tags);
    const char *vpc = json_string_value(json_object_get(tags, SDUTIL_TAG_VPC));

    if (vpc)
        json_object_set_new(got, "vpc", json_string(vpc));
    json_object_del(own, SDUTIL_TAG_VPC);
    json_object_set_new(got, "tags", own);
    return got;
}

static int read_item(struct session *s, const json_t *item, const json_t *tags, void *arg,
                     struct diag *d)
{
    json_t *got = parse(item, tags);

    (void)s, (void)d;
    resutil_add_read(arg, T, json_string_value(json_object_get(tags, RESUTIL_TAG_STACK)),
                     json_string_value(json_object_get(got, "id")), json_object_get(got, "tags"),
                     got);
    return 0;
}

/* ListNamespaces (private DNS ones, paginated) and ListTagsForResource per namespace: the list
 * has the hosted zone but no tags. */
static int ns_read(struct session *s, const struct restype *t, const char *stack,
                   struct live_set *set, struct diag *d)
{
    return sdutil_namespaces(s, stack, read_item, set, d);
}

/* The namespace of the stack w wants (sdutil_create). */
static int find_ns(struct session *s, const json_t *item, const json_t *tags, void *arg,
                   struct diag *d)
{
    struct sdutil_wanted *w = arg;
    const char *cid = json_string_value(json_object_get(tags, RESUTIL_TAG_ID));
    const char *name = json_string_value(json_object_get(item, "Name"));

    (void)s, (void)d;
    if (!w->got && cid && name && strcmp(cid, w->cairn_id) == 0 && strcasecmp(name, w->name) == 0)
        w->got = parse(item, tags);
    return 0;
}

/* GetOperation until Cloud Map has made the namespace of a create's answer (call), then
 * GetNamespace: its attributes, with tags. NULL with d saying why. */
static json_t *made(struct session *s, const struct restype_call *c, const struct apicall *call,
                    const json_t *desired, const json_t *tags, struct diag *d)
{
    const char *op = json_string_value(json_object_get(call->out, "OperationId")), *id;
    json_t *targets = NULL, *got = NULL, *ns = NULL;
    char what[512];

    snprintf(what, sizeof(what), "%s %s", T->name, c->cairn_id);
    if (sdutil_wait(s, what, op, WAIT_SECONDS, &targets, d) < 0)
        goto out;
    if (!(id = json_string_value(json_object_get(targets, "NAMESPACE")))) {
        diag_error(d, NULL, "%s: operation %s names no namespace", what, op);
        goto out;
    }
    if (dialect_call(s, T->service, "GetNamespace", json_pack("{s:s}", "Id", id), 0, &ns, d) == 0)
        got = parse(json_object_get(ns, "Namespace"), tags);
out:
    json_decref(ns);
    json_decref(targets);
    return got;
}

static const struct sdutil_kind kind = {T, "CreatePrivateDnsNamespace", find_ns, made};

/*
 * CreatePrivateDnsNamespace with its tags, the VPC tag and CreatorRequestId, then GetOperation
 * until Cloud Map has made it (and its Route 53 hosted zone), and GetNamespace for its ARN and
 * zone. A create sent again that Cloud Map refuses (NamespaceAlreadyExists, or DuplicateRequest
 * while the first is still under way) adopts the namespace of that name tagged as this
 * resource, once it is listed.
 */
static int ns_create(struct session *s, const struct restype_call *c, const json_t *desired,
                     struct live_set *set, struct live_obj **out, struct diag *d)
{
    json_t *tags = resutil_tags_want(c, desired), *body = json_object();
    const char *vpc = resutil_want_str(T, desired, "vpc");
    int ret;

    if (vpc)
        json_object_set_new(tags, SDUTIL_TAG_VPC, json_string(vpc));
    resutil_create_body(T, c, desired, tags, body);
    ret = sdutil_create(s, &kind, c, desired, body, tags, set, out, d);
    json_decref(tags);
    return ret;
}

/* UpdatePrivateDnsNamespace with desired's description ("" when it has none), and the wait
 * for its operation. */
static int set_description(struct session *s, const struct restype_call *c, const json_t *desired,
                           struct live_obj *live, const struct resutil_setter *row, struct diag *d)
{
    const char *desc = resutil_want_str(T, desired, "description");

    if (sdutil_update(s, live, "UpdatePrivateDnsNamespace",
                      json_pack("{s:s, s:{s:s}}", "Id", live->id, "Namespace", "Description",
                                desc ? desc : ""),
                      WAIT_SECONDS, d) < 0)
        return -1;
    sdutil_set_description(live, desired);
    return 0;
}

static const struct resutil_setter setters[] = {
    {"tags", sdutil_update_tags, RESUTIL_EACH, NULL},
    {"description", set_description, RESUTIL_EACH, NULL},
    {NULL, NULL, RESUTIL_EACH, NULL},
};

/* One DeleteNamespace, as a probe of resutil_poll: 1 sent (sent set, op its operation) or
 * already gone, 0 refused while in use, -1 refused otherwise. */
struct ns_delete {
    const char *id;
    char *op;
    int sent;
};

static int delete_once(struct session *s, void *arg, struct diag *d)
{
    struct ns_delete *nd = arg;
    struct apicall c;
    struct diag why;
    int ret = 1, rc;

    diag_init(&why);
    apicall_init(&c, service_lookup(T->service), "DeleteNamespace");
    apicall_json(&c, json_pack("{s:s}", "Id", nd->id));
    if ((rc = dialect_send(s, &c, DIALECT_TELL_GONE, &why)) == 0) {
        const char *op = json_string_value(json_object_get(c.out, "OperationId"));
        nd->op = op ? xstrdup(op) : NULL;
        nd->sent = 1;
    } else if (rc < 0) {
        ret = strcmp(c.err.code, "ResourceInUse") == 0 ? 0 : -1;
        diag_clear(d);
        diag_error(d, NULL, "%s", diag_last(&why));
    }
    apicall_release(&c);
    diag_release(&why);
    return ret;
}

/*
 * DeleteNamespace and the wait for its operation; a namespace already gone counts as deleted.
 * Cloud Map refuses (ResourceInUse) while the namespace has services: cairn deletes the stack's
 * first, and AWS may count one just deleted for a moment, so the delete is retried for
 * IN_USE_SECONDS before the refusal stands (a service cairn does not manage).
 */
static int ns_remove(struct session *s, const struct live_obj *live, unsigned how, struct diag *d)
{
    struct ns_delete nd = {live->id, NULL, 0};
    struct diag why;
    char what[512];
    int ret = -1;

    (void)how;
    diag_init(&why);
    snprintf(what, sizeof(what), "servicediscovery.private_dns_namespace %s", live->id);
    if (resutil_poll(s, delete_once, &nd, 1000, 10000, IN_USE_SECONDS, &why) != 1) {
        diag_error(d, NULL, "%s", diag_last(&why));
        goto out;
    }
    ret = nd.sent ? sdutil_wait(s, what, nd.op, WAIT_SECONDS, NULL, d) : 0;
out:
    free(nd.op);
    diag_release(&why);
    return ret;
}

/* DNS names compare without case and without a trailing dot. */
static json_t *ns_normalize(const char *attr, const json_t *v)
{
    const char *name = json_string_value(v);
    char *low;
    size_t n;
    json_t *out;

    if (strcmp(attr, "name") != 0 || !name)
        return NULL;
    low = xstrdup(name);
    for (char *p = low; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    n = strlen(low);
    if (n > 1 && low[n - 1] == '.')
        low[n - 1] = '\0';
    out = json_string(low);
    free(low);
    return out;
}

static const struct restype_ops ops = {
    .read = ns_read,
    .create = ns_create,
    .setters = setters,
    .remove = ns_remove,
    .normalize = ns_normalize,
};

/* IAM actions (cairn policy): what read calls; what create, update, remove and ready add.
 * Cloud Map makes and deletes the namespace's private hosted zone with the caller's permissions:
 * Route 53's actions, and EC2's for the VPC it is associated with. */
static const char *const read_actions[] = {"servicediscovery:ListNamespaces",
                                           "servicediscovery:ListTagsForResource", NULL};
static const char *const write_actions[] = {"servicediscovery:CreatePrivateDnsNamespace",
                                            "servicediscovery:GetOperation",
                                            "servicediscovery:GetNamespace",
                                            "servicediscovery:UpdatePrivateDnsNamespace",
                                            "servicediscovery:DeleteNamespace",
                                            "route53:CreateHostedZone",
                                            "route53:GetHostedZone",
                                            "route53:ListHostedZonesByName",
                                            "route53:DeleteHostedZone",
                                            "ec2:DescribeVpcs",
                                            NULL};

const struct restype servicediscovery_private_dns_namespace_type = {
    .name = "servicediscovery.private_dns_namespace",
    .service = "servicediscovery",
    .doc = "An AWS Cloud Map private DNS namespace: a domain that resolves only inside one VPC, "
           "where services register their tasks.",
    .attrs = attrs,
    .taggable = 1,
    .name_max = 253,
    .ops = &ops,
    .read_actions = read_actions,
    .write_actions = write_actions,
};
