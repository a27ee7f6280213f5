#include "agent/resources/dialect.h"
#include "aws/apicall.h"
#include "aws/service.h"
#include "aws/session.h"
#include "core/monotime.h"
#include "core/xdoc.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* Pagination members as the APIs spell them: EC2's XML answers nextToken; ELBv2's query API
 * NextMarker; IAM IsTruncated with Marker; the JSON APIs nextToken or NextToken. */
static const struct dialect dialects[] = {
    {.service = "ec2",
     .not_found = "NotFound",
     .exists = ".Duplicate",
     .page_in = "NextToken",
     .page_out = "nextToken",
     .tag_op = "CreateTags",
     .untag_op = "DeleteTags",
     .token_member = "ClientToken"},
    {.service = "elbv2",
     .not_found = "NotFound",
     .exists = "Duplicate",
     .page_in = "Marker",
     .page_out = "NextMarker",
     .tag_op = "AddTags",
     .untag_op = "RemoveTags",
     .tag_target = "ResourceArns",
     .tags_member = "Tags",
     .tag_key = "Key",
     .tag_value = "Value",
     .untag_keys = "TagKeys",
     .tag_target_list = 1},
    {.service = "ecs",
     .not_found = "NotFoundException",
     .page_in = "nextToken",
     .page_out = "nextToken",
     .tag_op = "TagResource",
     .untag_op = "UntagResource",
     .token_member = "clientToken",
     .tag_target = "resourceArn",
     .tags_member = "tags",
     .tag_key = "key",
     .tag_value = "value",
     .untag_keys = "tagKeys",
     /* A service being deleted refuses UpdateService and DeleteService with this; a task
      * definition revision has no not-found code of its own. */
     .gone_codes = (const struct dialect_code[]){{NULL, "ServiceNotActiveException"},
                                                 {"DescribeTaskDefinition", "ClientException"},
                                                 {"DeleteTaskDefinitions", "ClientException"},
                                                 {NULL, NULL}}},
    {.service = "efs",
     .not_found = "NotFound",
     .exists = "AlreadyExists",
     .page_in = "Marker",
     .page_out = "NextMarker",
     .tag_op = "TagResource",
     .untag_op = "UntagResource",
     .token_member = "CreationToken"},
    {.service = "iam",
     .not_found = "NoSuchEntity",
     .exists = "EntityAlreadyExists",
     .page_in = "Marker",
     .page_out = "Marker",
     .tag_op = "TagRole",
     .untag_op = "UntagRole",
     .tag_target = "RoleName",
     .tags_member = "Tags",
     .tag_key = "Key",
     .tag_value = "Value",
     .untag_keys = "TagKeys"},
    {.service = "logs",
     .not_found = "ResourceNotFoundException",
     .exists = "ResourceAlreadyExistsException",
     .page_in = "nextToken",
     .page_out = "nextToken",
     .tag_op = "TagResource",
     .untag_op = "UntagResource",
     .tag_target = "resourceArn",
     .tags_member = "tags",
     .untag_keys = "tagKeys"},
    {.service = "secretsmanager",
     .not_found = "ResourceNotFoundException",
     .exists = "ResourceExistsException",
     .page_in = "NextToken",
     .page_out = "NextToken",
     .tag_op = "TagResource",
     .untag_op = "UntagResource",
     .token_member = "ClientRequestToken",
     .tag_target = "SecretId",
     .tags_member = "Tags",
     .tag_key = "Key",
     .tag_value = "Value",
     .untag_keys = "TagKeys"},
    {.service = "servicediscovery",
     .not_found = "NotFound",
     .exists = "AlreadyExists",
     .page_in = "NextToken",
     .page_out = "NextToken",
     .tag_op = "TagResource",
     .untag_op = "UntagResource",
     .token_member = "CreatorRequestId",
     .tag_target = "ResourceARN",
     .tags_member = "Tags",
     .tag_key = "Key",
     .tag_value = "Value",
     .untag_keys = "TagKeys",
     /* A create sent again while the first is still under way; a namespace's domain taken. */
     .exists_codes = (const struct dialect_code[]){{NULL, "DuplicateRequest"},
                                                   {NULL, "ConflictingDomainExists"},
                                                   {NULL, NULL}}},
    {.service = "backup",
     .not_found = "ResourceNotFoundException",
     .exists = "AlreadyExistsException",
     .page_in = "nextToken", /* a REST API: the query string's */
     .page_out = "NextToken",
     .tag_op = "TagResource",
     .untag_op = "UntagResource",
     .token_member = "CreatorRequestId"},
    /* The Resource Groups Tagging API (resources/tagindex.h): read, and paged, only. */
    {.service = "tagging", .page_in = "PaginationToken", .page_out = "PaginationToken"},
};

