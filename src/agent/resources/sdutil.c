#include "agent/resources/sdutil.h"
#include "agent/resources/dialect.h"
#include "agent/resources/resutil.h"
#include "aws/session.h"

#include <stdio.h>
#include <string.h>

/* The tags of the resource arn (ListTagsForResource) as a new object of strings ({} when they
 * cannot be had). */
static int tags_of(struct session *s, const char *arn, json_t **tags, struct diag *d)
{
    json_t *out;
    int ret = dialect_call(s, "servicediscovery", "ListTagsForResource",
                           json_pack("{s:s}", "ResourceARN", arn), 0, &out, d);

    *tags = resutil_tags_from_list(json_object_get(out, "Tags"), "Key", "Value");
    json_decref(out);
    return ret;
}

int sdutil_update_tags(struct session *s, const struct restype_call *c, const json_t *desired,
                       struct live_obj *live, const struct resutil_setter *row, struct diag *d)
{
    json_t *want = resutil_tags_want(c, desired);

    /* The VPC tag is the namespace's, not the stack file's: never taken off. */
    json_object_del(want, SDUTIL_TAG_VPC);
    return resutil_retag(s, live, json_string_value(json_object_get(live->attrs, "arn")), want, d);
}

/* What sdutil_list hands on for each item, and to whom. */
struct listing {
    const char *value, *check;
    sdutil_item_fn fn;
    void *arg;
};

static int list_item(struct session *s, const json_t *item, void *arg, struct diag *d)
{
    const struct listing *l = arg;
    const char *arn = json_string_value(json_object_get(item, "Arn"));
    const char *is = json_string_value(json_object_get(item, l->check));
    json_t *tags;
    int rc;

    if (!arn || (is && strcmp(is, l->value) != 0))
        return 0;
    rc = tags_of(s, arn, &tags, d) < 0 ? -1 : l->fn(s, item, tags, l->arg, d);
    json_decref(tags);
    return rc;
}

int sdutil_list(struct session *s, const char *op, const char *filter, const char *value,
                const char *items, const char *check, sdutil_item_fn fn, void *arg, struct diag *d)
{
    struct listing l = {value, check, fn, arg};

    return dialect_list(s, "servicediscovery", op,
                        json_pack("{s:[{s:s, s:[s], s:s}]}", "Filters", "Name", filter, "Values",
                                  value, "Condition", "EQ"),
                        items, list_item, &l, d);
}

/* What sdutil_namespaces hands on, and to whom. */
struct stack_fn {
    const char *stack;
    sdutil_item_fn fn;
    void *arg;
};

static int if_stack(struct session *s, const json_t *item, const json_t *tags, void *arg,
                    struct diag *d)
{
    const struct stack_fn *f = arg;
    const char *owner = json_string_value(json_object_get(tags, RESUTIL_TAG_STACK));

    return owner && strcmp(owner, f->stack) == 0 ? f->fn(s, item, tags, f->arg, d) : 0;
}

int sdutil_namespaces(struct session *s, const char *stack, sdutil_item_fn fn, void *arg,
                      struct diag *d)
{
    struct stack_fn f = {stack, fn, arg};

    return sdutil_list(s, "ListNamespaces", "TYPE", "DNS_PRIVATE", "Namespaces", "Type", if_stack,
                       &f, d);
}

int sdutil_create(struct session *s, const struct sdutil_kind *k, const struct restype_call *c,
                  const json_t *desired, json_t *body, const json_t *tags, struct live_set *set,
                  struct live_obj **out, struct diag *d)
{
    const struct restype *t = k->type;
    const struct dialect *dl = dialect_of(t->service);
    struct sdutil_wanted w = {c->cairn_id, resutil_create_name(t, c, desired, d),
                              resutil_want_str(t, desired, "namespace_id"), NULL};
    struct apicall call = {0};
    struct diag why;

    *out = NULL;
    diag_init(&why);
    if (!w.name)
        goto out;
    if (c->token)
        json_object_set_new(body, dl->token_member, json_string(c->token));
    apicall_init(&call, service_lookup(t->service), k->create);
    apicall_json(&call, body);
    body = NULL;
    /* A refusal because it exists (or the same request is still under way: the dialect's
     * exists_codes) sends the search for it. */
    if (dialect_send(s, &call, 0, &why) == 0)
        w.got = k->made(s, c, &call, desired, tags, d);
    else if (!dialect_exists(dl, k->create, call.err.code) || !c->stack || !c->cairn_id ||
             sdutil_namespaces(s, c->stack, k->find, &w, d) < 0 || !w.got)
        diag_error(d, NULL, "%s", diag_last(&why));
    if (w.got)
        *out = resutil_add_created(set, t, c, w.got, d);
out:
    json_decref(body);
    diag_release(&why);
    apicall_release(&call);
    return *out ? 0 : -1;
}

int sdutil_update(struct session *s, const struct live_obj *live, const char *op, json_t *body,
                  unsigned limit, struct diag *d)
{
    json_t *out;
    char what[512];
    int ret = -1;

    snprintf(what, sizeof(what), "%s %s", live->type->name, live->id);
    if (dialect_call(s, live->type->service, op, body, 0, &out, d) == 0)
        ret = sdutil_wait(s, what, json_string_value(json_object_get(out, "OperationId")), limit,
                          NULL, d);
    json_decref(out);
    return ret;
}

void sdutil_set_description(struct live_obj *live, const json_t *desired)
{
    const char *desc = resutil_want_str(live->type, desired, "description");

    if (desc && *desc)
        json_object_set_new(live->attrs, "description", json_string(desc));
    else
        json_object_del(live->attrs, "description");
}

/* A Cloud Map operation, as a probe of resutil_poll. */
struct op_wait {
    const char *what, *id;
    json_t **targets;
};

static int op_done(struct session *s, void *arg, struct diag *d)
{
    struct op_wait *w = arg;
    json_t *out;
    const json_t *op;
    const char *status;
    int ret = 0;

    if (dialect_call(s, "servicediscovery", "GetOperation",
                     json_pack("{s:s}", "OperationId", w->id), 0, &out, d) < 0)
        return -1;
    op = json_object_get(out, "Operation");
    status = json_string_value(json_object_get(op, "Status"));
    if (status && strcmp(status, "SUCCESS") == 0) {
        if (w->targets)
            *w->targets = json_deep_copy(json_object_get(op, "Targets"));
        ret = 1;
    } else if (status && strcmp(status, "FAIL") == 0) {
        const char *code = json_string_value(json_object_get(op, "ErrorCode"));
        const char *msg = json_string_value(json_object_get(op, "ErrorMessage"));
        diag_error(d, NULL, "%s: Cloud Map operation %s failed: %s%s%s", w->what, w->id,
                   code ? code : "no error code given", msg ? ": " : "", msg ? msg : "");
        ret = -1;
    }
    json_decref(out);
    return ret;
}

int sdutil_wait(struct session *s, const char *what, const char *id, unsigned limit,
                json_t **targets, struct diag *d)
{
    struct op_wait w = {what, id, targets};
    int rc;

    if (targets)
        *targets = NULL;
    if (!id) {
        diag_error(d, NULL, "%s: the response names no Cloud Map operation", what);
        return -1;
    }
    if ((rc = resutil_poll(s, op_done, &w, 250, 5000, limit, d)) == 0)
        diag_error(d, NULL, "%s: Cloud Map operation %s not done after %u s", what, id, limit);
    return rc == 1 ? 0 : -1;
}
