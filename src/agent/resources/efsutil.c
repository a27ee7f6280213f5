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

const char *efsutil_str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

json_t *efsutil_tags(const json_t *list)
{
    return resutil_tags_from_list(list, "Key", "Value");
}

const struct efsutil_kind efsutil_file_system = {
    "efs.file_system", "DescribeFileSystems", "file-systems",     "FileSystems",  "FileSystemId",
    "Marker",          "NextMarker",          "CreateFileSystem", "CreationToken"};
const struct efsutil_kind efsutil_mount_target = {
    "efs.mount_target", "DescribeMountTargets", "mount-targets",
    "MountTargets",     "MountTargetId",        "Marker",
    "NextMarker",       "CreateMountTarget",    NULL};
const struct efsutil_kind efsutil_access_point = {
    "efs.access_point", "DescribeAccessPoints", "access-points",
    "AccessPoints",     "AccessPointId",        "NextToken",
    "NextToken",        "CreateAccessPoint",    "ClientToken"};

int efsutil_going(const char *state)
{
    return state && (strcmp(state, "deleting") == 0 || strcmp(state, "deleted") == 0);
}

int efsutil_list(struct session *s, const struct efsutil_kind *k, const char *member,
                 const char *value, dialect_item_fn fn, void *arg, const char *const *refused,
                 struct diag *d)
{
    struct apicall c;
    int ret = -1, r;

    efsutil_init(&c, k->op, "GET", k->what, NULL, NULL);
    if (member)
        apicall_param(&c, member, value);
    do {
        json_t *item;
        size_t i;
        if ((r = dialect_send_codes(s, &c, 0, refused, d)) != 0) {
            ret = r < 0 ? -1 : 1;
            goto out;
        }
        refused = NULL; /* later pages must not fail */
        json_array_foreach(json_object_get(c.out, k->list), i, item)
        {
            if (fn(s, item, arg, d) < 0)
                goto out;
        }
    } while (apicall_next_page(&c, k->page_in, k->page_out));
    ret = 0;
out:
    apicall_release(&c);
    return ret;
}

/* What efsutil_file_systems() hands on: the stack's file systems. */
struct mine {
    const char *stack;
    dialect_item_fn fn;
    void *arg;
};

/* A file system on its way out is not the stack's any more: the stack's is still to be made. */
static int if_mine(struct session *s, const json_t *fs, void *arg, struct diag *d)
{
    const struct mine *m = arg;
    json_t *tags = efsutil_tags(json_object_get(fs, "Tags"));
    const char *owner = efsutil_str(tags, RESUTIL_TAG_STACK);
    int yes =
        owner && strcmp(owner, m->stack) == 0 && !efsutil_going(efsutil_str(fs, "LifeCycleState"));

    json_decref(tags);
    return yes ? m->fn(s, fs, m->arg, d) : 0;
}

int efsutil_file_systems(struct session *s, const char *stack, dialect_item_fn fn, void *arg,
                         struct diag *d)
{
    struct mine m = {stack, fn, arg};

    return efsutil_list(s, &efsutil_file_system, NULL, NULL, if_mine, &m, NULL, d);
}

int efsutil_describe(struct session *s, const struct efsutil_kind *k, const char *id, json_t **out,
                     struct diag *d)
{
    struct apicall c;
    json_t *got;
    int r;

    *out = NULL;
    efsutil_init(&c, k->op, "GET", k->what, NULL, NULL);
    apicall_param(&c, k->id_member, id);
    r = dialect_send(s, &c, DIALECT_TELL_GONE, d);
    if (r == 0 && (got = json_array_get(json_object_get(c.out, k->list), 0))) {
        *out = json_incref(got);
        r = 1;
    } else if (r > 0) {
        r = 0;
    }
    apicall_release(&c);
    return r;
}

/* The object a create sent again made, as efsutil_create() looks for it in a listing. */
struct made {
    const char *member, *value;
    json_t *item;
};

static int find_made(struct session *s, const json_t *item, void *arg, struct diag *d)
{
    struct made *f = arg;
    const char *v = efsutil_str(item, f->member);

    (void)s, (void)d;
    if (!f->item && v && f->value && strcmp(v, f->value) == 0 &&
        !efsutil_going(efsutil_str(item, "LifeCycleState")))
        f->item = json_incref((json_t *)item);
    return 0;
}