const struct dialect *dialect_of(const char *service)
{
    for (size_t i = 0; service && i < sizeof(dialects) / sizeof(dialects[0]); i++)
        if (strcmp(dialects[i].service, service) == 0)
            return &dialects[i];
    return NULL;
}

static int contains(const char *code, const char *text)
{
    return code && *code && text && strstr(code, text) != NULL;
}

static int listed(const struct dialect_code *list, const char *op, const char *code)
{
    for (; list && list->code; list++)
        if ((!list->op || (op && strcmp(list->op, op) == 0)) && code &&
            strcmp(list->code, code) == 0)
            return 1;
    return 0;
}

int dialect_not_found(const struct dialect *dl, const char *op, const char *code)
{
    return dl && (contains(code, dl->not_found) || listed(dl->gone_codes, op, code));
}

int dialect_exists(const struct dialect *dl, const char *op, const char *code)
{
    return dl && (contains(code, dl->exists) || listed(dl->exists_codes, op, code));
}

/* Pauses before each new attempt of a call on an object just made (DIALECT_JUST_MADE). */
static const long just_made_pauses_ms[] = {500, 1000, 2000, 4000, 8000};

int dialect_send(struct session *s, struct apicall *c, unsigned how, struct diag *d)
{
    const struct dialect *dl = dialect_of(c->svc->id);
    const size_t npauses = sizeof(just_made_pauses_ms) / sizeof(just_made_pauses_ms[0]);
    struct diag why;
    enum call_result rc;
    size_t tries = 0;
    int ret = -1, gone;

    diag_init(&why);
    for (;;) {
        rc = session_call(s, c, &why);
        gone = rc == CALL_ERR_API && dialect_not_found(dl, c->op, c->err.code);
        if (!gone || !(how & DIALECT_JUST_MADE) || tries == npauses)
            break;
        monotime_sleep_ms(just_made_pauses_ms[tries++]);
        diag_clear(&why);
    }
    if (rc == CALL_OK || (gone && (how & DIALECT_GONE_OK)))
        ret = 0;
    else if (gone && (how & DIALECT_TELL_GONE))
        ret = DIALECT_GONE;
    else if (rc == CALL_ERR_API && (how & DIALECT_TELL_EXISTS) &&
             dialect_exists(dl, c->op, c->err.code))
        ret = DIALECT_EXISTS;
    for (size_t i = 0; ret < 0 && i < why.n; i++)
        diag_error(d, NULL, "%s", why.v[i].msg);
    diag_release(&why);
    return ret;
}

/* v as the members of a query request under name: a list's elements as name.member.N, an
 * object's members as name.Key, numbers and booleans as text. */
static void flatten(struct apicall *c, const char *name, const json_t *v)
{
    char sub[256];
    const char *k;
    json_t *e;
    size_t i;

    if (json_is_array(v)) {
        json_array_foreach(v, i, e)
        {
            snprintf(sub, sizeof(sub), "%s.member.%zu", name, i + 1);
            flatten(c, sub, e);
        }
    } else if (json_is_object(v)) {
        json_object_foreach((json_t *)v, k, e)
        {
            snprintf(sub, sizeof(sub), "%s%s%s", name, *name ? "." : "", k);
            flatten(c, sub, e);
        }
    } else if (json_is_integer(v)) {
        snprintf(sub, sizeof(sub), "%lld", (long long)json_integer_value(v));
        apicall_param(c, name, sub);
    } else if (json_is_boolean(v)) {
        apicall_param(c, name, json_is_true(v) ? "true" : "false");
    } else if (json_is_string(v)) {
        apicall_param(c, name, json_string_value(v));
    }
}

