#include "agent/resources/efsutil.h"
#include "aws/session.h"

#include <stdio.h>
#include <string.h>

void efsutil_init(struct apicall *c, const char *op, const char *method, const char *what,
                  const char *id, const char *sub)
{
    apicall_init(c, service_lookup("efs"), op);
    if (!id)
        apicall_rest(c, method, "/2015-02-01/%s", what);
    else
        apicall_rest(c, method, "/2015-02-01/%s/%s%s%s", what, apicall_escape(c, id),
                     sub ? "/" : "", sub ? sub : "");
}

int efsutil_send(struct session *s, struct apicall *c, const char *const *tolerated, struct diag *d)
{
    struct diag why;
    int ret = -1;

    diag_init(&why);
    if (session_call(s, c, &why) == CALL_OK) {
        ret = 0;
        goto out;
    }
    for (size_t i = 0; tolerated && tolerated[i]; i++)
        if (strcmp(c->err.code, tolerated[i]) == 0) {
            ret = 1;
            goto out;
        }
    for (size_t i = 0; i < why.n; i++)
        diag_error(d, NULL, "%s", why.v[i].msg);
    if (!why.n)
        diag_error(d, NULL, "efs %s failed", c->op);
out:
    diag_release(&why);
    return ret;
}

const char *efsutil_str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

json_t *efsutil_tags(const json_t *list)
{
    return resutil_tags_from_list(list, "Key", "Value");
}

/* A file system on its way out is not the stack's any more: the stack's is still to be made. */
static int is_going(const char *state)
{
    return state && (strcmp(state, "deleting") == 0 || strcmp(state, "deleted") == 0);
}

int efsutil_file_systems(struct session *s, const char *stack, efsutil_fs_fn fn, void *arg,
                         struct diag *d)
{
    struct apicall c;
    int ret = -1;

    efsutil_init(&c, "DescribeFileSystems", "GET", "file-systems", NULL, NULL);
    do {
        json_t *fs;
        size_t i;
        if (efsutil_send(s, &c, NULL, d) < 0)
            goto out;
        json_array_foreach(json_object_get(c.out, "FileSystems"), i, fs)
        {
            json_t *tags = efsutil_tags(json_object_get(fs, "Tags"));
            const char *owner = efsutil_str(tags, RESUTIL_TAG_STACK);
            int mine =
                owner && strcmp(owner, stack) == 0 && !is_going(efsutil_str(fs, "LifeCycleState"));
            json_decref(tags);
            if (mine && fn(s, fs, arg, d) < 0)
                goto out;
        }
    } while (apicall_next_page(&c, "Marker", "NextMarker"));
    ret = 0;
out:
    apicall_release(&c);
    return ret;
}

/* UntagResource takes at most 50 keys per call. */
#define UNTAG_MAX 50

int efsutil_retag(struct session *s, const char *id, const json_t *have, const json_t *want,
                  struct diag *d)
{
    json_t *add, *del;
    struct apicall c;
    size_t i = 0, n;
    int ret = -1;

    if (!resutil_tags_delta(have, want, &add, &del)) {
        ret = 0;
        goto done;
    }
    n = json_array_size(del);
    while (i < n) {
        efsutil_init(&c, "UntagResource", "DELETE", "resource-tags", id, NULL);
        for (size_t k = 0; k < UNTAG_MAX && i < n; k++, i++)
            apicall_param(&c, "tagKeys", json_string_value(json_array_get(del, i)));
        ret = efsutil_send(s, &c, NULL, d);
        apicall_release(&c);
        if (ret < 0)
            goto done;
    }
    ret = 0;
    if (json_object_size(add)) {
        efsutil_init(&c, "TagResource", "POST", "resource-tags", id, NULL);
        apicall_json(&c, json_pack("{s:o}", "Tags", resutil_tags_to_list(add, "Key", "Value")));
        ret = efsutil_send(s, &c, NULL, d);
        apicall_release(&c);
    }
done:
    json_decref(add);
    json_decref(del);
    return ret < 0 ? -1 : 0;
}

int efsutil_update_tags(struct session *s, const struct restype_call *c, const json_t *desired,
                        struct live_obj *live, struct diag *d)
{
    json_t *want = resutil_tags_want(c, desired);
    int ret = -1;

    if (efsutil_retag(s, live->id, json_object_get(live->attrs, "tags"), want, d) < 0)
        goto out;
    json_object_set(live->attrs, "tags", want);
    ret = 0;
out:
    json_decref(want);
    return ret;
}

int efsutil_wait(struct session *s, resutil_probe_fn probe, void *arg, unsigned seconds,
                 const char *what, struct diag *d)
{
    int rc = resutil_poll(s, probe, arg, 250, 5000, seconds, d);

    if (rc == 0)
        diag_error(d, NULL, "%s after %u s", what, seconds);
    return rc == 1 ? 0 : -1;
}
