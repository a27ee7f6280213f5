#include "agent/resources/resutil.h"
#include "agent/diff.h"
#include "agent/resources/dialect.h"
#include "agent/resources/resmap.h"
#include "aws/apicall.h"
#include "aws/service.h"
#include "aws/session.h"
#include "core/monotime.h"
#include "core/xmalloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int resutil_check_required(const struct restype *t, const char *cairn_id, const json_t *desired,
                           struct diag *d)
{
    int ret = 0;

    for (const struct attr *a = t->attrs; a->name; a++) {
        const json_t *v = json_object_get(desired, a->name);
        if (!(a->flags & ATTR_REQUIRED))
            continue;
        if (!v || json_is_null(v)) {
            diag_error(d, NULL, "%s %s: %s is required", t->name, cairn_id, a->name);
            ret = -1;
        } else if (vtype_is_scalar(a->type) && a->type != VT_BOOL && a->type != VT_INT &&
                   a->type != VT_PORT && a->type != VT_POSIX_ID && !json_is_string(v)) {
            diag_error(d, NULL, "%s %s: %s must be a string", t->name, cairn_id, a->name);
            ret = -1;
        }
    }
    return ret;
}

const char *resutil_want_str(const struct restype *t, const json_t *desired, const char *name)
{
    const char *v = json_string_value(json_object_get(desired, name));
    const struct attr *a;

    if (v)
        return v;
    a = restype_attr(t->attrs, name);
    return a ? a->def : NULL;
}

int resutil_want_bool(const struct restype *t, const json_t *desired, const char *name)
{
    const json_t *v = json_object_get(desired, name);
    const char *s;

    if (json_is_boolean(v))
        return json_is_true(v);
    s = json_is_string(v) ? json_string_value(v) : resutil_want_str(t, NULL, name);
    return s && strcmp(s, "true") == 0;
}

long long resutil_want_int(const struct restype *t, const json_t *desired, const char *name,
                           long long dflt)
{
    const json_t *v = json_object_get(desired, name);
    const char *s;
    char *end;
    long long n;

    if (json_is_integer(v))
        return json_integer_value(v);
    s = json_is_string(v) ? json_string_value(v) : resutil_want_str(t, NULL, name);
    if (!s || !*s)
        return dflt;
    n = strtoll(s, &end, 10);
    return *end ? dflt : n;
}

json_t *resutil_want_json(const struct restype *t, const json_t *desired, const char *name)
{
    json_t *v = json_object_get(desired, name);
    const struct attr *a;

    if (v && !json_is_null(v))
        return json_incref(v);
    a = restype_attr(t->attrs, name);
    return a && a->def ? json_loads(a->def, JSON_DECODE_ANY, NULL) : NULL;
}

const char *resutil_stack_of(const json_t *attrs)
{
    return json_string_value(json_object_get(json_object_get(attrs, "tags"), RESUTIL_TAG_STACK));
}

json_t *resutil_tags_want(const struct restype_call *c, const json_t *desired)
{
    const json_t *given = c->tags ? c->tags : json_object_get(desired, "tags");
    json_t *want = json_is_object(given) ? json_deep_copy(given) : json_object();

    if (c->stack)
        json_object_set_new(want, RESUTIL_TAG_STACK, json_string(c->stack));
    if (c->cairn_id)
        json_object_set_new(want, RESUTIL_TAG_ID, json_string(c->cairn_id));
    return want;
}

