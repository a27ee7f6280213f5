#include "agent/resources/backuputil.h"
#include "agent/resources/resutil.h"
#include "aws/session.h"

#include <errno.h>
#include <stdlib.h>
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
        if (session_call(s, &c, d) != CALL_OK)
            goto out;
        json_object_foreach(json_object_get(c.out, "Tags"), k, v)
        {
            if (json_is_string(v))
                json_object_set(*tags, k, v);
        }
    } while (apicall_next_page(&c, "nextToken", "NextToken"));
    ret = 0;
out:
    apicall_release(&c);
    return ret;
}

int backuputil_update_tags(struct session *s, const struct restype_call *c, const json_t *desired,
                           struct live_obj *live, struct diag *d)
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

int backuputil_stack_plans(struct session *s, const char *stack, backuputil_plan_fn fn, void *arg,
                           struct diag *d)
{
    struct apicall c;
    int ret = -1;

    backuputil_init(&c, "ListBackupPlans");
    apicall_rest(&c, "GET", "/backup/plans/");
    do {
        size_t i;
        json_t *item;
        if (session_call(s, &c, d) != CALL_OK)
            goto out;
        json_array_foreach(json_object_get(c.out, "BackupPlansList"), i, item)
        {
            const char *arn = json_string_value(json_object_get(item, "BackupPlanArn"));
            const char *owner;
            json_t *tags;
            int rc = 0;
            if (!arn || !backuputil_may_be_ours(item) || json_object_get(item, "DeletionDate"))
                continue;
            if (backuputil_tags(s, arn, &tags, d) < 0) {
                json_decref(tags);
                goto out;
            }
            owner = json_string_value(json_object_get(tags, RESUTIL_TAG_STACK));
            if (owner && strcmp(owner, stack) == 0)
                rc = fn(s, item, tags, arg, d);
            json_decref(tags);
            if (rc < 0)
                goto out;
        }
    } while (apicall_next_page(&c, "nextToken", "NextToken"));
    ret = 0;
out:
    apicall_release(&c);
    return ret;
}

json_t *backuputil_int(const json_t *v)
{
    const char *s = json_string_value(v);
    char *end;
    long long n;

    if (json_is_integer(v))
        return json_incref((json_t *)v);
    if (!s || !*s)
        return NULL;
    errno = 0;
    n = strtoll(s, &end, 10);
    return *end || errno ? NULL : json_integer(n);
}
