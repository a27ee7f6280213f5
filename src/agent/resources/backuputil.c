#include "agent/resources/backuputil.h"
#include "agent/resources/dialect.h"
#include "agent/resources/resutil.h"
#include "aws/session.h"

#include <string.h>

void backuputil_init(struct apicall *c, const char *op)
{
    apicall_init(c, service_lookup("backup"), op);
}

int backuputil_tags(struct session *s, const char *arn, json_t **tags, struct diag *d)
{
    struct apicall c;
    int ret = -1;

    *tags = json_object();
    backuputil_init(&c, "ListTags");
    apicall_rest(&c, "GET", "/tags/%s/", apicall_escape(&c, arn));
    do {
        const char *k;
        json_t *v;
        if (dialect_send(s, &c, 0, d) < 0)
            goto out;
        json_object_foreach(json_object_get(c.out, "Tags"), k, v)
        {
            if (json_is_string(v))
                json_object_set(*tags, k, v);
        }
    } while (dialect_next_page(&c));
    ret = 0;
out:
    apicall_release(&c);
    return ret;
}

int backuputil_update_tags(struct session *s, const struct restype_call *c, const json_t *desired,
                           struct live_obj *live, const struct resutil_setter *row, struct diag *d)
{
    const char *arn = json_string_value(json_object_get(live->attrs, "arn"));
    json_t *want = resutil_tags_want(c, desired), *add = NULL, *del = NULL;
    struct apicall call;
    int ret = -1;

    backuputil_init(&call, "TagResource");
    if (!arn) {
        diag_error(d, NULL, "%s %s: no ARN to tag", live->type->name, live->id);
        goto out;
    }
    resutil_tags_delta(json_object_get(live->attrs, "tags"), want, &add, &del);
    if (json_object_size(add)) {
        apicall_rest(&call, "POST", "/tags/%s", apicall_escape(&call, arn));
        apicall_json(&call, json_pack("{s:O}", "Tags", add));
        if (session_call(s, &call, d) != CALL_OK)
            goto out;
    }
    if (json_array_size(del)) {
        apicall_release(&call);
        backuputil_init(&call, "UntagResource");
        apicall_rest(&call, "POST", "/untag/%s", apicall_escape(&call, arn));
        apicall_json(&call, json_pack("{s:O}", "TagKeyList", del));
        if (session_call(s, &call, d) != CALL_OK)
            goto out;
    }
    json_object_set(live->attrs, "tags", want);
    ret = 0;
out:
    apicall_release(&call);
    json_decref(want);
    json_decref(add);
    json_decref(del);
    return ret;
}

int backuputil_may_be_ours(const json_t *item)
{
    const char *crid = json_string_value(json_object_get(item, "CreatorRequestId"));
    return crid && *crid;
}

/* What stack_plan() hands the stack's plans to. */
struct plans {
    const char *stack;
    backuputil_plan_fn fn;
    void *arg;
};

static int stack_plan(struct session *s, const json_t *item, void *arg, struct diag *d)
{
    const struct plans *p = arg;
    const char *arn = json_string_value(json_object_get(item, "BackupPlanArn"));
    const char *owner;
    json_t *tags;
    int rc = -1;

    if (!arn || !backuputil_may_be_ours(item) || json_object_get(item, "DeletionDate"))
        return 0;
    if (backuputil_tags(s, arn, &tags, d) == 0) {
        owner = json_string_value(json_object_get(tags, RESUTIL_TAG_STACK));
        rc = owner && strcmp(owner, p->stack) == 0 ? p->fn(s, item, tags, p->arg, d) : 0;
    }
    json_decref(tags);
    return rc;
}

int backuputil_stack_plans(struct session *s, const char *stack, backuputil_plan_fn fn, void *arg,
                           struct diag *d)
{
    struct plans p = {stack, fn, arg};
    struct apicall c;

    backuputil_init(&c, "ListBackupPlans");
    apicall_rest(&c, "GET", "/backup/plans/");
    return dialect_each(s, &c, "BackupPlansList", stack_plan, &p, d);
}

int backuputil_create(struct session *s, struct apicall *call, const struct restype_call *c,
                      json_t *body, struct diag *d)
{
    int r;

    if (c->token)
        json_object_set_new(body, dialect_of("backup")->token_member, json_string(c->token));
    apicall_json(call, body);
    /* Whose an existing object would be is known only with c's stack and id. */
    r = dialect_send(s, call, c->stack && c->cairn_id ? DIALECT_TELL_EXISTS : 0, d);
    return r == DIALECT_EXISTS ? 1 : r;
}

const struct resutil_setter backuputil_tags_only[] = {
    {"tags", backuputil_update_tags, RESUTIL_EACH, NULL},
    {NULL, NULL, RESUTIL_EACH, NULL},
};