int efsutil_create(struct session *s, const struct efsutil_kind *k, const struct restype_call *c,
                   const json_t *desired, json_t *body, const struct efsutil_adopt *a,
                   json_t **item, struct diag *d)
{
    const char *const exists[] = {a->exists, NULL};
    struct made f = {a->match, a->match_value, NULL};
    struct apicall call;
    json_t *tags;
    int r;

    *item = NULL;
    if (resutil_check_required(c->type, c->cairn_id, desired, d) < 0)
        goto out;
    if (k->token && !c->token) {
        diag_error(d, NULL, "%s %s: no idempotency token", k->type, c->cairn_id);
        goto out;
    }
    if (k->token)
        json_object_set_new(body, k->token, json_string(c->token));
    if (c->type->taggable) {
        tags = resutil_tags_want(c, desired);
        json_object_set_new(body, "Tags", resutil_tags_to_list(tags, "Key", "Value"));
        json_decref(tags);
    }
    efsutil_init(&call, k->create, "POST", k->what, NULL, NULL);
    apicall_json(&call, body);
    body = NULL;
    if ((r = dialect_send_codes(s, &call, DIALECT_TELL_EXISTS, exists, d)) == 0)
        f.item = json_incref(call.out);
    else if (r > 0 && efsutil_list(s, k, a->filter, a->value, find_made, &f, NULL, d) == 0 &&
             !f.item)
        diag_error(d, NULL, "efs %s: %s (%s): %s", k->create, call.err.code, c->cairn_id,
                   call.err.message);
    *item = f.item;
    apicall_release(&call);
out:
    json_decref(body);
    return *item ? 0 : -1;
}

int efsutil_ready(struct session *s, const struct efsutil_kind *k, struct live_obj *live,
                  json_t *(*attrs)(const json_t *item), struct diag *d)
{
    json_t *item, *now;
    const char *state;
    int r = efsutil_describe(s, k, live->id, &item, d);

    if (r <= 0)
        return r;
    state = efsutil_str(item, "LifeCycleState");
    if (state && strcmp(state, "available") == 0) {
        now = attrs(item);
        json_object_del(now, "tags");
        json_object_update(live->attrs, now);
        json_decref(now);
    } else if (!state || strcmp(state, "creating") == 0 || strcmp(state, "updating") == 0) {
        r = 0;
    } else {
        diag_error(d, NULL, "%s %s: state %s", k->type, live->id, state);
        r = -1;
    }
    json_decref(item);
    return r;
}

/* Which object efsutil_wait_gone() waits for. */
struct gone {
    const struct efsutil_kind *k;
    const char *id;
};

static int is_gone(struct session *s, void *arg, struct diag *d)
{
    const struct gone *g = arg;
    json_t *item;
    int r = efsutil_describe(s, g->k, g->id, &item, d);
    const char *state = efsutil_str(item, "LifeCycleState");

    r = r < 0 ? -1 : r == 0 || (state && strcmp(state, "deleted") == 0);
    json_decref(item);
    return r;
}

int efsutil_wait_gone(struct session *s, const struct efsutil_kind *k, const char *id,
                      struct diag *d)
{
    struct gone g = {k, id};
    char what[160];

    snprintf(what, sizeof(what), "%s %s: still deleting", k->type, id);
    return efsutil_wait(s, is_gone, &g, EFSUTIL_WAIT, what, d);
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
        ret = dialect_send(s, &c, 0, d);
        apicall_release(&c);
        if (ret < 0)
            goto done;
    }
    ret = 0;
    if (json_object_size(add)) {
        efsutil_init(&c, "TagResource", "POST", "resource-tags", id, NULL);
        apicall_json(&c, json_pack("{s:o}", "Tags", resutil_tags_to_list(add, "Key", "Value")));
        ret = dialect_send(s, &c, 0, d);
        apicall_release(&c);
    }
done:
    json_decref(add);
    json_decref(del);
    return ret < 0 ? -1 : 0;
}

int efsutil_update_tags(struct session *s, const struct restype_call *c, const json_t *desired,
                        struct live_obj *live, const struct resutil_setter *row, struct diag *d)
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

const struct resutil_setter efsutil_tags_only[] = {
    {"tags", efsutil_update_tags, RESUTIL_EACH, NULL},
    {NULL, NULL, RESUTIL_EACH, NULL},
};

int efsutil_wait(struct session *s, resutil_probe_fn probe, void *arg, unsigned seconds,
                 const char *what, struct diag *d)
{
    int rc = resutil_poll(s, probe, arg, 250, 5000, seconds, d);

    if (rc == 0)
        diag_error(d, NULL, "%s after %u s", what, seconds);
    return rc == 1 ? 0 : -1;
}