void dialect_params(struct apicall *c, const json_t *body)
{
    flatten(c, "", body);
}

int dialect_call(struct session *s, const char *service, const char *op, json_t *body, unsigned how,
                 json_t **out, struct diag *d)
{
    struct apicall c;
    int ret;

    apicall_init(&c, service_lookup(service), op);
    if (c.svc->proto == PROTO_JSON) {
        apicall_json(&c, body);
    } else {
        dialect_params(&c, body);
        json_decref(body);
    }
    ret = dialect_send(s, &c, how, d);
    if (out)
        *out = ret == 0 && c.out ? json_incref(c.out) : NULL;
    apicall_release(&c);
    return ret;
}

int dialect_next_page(struct apicall *c)
{
    const struct dialect *dl = dialect_of(c->svc->id);
    char path[160];

    if (!dl)
        return 0;
    if (c->svc->proto == PROTO_QUERY)
        snprintf(path, sizeof(path), "%sResult/%s", c->op, dl->page_out);
    else
        snprintf(path, sizeof(path), "%s", dl->page_out);
    return apicall_next_page(c, dl->page_in, path);
}

int dialect_pages(struct session *s, struct apicall *c, unsigned how, dialect_page_fn fn, void *arg,
                  struct diag *d)
{
    int ret;

    do {
        if ((ret = dialect_send(s, c, how, d)) != 0 || (ret = fn(s, c, arg, d)) < 0)
            goto out;
    } while (dialect_next_page(c));
out:
    apicall_release(c);
    return ret;
}

/* What dialect_list and dialect_query_list hand each page. */
struct listing {
    const char *items; /* the answer's array, or the path of the members */
    dialect_item_fn fn;
    dialect_node_fn node_fn;
    void *arg;
};

static int json_page(struct session *s, struct apicall *c, void *arg, struct diag *d)
{
    struct listing *l = arg;
    json_t *item;
    size_t i;

    json_array_foreach(json_object_get(c->out, l->items), i, item)
    {
        if (l->fn(s, item, l->arg, d) < 0)
            return -1;
    }
    return 0;
}

int dialect_each(struct session *s, struct apicall *c, const char *items, dialect_item_fn fn,
                 void *arg, struct diag *d)
{
    struct listing l = {.items = items, .fn = fn, .arg = arg};

    return dialect_pages(s, c, 0, json_page, &l, d);
}

int dialect_list(struct session *s, const char *service, const char *op, json_t *body,
                 const char *items, dialect_item_fn fn, void *arg, struct diag *d)
{
    struct apicall c;

    apicall_init(&c, service_lookup(service), op);
    apicall_json(&c, body);
    return dialect_each(s, &c, items, fn, arg, d);
}

static int query_page(struct session *s, struct apicall *c, void *arg, struct diag *d)
{
    struct listing *l = arg;

    (void)s;
    for (const struct xnode *m = xdoc_path(c->xml->root, l->items); m; m = xdoc_next(m))
        if (l->node_fn(m, l->arg, d) < 0)
            return -1;
    return 0;
}

int dialect_query_list(struct session *s, const char *service, const char *op, json_t *body,
                       const char *list, dialect_node_fn fn, void *arg, struct diag *d)
{
    struct apicall c;
    char path[160];
    struct listing l = {.items = path, .node_fn = fn, .arg = arg};

    snprintf(path, sizeof(path), "%sResult/%s/member", op, list);
    apicall_init(&c, service_lookup(service), op);
    dialect_params(&c, body);
    json_decref(body);
    return dialect_pages(s, &c, 0, query_page, &l, d);
}

int dialect_send_codes(struct session *s, struct apicall *c, unsigned how, const char *const *codes,
                       struct diag *d)
{
    struct diag why;
    int ret;

    diag_init(&why);
    ret = dialect_send(s, c, how, &why);
    for (size_t i = 0; ret < 0 && codes && codes[i]; i++)
        if (strcmp(c->err.code, codes[i]) == 0)
            ret = DIALECT_CODE;
    for (size_t i = 0; ret < 0 && i < why.n; i++)
        diag_error(d, NULL, "%s", why.v[i].msg);
    diag_release(&why);
    return ret;
}