static int is_aws_key(const char *k)
{
    return strncmp(k, "aws:", 4) == 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_t *resutil_tags_to_list(const json_t *tags, const char *key, const char *value)
{
    json_t *out = json_array(), *v;
    const char **keys, *k;
    size_t n = 0;

    if (!json_is_object(tags))
        return out;
    keys = xcalloc(json_object_size(tags) + 1, sizeof(*keys));
    json_object_foreach((json_t *)tags, k, v)
    {
        if (!is_aws_key(k))
            keys[n++] = k;
    }
    qsort(keys, n, sizeof(*keys), cmp_str);
    for (size_t i = 0; i < n; i++) {
        const char *s = json_string_value(json_object_get(tags, keys[i]));
        json_array_append_new(out, json_pack("{s:s, s:s}", key, keys[i], value, s ? s : ""));
    }
    free(keys);
    return out;
}

json_t *resutil_tags_from_list(const json_t *list, const char *key, const char *value)
{
    json_t *out = json_object(), *e;
    size_t i;

    json_array_foreach(list, i, e)
    {
        const char *k = json_string_value(json_object_get(e, key));
        const char *v = json_string_value(json_object_get(e, value));
        if (k)
            json_object_set_new(out, k, json_string(v ? v : ""));
    }
    return out;
}

int resutil_tags_delta(const json_t *have, const json_t *want, json_t **add, json_t **del)
{
    const char *k;
    json_t *v;

    *add = json_object();
    *del = json_array();
    if (json_is_object(have))
        json_object_foreach((json_t *)have, k, v)
        {
            if (!is_aws_key(k) && !json_object_get(want, k))
                json_array_append_new(*del, json_string(k));
        }
    if (json_is_object(want))
        json_object_foreach((json_t *)want, k, v)
        {
            const json_t *old = json_object_get(have, k);
            if (!is_aws_key(k) && !(old && json_equal(old, v)))
                json_object_set(*add, k, v);
        }
    return json_object_size(*add) || json_array_size(*del);
}

struct live_obj *resutil_add_read(struct live_set *set, const struct restype *t, const char *stack,
                                  const char *id, const json_t *tags, json_t *attrs)
{
    const char *owner = json_string_value(json_object_get(tags, RESUTIL_TAG_STACK));

    if (!id || !owner || strcmp(owner, stack) != 0) {
        json_decref(attrs);
        return NULL;
    }
    if (!json_object_get(attrs, "tags"))
        json_object_set_new(attrs, "tags", json_deep_copy(tags));
    return live_set_add(set, t, id, json_string_value(json_object_get(tags, RESUTIL_TAG_ID)),
                        attrs);
}

struct live_obj *resutil_add_child(struct live_set *set, const struct restype *t, const char *stack,
                                   const char *id, const json_t *tags, json_t *attrs)
{
    const char *owner = json_string_value(json_object_get(tags, RESUTIL_TAG_STACK));

    if (!owner && id) {
        if (!json_object_get(attrs, "tags"))
            json_object_set_new(attrs, "tags", tags ? json_deep_copy(tags) : json_object());
        return live_set_add(set, t, id, NULL, attrs);
    }
    return resutil_add_read(set, t, stack, id, tags, attrs);
}

struct live_obj *resutil_add_created(struct live_set *set, const struct restype *t,
                                     const struct restype_call *c, json_t *attrs, struct diag *d)
{
    const char *id = json_string_value(json_object_get(attrs, "id"));

    if (!id) {
        diag_error(d, NULL, "%s %s: the response names no new object", t->name, c->cairn_id);
        json_decref(attrs);
        return NULL;
    }
    if (t->taggable && !json_object_get(attrs, "tags"))
        json_object_set_new(attrs, "tags", c->tags ? json_deep_copy(c->tags) : json_object());
    return live_set_add(set, t, id, c->cairn_id, attrs);
}

int resutil_converge(struct session *s, const struct restype *t, const struct restype_call *c,
                     const json_t *desired, struct live_obj *o, struct diag *d)
{
    json_t *want = json_deep_copy(desired);
    const char **changed = NULL;
    struct diff df;
    size_t n = 0;
    int ret = -1;

    json_object_set_new(want, "tags", resutil_tags_want(c, desired));
    diff_init(&df);
    diff_resource(t, want, o->attrs, &df);
    changed = xcalloc(df.n + 1, sizeof(*changed));
    for (size_t i = 0; i < df.n; i++) {
        if (df.v[i].flags & ATTR_REPLACE) {
            diag_error(d, NULL, "%s %s: %s exists with another %s", t->name, c->cairn_id, o->id,
                       df.v[i].path);
            goto out;
        }
        changed[n++] = df.v[i].path;
    }
    ret = n ? resutil_update_of(t->ops)(s, c, want, o, changed, n, d) : 0;
out:
    free(changed);
    diff_release(&df);
    json_decref(want);
    return ret;
}

static int is_int(enum vtype t)
{
    return t == VT_INT || t == VT_PORT || t == VT_POSIX_ID;
}

int resutil_create_value(const struct restype *t, const struct attr *a,
                         const struct restype_call *c, const json_t *desired, json_t **value)
{
    const json_t *v = json_object_get(desired, a->name);
    const char *text;

    *value = NULL;
    if (!a->member || strchr(a->member, '/') || (a->flags & (ATTR_COMPUTED | ATTR_LATER)))
        return 0;
    if ((a->flags & ATTR_NAME) && c && c->physical_name) {
        *value = json_string(c->physical_name);
    } else if (a->type == VT_LIST || a->type == VT_MAP || a->type == VT_OBJECT ||
               a->type == VT_DOCUMENT) {
        *value = resutil_want_json(t, desired, a->name);
        if (!json_array_size(*value) && !json_object_size(*value)) {
            json_decref(*value);
            *value = NULL;
        }
    } else if ((v && !json_is_null(v)) || a->def) {
        if (a->type == VT_BOOL)
            *value = json_boolean(resutil_want_bool(t, desired, a->name));
        else if (is_int(a->type))
            *value = json_integer(resutil_want_int(t, desired, a->name, 0));
        else if ((text = resutil_want_str(t, desired, a->name)))
            *value = json_string(text);
    }
    return 1;
}

void resutil_create_body(const struct restype *t, const struct restype_call *c,
                         const json_t *desired, const json_t *tags, json_t *body)
{
    const struct dialect *dl = dialect_of(t->service);

    for (const struct attr *a = t->attrs; a->name; a++) {
        json_t *v;
        if (resutil_create_value(t, a, c, desired, &v) && v)
            json_object_set_new(body, a->member, v);
    }
    if (dl && dl->tags_member && tags) {
        json_t *list = resutil_tags_to_list(tags, dl->tag_key ? dl->tag_key : "k",
                                            dl->tag_value ? dl->tag_value : "v");
        json_t *map, *e;
        size_t i;
        if (dl->tag_key) {
            json_object_set_new(body, dl->tags_member, list);
        } else {
            map = json_object(); /* a map, without the aws:* keys AWS refuses */
            json_array_foreach(list, i, e)
            {
                json_object_set(map, json_string_value(json_object_get(e, "k")),
                                json_object_get(e, "v"));
            }
            json_object_set_new(body, dl->tags_member, map);
            json_decref(list);
        }
    }
}

int resutil_poll(struct session *s, resutil_probe_fn probe, void *arg, long first_ms, long max_ms,
                 unsigned seconds, struct diag *d)
{
    double t0 = monotime_s();
    long pause = first_ms;
    int r;

    while ((r = probe(s, arg, d)) == 0) {
        if (monotime_s() - t0 >= seconds)
            return 0;
        monotime_sleep_ms(pause);
        pause = pause * 2 > max_ms ? max_ms : pause * 2;
    }
    return r < 0 ? -1 : 1;
}

int resutil_adopt_check(const struct restype *t, const struct restype_call *c, const char *name,
                        const json_t *tags, struct diag *d)
{
    const char *st = json_string_value(json_object_get(tags, RESUTIL_TAG_STACK));
    const char *id = json_string_value(json_object_get(tags, RESUTIL_TAG_ID));
    const char *noun = strchr(t->name, '.');
    char what[64];
    size_t i;

    if (st && id && c->stack && c->cairn_id && strcmp(st, c->stack) == 0 &&
        strcmp(id, c->cairn_id) == 0)
        return 0;
    /* The type's name says what it is: iam.role a role, logs.log_group a log group. */
    snprintf(what, sizeof(what), "%s", noun ? noun + 1 : t->name);
    for (i = 0; what[i]; i++)
        if (what[i] == '_')
            what[i] = ' ';
    diag_error(d, NULL, "%s %s: a %s named %s exists and is not this stack's", t->name, c->cairn_id,
               what, name);
    return -1;
}

/* One delete of resutil_remove, as a probe: 1 gone, 0 still busy, -1 refused. */
struct remove_try {
    const struct live_obj *live;
    const char *id;
};

static int remove_once(struct session *s, void *arg, struct diag *d)
{
    const struct remove_try *r = arg;
    const struct restype *t = r->live->type;
    const struct restype_delete *del = &t->ops->del;
    const struct service *svc = service_lookup(t->service);
    struct apicall c;
    struct diag why;
    int ret = -1;

    apicall_init(&c, svc, del->op);
    if (del->path)
        apicall_rest(&c, "DELETE", del->path, apicall_escape(&c, r->id));
    else if (svc->proto == PROTO_JSON)
        apicall_json(&c, json_pack("{s:s}", del->member, r->id));
    else
        apicall_param(&c, del->member, r->id);
    diag_init(&why);
    if (session_call(s, &c, &why) == CALL_OK ||
        dialect_not_found(dialect_of(t->service), del->op, c.err.code))
        ret = 1;
    else if (del->busy && strstr(c.err.code, del->busy))
        ret = 0;
    /* The last refusal is the one that stands. */
    diag_clear(d);
    if (ret != 1)
        diag_error(d, NULL, "%s", diag_last(&why));
    diag_release(&why);
    apicall_release(&c);
    return ret;
}

int resutil_remove(struct session *s, const struct live_obj *live, unsigned how, struct diag *d)
{
    const struct restype_delete *del = &live->type->ops->del;
    struct diag mine;
    struct remove_try r = {
        live, del->attr ? json_string_value(json_object_get(live->attrs, del->attr)) : live->id};
    int rc;

    (void)how;
    if (!r.id) {
        diag_error(d, NULL, "%s %s: no %s to delete it by", live->type->name, live->id,
                   del->attr ? del->attr : "id");
        return -1;
    }
    diag_init(&mine);
    rc = resutil_poll(s, remove_once, &r, 1000, 10000, del->busy_seconds, &mine);
    if (rc != 1)
        diag_error(d, NULL, "%s", diag_last(&mine));
    diag_release(&mine);
    return rc == 1 ? 0 : -1;
}

int resutil_retag(struct session *s, struct live_obj *live, const char *arn, json_t *want,
                  struct diag *d)
{
    const struct dialect *dl = dialect_of(live->type->service);
    const char *svc = live->type->service;
    json_t *have = json_object_get(live->attrs, "tags"), *add = NULL, *del = NULL, *k, *target;
    size_t i;
    int ret = -1;

    if (!dl || !dl->tag_target || !arn) {
        diag_error(d, NULL, "%s %s: no %s to tag", live->type->name, live->id,
                   arn ? "tagging API" : "ARN");
        json_decref(want);
        return -1;
    }
    target = dl->tag_target_list ? json_pack("[s]", arn) : json_string(arn);
    resutil_tags_delta(have, want, &add, &del);
    if (json_object_size(add) &&
        dialect_call(s, svc, dl->tag_op,
                     json_pack("{s:O, s:o}", dl->tag_target, target, dl->tags_member,
                               dl->tag_key ? resutil_tags_to_list(add, dl->tag_key, dl->tag_value)
                                           : json_incref(add)),
                     0, NULL, d) < 0)
        goto out;
    if (json_array_size(del) &&
        dialect_call(s, svc, dl->untag_op,
                     json_pack("{s:O, s:O}", dl->tag_target, target, dl->untag_keys, del), 0, NULL,
                     d) < 0)
        goto out;
    json_object_update_missing(want, have); /* aws:* tags stay */
    json_array_foreach(del, i, k)
    {
        json_object_del(want, json_string_value(k));
    }
    json_object_set(live->attrs, "tags", want);
    ret = 0;
out:
    json_decref(target);
    json_decref(add);
    json_decref(del);
    json_decref(want);
    return ret;
}

int resutil_changeable(const struct live_obj *live, const char *const *changed, size_t nchanged,
                       const char *const *settable, struct diag *d)
{
    for (size_t i = 0; i < nchanged; i++) {
        size_t k = 0;
        while (settable && settable[k] && strcmp(settable[k], changed[i]) != 0)
            k++;
        if (!settable || !settable[k]) {
            diag_error(d, NULL, "%s %s: %s cannot change in place", live->type->name, live->id,
                       changed[i]);
            return -1;
        }
    }
    return 0;
}

int resutil_update_each(const struct resutil_setter *table, struct session *s,
                        const struct restype_call *c, const json_t *desired, struct live_obj *live,
                        const char *const *changed, size_t nchanged, struct diag *d)
{
    const struct resutil_setter *seen[16], *after[16];
    size_t nseen = 0, nafter = 0;

    for (size_t i = 0; i < nchanged; i++) {
        const struct resutil_setter *r = table;
        size_t k = 0;
        while (r && r->attr && strcmp(r->attr, changed[i]) != 0)
            r++;
        if (!r || !r->attr) {
            diag_error(d, NULL, "%s %s: %s cannot change in place", live->type->name, live->id,
                       changed[i]);
            return -1;
        }
        while (k < nseen && !(seen[k]->set == r->set && seen[k]->arg == r->arg))
            k++;
        if (r->when == RESUTIL_EACH || (k == nseen && r->when == RESUTIL_FIRST)) {
            if (r->set(s, c, desired, live, r, d) < 0)
                return -1;
        } else if (k == nseen && r->when == RESUTIL_AFTER && nafter < 16) {
            after[nafter++] = r;
        }
        if (k == nseen && nseen < 16)
            seen[nseen++] = r;
    }
    for (size_t k = 0; k < nafter; k++)
        if (after[k]->set(s, c, desired, live, after[k], d) < 0)
            return -1;
    return 0;
}

int resutil_update(struct session *s, const struct restype_call *c, const json_t *desired,
                   struct live_obj *live, const char *const *changed, size_t nchanged,
                   struct diag *d)
{
    return resutil_update_each(live->type->ops->setters, s, c, desired, live, changed, nchanged, d);
}

restype_update_fn *resutil_update_of(const struct restype_ops *ops)
{
    return !ops ? NULL : ops->update ? ops->update : resutil_update;
}

restype_remove_fn *resutil_remove_of(const struct restype_ops *ops)
{
    return !ops ? NULL : ops->remove ? ops->remove : ops->del.op ? resutil_remove : NULL;
}

const struct resutil_setter resutil_tags_only[] = {
    {"tags", resutil_set_tags, RESUTIL_EACH, NULL},
    {NULL, NULL, RESUTIL_EACH, NULL},
};

int resutil_owned(const json_t *tags, const struct restype_call *c)
{
    const char *st = json_string_value(json_object_get(tags, RESUTIL_TAG_STACK));
    const char *id = json_string_value(json_object_get(tags, RESUTIL_TAG_ID));

    return st && id && c->stack && c->cairn_id && strcmp(st, c->stack) == 0 &&
           strcmp(id, c->cairn_id) == 0;
}

int resutil_set_tags(struct session *s, const struct restype_call *c, const json_t *desired,
                     struct live_obj *live, const struct resutil_setter *row, struct diag *d)
{
    const char *id = json_string_value(json_object_get(live->attrs, row->arg ? row->arg : "arn"));

    return resutil_retag(s, live, id, resutil_tags_want(c, desired), d);
}

int resutil_set_none(struct session *s, const struct restype_call *c, const json_t *desired,
                     struct live_obj *live, const struct resutil_setter *row, struct diag *d)
{
    (void)s, (void)c, (void)desired, (void)live, (void)row, (void)d;
    return 0;
}

int resutil_set_member(struct session *s, const struct restype_call *c, const json_t *desired,
                       struct live_obj *live, const struct resutil_setter *row, struct diag *d)
{
    const struct resutil_put *p = row->arg;
    const struct attr *a = restype_attr(live->type->attrs, row->attr);
    const json_t *v = json_object_get(desired, row->attr);
    json_t *val = v && !json_is_null(v) ? resmap_api_value(a, v) : NULL;
    json_t *body = json_pack("{s:O}", p->target, json_object_get(live->attrs, p->target_attr));
    char *text = val && a->type == VT_DOCUMENT ? json_dumps(val, JSON_COMPACT) : NULL;
    unsigned how = val ? p->how | (c->just_made ? DIALECT_JUST_MADE : 0) : p->clear_how;
    int ret;

    if (val)
        json_object_set_new(body, p->member, text ? json_string(text) : json_incref(val));
    ret = dialect_call(s, live->type->service, val || !p->clear_op ? p->op : p->clear_op, body, how,
                       NULL, d);
    if (ret == 0 && val)
        json_object_set(live->attrs, row->attr, val);
    else if (ret == 0)
        json_object_del(live->attrs, row->attr);
    free(text);
    json_decref(val);
    return ret;
}

int resutil_collect(struct session *s, const json_t *item, void *arg, struct diag *d)
{
    (void)s, (void)d;
    return json_array_append((json_t *)arg, (json_t *)item);
}

const char *resutil_create_name(const struct restype *t, const struct restype_call *c,
                                const json_t *desired, struct diag *d)
{
    const struct attr *a = restype_name_attr(t);
    const char *name = a ? resutil_want_str(t, desired, a->name) : NULL;

    if (resutil_check_required(t, c->cairn_id, desired, d) < 0)
        return NULL;
    if (!name && !(name = c->physical_name))
        diag_error(d, NULL, "%s %s: no name to give it", t->name, c->cairn_id);
    return name;
}
