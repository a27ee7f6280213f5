#include "agent/resources/sdutil.h"
#include "agent/resources/resutil.h"
#include "aws/session.h"

#include <errno.h>
#include <string.h>
#include <time.h>

int sdutil_call(struct session *s, struct apicall *c, const char *op, json_t *body, struct diag *d)
{
    apicall_init(c, service_lookup("servicediscovery"), op);
    apicall_json(c, body ? body : json_object());
    return session_call(s, c, d) == CALL_OK ? 0 : -1;
}

int sdutil_tags(struct session *s, const char *arn, json_t **tags, struct diag *d)
{
    struct apicall c;
    int ret = -1;

    *tags = NULL;
    if (sdutil_call(s, &c, "ListTagsForResource", json_pack("{s:s}", "ResourceARN", arn), d) == 0) {
        *tags = resutil_tags_from_list(json_object_get(c.out, "Tags"), "Key", "Value");
        ret = 0;
    }
    apicall_release(&c);
    if (!*tags)
        *tags = json_object();
    return ret;
}

int sdutil_update_tags(struct session *s, const struct restype_call *c, const json_t *desired,
                       struct live_obj *live, struct diag *d)
{
    json_t *want = resutil_tags_want(c, desired);

    /* The VPC tag is the namespace's, not the stack file's: never taken off. */
    json_object_del(want, SDUTIL_TAG_VPC);
    return resutil_retag(s, live, json_string_value(json_object_get(live->attrs, "arn")), want, d);
}

int sdutil_namespaces(struct session *s, const char *stack, sdutil_namespace_fn fn, void *arg,
                      struct diag *d)
{
    struct apicall c;
    int ret = -1;

    apicall_init(&c, service_lookup("servicediscovery"), "ListNamespaces");
    apicall_json(&c, json_pack("{s:[{s:s, s:[s], s:s}]}", "Filters", "Name", "TYPE", "Values",
                               "DNS_PRIVATE", "Condition", "EQ"));
    do {
        size_t i;
        json_t *item;
        if (session_call(s, &c, d) != CALL_OK)
            goto out;
        json_array_foreach(json_object_get(c.out, "Namespaces"), i, item)
        {
            const char *arn = json_string_value(json_object_get(item, "Arn"));
            const char *type = json_string_value(json_object_get(item, "Type"));
            const char *owner;
            json_t *tags;
            int rc = 0;
            /* The filter already says DNS_PRIVATE; checked again in case it was not applied. */
            if (!arn || (type && strcmp(type, "DNS_PRIVATE") != 0))
                continue;
            if (sdutil_tags(s, arn, &tags, d) < 0) {
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
    } while (apicall_next_page(&c, "NextToken", "NextToken"));
    ret = 0;
out:
    apicall_release(&c);
    return ret;
}

int sdutil_wait(struct session *s, const char *what, const char *id, unsigned limit,
                json_t **targets, struct diag *d)
{
    struct timespec t0, now;
    long pause = 250;
    int ret = -1, failed = 0;

    if (targets)
        *targets = NULL;
    if (!id) {
        diag_error(d, NULL, "%s: the response names no Cloud Map operation", what);
        return -1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        struct apicall c;
        const json_t *op;
        const char *status;
        if (sdutil_call(s, &c, "GetOperation", json_pack("{s:s}", "OperationId", id), d) < 0) {
            apicall_release(&c);
            break;
        }
        op = json_object_get(c.out, "Operation");
        status = json_string_value(json_object_get(op, "Status"));
        if (status && strcmp(status, "SUCCESS") == 0) {
            if (targets)
                *targets = json_deep_copy(json_object_get(op, "Targets"));
            ret = 0;
        } else if (status && strcmp(status, "FAIL") == 0) {
            const char *code = json_string_value(json_object_get(op, "ErrorCode"));
            const char *msg = json_string_value(json_object_get(op, "ErrorMessage"));
            diag_error(d, NULL, "%s: Cloud Map operation %s failed: %s%s%s", what, id,
                       code ? code : "no error code given", msg ? ": " : "", msg ? msg : "");
            failed = 1;
        }
        apicall_release(&c);
        if (ret == 0 || failed)
            break;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - t0.tv_sec >= (time_t)limit) {
            diag_error(d, NULL, "%s: Cloud Map operation %s not done after %u s", what, id, limit);
            break;
        }
        sdutil_pause(pause);
        pause = pause * 2 > 5000 ? 5000 : pause * 2;
    }
    return ret;
}

void sdutil_pause(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}
