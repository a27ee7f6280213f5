#include "agent/plan.h"
#include "agent/graph.h"
#include "agent/interp.h"
#include "agent/render.h"
#include "core/printable.h"
#include "core/strbuf.h"
#include "core/xmalloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define KNOWN_AFTER_APPLY "(known after apply)"

static const char *const kind_names[] = {"no-op", "create", "update", "replace", "delete"};

const char *plan_kind_name(enum plan_kind k)
{
    return kind_names[k];
}

void plan_init(struct plan *p)
{
    memset(p, 0, sizeof(*p));
}

void plan_release(struct plan *p)
{
    for (size_t i = 0; i < p->n; i++) {
        json_decref(p->v[i].desired);
        diff_release(&p->v[i].changes);
        live_set_release(&p->v[i].created);
    }
    free(p->v);
    plan_init(p);
}

const char *plan_action_name(const struct plan_action *a)
{
    if (a->res)
        return a->res->name;
    return a->live->cairn_id ? a->live->cairn_id : "(extra)";
}

int plan_has_changes(const struct plan *p)
{
    return p->count[PLAN_CREATE] + p->count[PLAN_UPDATE] + p->count[PLAN_REPLACE] +
               p->count[PLAN_DELETE] >
           0;
}

static struct plan_action *add(struct plan *p, enum plan_kind kind)
{
    struct plan_action *a;

    XGROW(p->v, p->alloc, p->n + 1);
    a = &p->v[p->n++];
    memset(a, 0, sizeof(*a));
    a->kind = kind;
    diff_init(&a->changes);
    live_set_init(&a->created);
    return a;
}

struct plan_action *plan_action_of(const struct plan *p, const struct stack_res *r)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->v[i].res == r)
            return &p->v[i];
    return NULL;
}

struct resolver {
    struct stack *s;
    const struct live_set *live;
    const struct plan *p;
};

/* The live value ${expr} stands for (borrowed), or NULL while it is known only after apply:
 * the resource is being created or replaced, or AWS does not report that attribute. */
static json_t *known_value(const struct resolver *rv, const char *expr)
{
    char name[256];
    size_t len = strlen(expr);
    const struct plan_action *a;
    const struct stack_res *t = NULL;

    /* The longest dotted prefix that is a resource; the rest is the attribute. */
    while (len > 0 && !t) {
        while (len > 0 && expr[len - 1] != '.')
            len--;
        if (len-- == 0 || len >= sizeof(name))
            break;
        snprintf(name, sizeof(name), "%.*s", (int)len, expr);
        t = stack_find(rv->s, name);
    }
    /* A replaced object's values are the old ones until the new one is made. */
    if (!t || !(a = plan_action_of(rv->p, t)) || !a->live ||
        (a->kind == PLAN_REPLACE && !a->applied))
        return NULL;
    return json_object_get(a->live->attrs, expr + len + 1);
}

/* Resolve references in every string of v against live values; new reference. */
static json_t *resolve(const struct resolver *rv, const json_t *v)
{
    const char *k;
    size_t i;
    json_t *e, *out;

    if (json_is_object(v)) {
        out = json_object();
        json_object_foreach((json_t *)v, k, e)
        {
            json_object_set_new(out, k, resolve(rv, e));
        }
        return out;
    }
    if (json_is_array(v)) {
        out = json_array();
        json_array_foreach(v, i, e)
        {
            json_array_append_new(out, resolve(rv, e));
        }
        return out;
    }
    if (json_is_string(v) && interp_has_expr(json_string_value(v))) {
        struct arena a;
        struct interp in;
        struct strbuf sb = STRBUF_INIT, why = STRBUF_INIT;
        size_t off;
        int unknown = 0;

        arena_init(&a);
        out = NULL;
        if (interp_parse(&a, json_string_value(v), &in, &off, &why) == 0) {
            for (i = 0; i < in.n; i++) {
                json_t *kv = in.parts[i].is_expr ? known_value(rv, in.parts[i].text) : NULL;
                if (!in.parts[i].is_expr) {
                    strbuf_adds(&sb, in.parts[i].text);
                } else if (!kv) {
                    strbuf_addf(&sb, "${%s}", in.parts[i].text);
                    unknown = 1;
                } else if (interp_is_single(&in)) {
                    out = json_incref(kv);
                } else if (json_is_string(kv)) {
                    strbuf_adds(&sb, json_string_value(kv));
                } else {
                    char *t = json_dumps(kv, JSON_ENCODE_ANY | JSON_COMPACT);
                    strbuf_adds(&sb, t);
                    free(t);
                }
            }
        }
        if (!out)
            out =
                unknown || sb.len || in.n ? json_stringn(sb.buf, sb.len) : json_incref((json_t *)v);
        strbuf_release(&sb);
        strbuf_release(&why);
        arena_release(&a);
        return out;
    }
    return json_incref((json_t *)v);
}

/* The live object of type t with this id: among the objects read, else among those the plan
 * has made or adopted so far. */
static const struct live_obj *live_of(const struct resolver *rv, const struct restype *t,
                                      const char *id)
{
    const struct live_obj *o = rv->live ? live_find_id(rv->live, t, id) : NULL;

    for (size_t i = 0; !o && i < rv->p->n; i++) {
        const struct live_obj *l = rv->p->v[i].live;
        if (l && l->type == t && l->id && strcmp(l->id, id) == 0)
            o = l;
    }
    return o;
}

/* A type whose objects live on a volume cairn restore may have replaced follows the live
 * volume (restype_restore.follow: an access point's root directory inside the restored
 * files' directory). */
static void follow_parent(const struct resolver *rv, const struct stack_res *r, json_t *d)
{
    const struct restype_restore *h = r->type->ops ? r->type->ops->restore : NULL;
    const struct live_obj *parent;
    const char *id;

    if (h && h->follow && h->parent_attr &&
        (id = json_string_value(json_object_get(d, h->parent_attr))) &&
        (parent = live_of(rv, h->parent, id)))
        h->follow(d, parent);
}

/* The attributes to send: properties typed by the table, references resolved where known, the
 * physical name, and the tags (the stack's, the resource's own, cairn:stack and cairn:id). */
static json_t *desired_of(const struct resolver *rv, const struct stack_res *r)
{
    const struct attr *na = restype_name_attr(r->type);
    json_t *raw = render_props(r->type->attrs, r->props, 0), *d = resolve(rv, raw), *tags;

    json_decref(raw);
    follow_parent(rv, r, d);
    if (na && r->physical_name && !json_object_get(d, na->name))
        json_object_set_new(d, na->name, json_string(r->physical_name));
    if (!r->type->taggable)
        return d;
    tags = json_object();
    for (size_t i = 0; rv->s->tags && i < rv->s->tags->n; i++)
        json_object_set_new(tags, rv->s->tags->keys[i]->str,
                            json_string(rv->s->tags->vals[i]->str));
    json_object_update(tags, json_object_get(d, "tags"));
    json_object_set_new(tags, "cairn:stack", json_string(rv->s->name));
    json_object_set_new(tags, "cairn:id", json_string(r->name));
    json_object_set_new(d, "tags", tags);
    return d;
}

json_t *plan_resolve(const struct plan *p, struct stack *s, const json_t *v)
{
    struct resolver rv = {s, NULL, p};
    return resolve(&rv, v);
}

/* The cairn:restore* tags cairn restore keeps on a live object (where its files are, what it
 * was restored from) are not the file's to remove: they join the desired tags. */
static void keep_restore_tags(json_t *desired, const struct live_obj *l)
{
    json_t *want = json_object_get(desired, "tags"), *v;
    const char *k;

    if (!json_is_object(want))
        return;
    json_object_foreach(json_object_get(l->attrs, "tags"), k, v)
    {
        if (strncmp(k, PLAN_TAG_RESTORE_PREFIX, strlen(PLAN_TAG_RESTORE_PREFIX)) == 0)
            json_object_set(want, k, v);
    }
}

/* The reads find only what the stack owns (tagged with it, or a child under one of its
 * parents): all of it goes, dependants first. */
void plan_build_destroy(struct plan *p, const struct live_set *live)
{
    for (size_t i = live->n; i > 0; i--) {
        add(p, PLAN_DELETE)->live = &live->v[i - 1];
        p->count[PLAN_DELETE]++;
    }
}

static int adopted(const struct plan *p, const struct live_obj *o)
{
    for (size_t i = 0; p && i < p->n; i++)
        if (p->v[i].live == o)
            return 1;
    return 0;
}

/* The flags an attribute needs to identify an untaggable object: required and fixed for its
 * life where the type has such attributes, else required. */
static unsigned identity_flags(const struct restype *t)
{
    for (const struct attr *a = t->attrs; a->name; a++)
        if ((a->flags & (ATTR_REQUIRED | ATTR_REPLACE)) == (ATTR_REQUIRED | ATTR_REPLACE))
            return ATTR_REQUIRED | ATTR_REPLACE;
    return ATTR_REQUIRED;
}

/*
 * An untaggable object (a route, a route table association) has no cairn:id: it is the one
 * whose identifying attributes (its route table and destination; its subnet) equal the desired
 * ones, so that a change of the others (the association's route table, a backup policy's
 * status) is an update of it. Unknown desired values (a parent still to be made) match nothing.
 */
static struct live_obj *match_untagged(const struct plan *p, const struct live_set *live,
                                       const struct restype *t, const json_t *desired)
{
    unsigned need = identity_flags(t);

    for (size_t i = 0; i < live->n; i++) {
        struct live_obj *o = &live->v[i];
        int same = o->type == t && !adopted(p, o);
        for (const struct attr *a = t->attrs; same && a->name; a++) {
            const json_t *dv = json_object_get(desired, a->name);
            if ((a->flags & need) != need)
                continue;
            same = dv && json_equal(dv, json_object_get(o->attrs, a->name)) &&
                   !(json_is_string(dv) && interp_has_expr(json_string_value(dv)));
        }
        if (same)
            return o;
    }
    return NULL;
}

struct live_obj *plan_find_live(const struct live_set *live, const struct stack_res *r,
                                const json_t *desired)
{
    return r->type->taggable ? live_find(live, r->type, r->name)
                             : match_untagged(NULL, live, r->type, desired);
}

/* Whether r's type could not be read, or a resource it depends on is left alone for that. */
static int needs_unread(const struct plan *p, const struct live_set *live,
                        const struct stack_res *r)
{
    if (live_unread(live, r->type))
        return 1;
    for (size_t i = 0; i < r->ndeps; i++) {
        const struct plan_action *dep = plan_action_of(p, r->deps[i]);
        if (dep && dep->unread)
            return 1;
    }
    return 0;
}

/*
 * An object read without its attributes (live_obj digest) that holds what desired asks for:
 * the object cannot have changed since the stack made it with those values, so they are its
 * attributes. Left as it is when the digests differ (live_detail reads it then).
 */
static void settle(const struct restype *t, const json_t *desired, struct live_obj *l)
{
    char digest[DIFF_DIGEST_LEN + 1];
    const char *k;
    json_t *v;

    diff_digest(t, desired, digest);
    if (strcmp(digest, l->digest) != 0)
        return;
    json_object_foreach((json_t *)desired, k, v)
    {
        const struct attr *a = restype_attr(t->attrs, k);
        if (a && !(a->flags & ATTR_COMPUTED) && strcmp(k, "tags") != 0)
            json_object_set_new(l->attrs, k, json_deep_copy(v));
    }
    free(l->digest);
    l->digest = NULL;
}

int plan_build(struct plan *p, struct stack *s, const struct live_set *live, struct diag *d)
{
    struct resolver rv = {s, live, p};
    struct stack_res **order = graph_order(s);

    for (size_t i = 0; i < s->nres; i++) {
        struct stack_res *r = order[i];
        struct plan_action *a = add(p, PLAN_CREATE);
        struct live_obj *l;

        a->res = r;
        /* Dependencies come first in order, so their actions decide what is known. */
        a->desired = desired_of(&rv, r);
        if (needs_unread(p, live, r)) {
            /* Unknown: a create could make a second object, a diff against unresolved
             * references a needless replacement. The rest of the run goes on without it. */
            a->kind = PLAN_NOOP;
            a->unread = a->failed = 1;
            p->nunread++;
            continue;
        }
        l = r->type->taggable ? live_find(live, r->type, r->name)
                              : match_untagged(p, live, r->type, a->desired);
        a->live = l;
        a->kind = l ? PLAN_NOOP : PLAN_CREATE;
        if (l) {
            if (l->digest)
                settle(r->type, a->desired, l);
            keep_restore_tags(a->desired, l);
            diff_resource(r->type, a->desired, l->attrs, &a->changes);
            if (a->changes.n)
                a->kind = diff_replaces(&a->changes) ? PLAN_REPLACE : PLAN_UPDATE;
        }
        p->count[a->kind]++;
    }
    /* Tagged with the stack but not (or no longer, or twice) in the file, or tagged with it
     * without a cairn:id: delete, dependants first, which is the reverse of the order the reads
     * found them in. Untagged children are found through the stack's parents: unmatched, they
     * are extras (a route added by hand to the stack's route table, an access point added by
     * hand on its file system), which go too: a parent the stack owns owns its children whole. */
    for (size_t i = live->n; i > 0; i--) {
        struct live_obj *o = &live->v[i - 1];
        struct plan_action *a;
        if (adopted(p, o))
            continue;
        a = add(p, PLAN_DELETE);
        a->live = o;
        if (o->cairn_id && stack_find(s, o->cairn_id)) {
            const struct live_obj *kept = live_find(live, o->type, o->cairn_id);
            a->dup_of = kept != o ? kept : NULL;
        }
        p->count[PLAN_DELETE]++;
    }
    (void)d;
    return 0;
}

static const char *sym(enum plan_kind k)
{
    static const char *const s[] = {" ", "+", "~", "-/+", "-"};
    return s[k];
}

static const char *colour(enum plan_kind k, int on)
{
    static const char *const c[] = {"", "\033[32m", "\033[33m", "\033[35m", "\033[31m"};
    return on ? c[k] : "";
}

static void print_value(FILE *out, const json_t *v, const struct diff_change *c, int is_new)
{
    char *t;

    if (!v) {
        fputs("(none)", out);
        return;
    }
    if (c->flags & ATTR_SENSITIVE) {
        fputs("(sensitive)", out);
        return;
    }
    if (is_new && c->unknown) {
        fputs(KNOWN_AFTER_APPLY, out);
        return;
    }
    t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    printable_fputs(t, SIZE_MAX, out);
    free(t);
}

void plan_print(const struct plan *p, FILE *out, int color)
{
    const char *reset = color ? "\033[0m" : "";

    for (size_t i = 0; i < p->n; i++) {
        const struct plan_action *a = &p->v[i];
        const char *name = plan_action_name(a);
        const struct restype *t = a->res ? a->res->type : a->live->type;
        if (a->unread) {
            fprintf(out, "%3s %s (%s)  # left alone: its read, or a dependency's, failed\n", "?",
                    name, t->name);
            continue;
        }
        if (a->kind == PLAN_NOOP)
            continue;
        /* Names of extras and ids come from AWS: escaped. */
        fprintf(out, "%s%3s ", colour(a->kind, color), sym(a->kind));
        printable_fputs(name, PRINTABLE_MAX, out);
        fprintf(out, "%s (%s)%s", reset, t->name, a->live && a->live->id ? " " : "");
        printable_fputs(a->live ? a->live->id : NULL, PRINTABLE_MAX, out);
        if (a->kind == PLAN_REPLACE) {
            fputs("  # replaced: ", out);
            for (size_t j = 0, n = 0; j < a->changes.n; j++)
                if (a->changes.v[j].flags & ATTR_REPLACE)
                    fprintf(out, "%s%s", n++ ? ", " : "", a->changes.v[j].path);
            fputs(" cannot change in place", out);
        } else if (a->kind == PLAN_DELETE && a->dup_of) {
            fputs("  # a second object under cairn:id ", out);
            printable_fputs(name, PRINTABLE_MAX, out);
            fputs(": ", out);
            printable_fputs(a->dup_of->id ? a->dup_of->id : "(no id)", PRINTABLE_MAX, out);
            fputs(" is the one kept", out);
        } else if (a->kind == PLAN_DELETE) {
            fputs("  # not in the stack file", out);
        }
        fputc('\n', out);
        for (size_t j = 0; j < a->changes.n; j++) {
            const struct diff_change *c = &a->changes.v[j];
            fprintf(out, "      %s: ", c->path);
            print_value(out, c->old, c, 0);
            fputs(" -> ", out);
            print_value(out, c->new, c, 1);
            fputc('\n', out);
        }
        if (a->kind == PLAN_CREATE) {
            const char *k;
            json_t *v;
            json_object_foreach(a->desired, k, v)
            {
                const struct attr *at = restype_attr(t->attrs, k);
                struct diff_change c = {.flags = at ? at->flags : 0};
                c.unknown = json_is_string(v) && interp_has_expr(json_string_value(v));
                fprintf(out, "      %s: ", k);
                print_value(out, v, &c, 1);
                fputc('\n', out);
            }
            /* A sensitive value the create makes itself (a generated password) will exist:
             * say so, without anything of it. */
            for (const struct attr *at = t->attrs; at->name; at++)
                if ((at->flags & ATTR_SENSITIVE) && !json_object_get(a->desired, at->name))
                    fprintf(out, "      %s: (sensitive, made when created)\n", at->name);
        }
    }
    fprintf(out, "Plan: %zu to create, %zu to update, %zu to replace, %zu to delete, %zu unchanged",
            p->count[PLAN_CREATE], p->count[PLAN_UPDATE], p->count[PLAN_REPLACE],
            p->count[PLAN_DELETE], p->count[PLAN_NOOP]);
    if (p->nunread)
        fprintf(out, ", %zu not read", p->nunread);
    fputs(".\n", out);
}

static json_t *value_json(const json_t *v, const struct diff_change *c, int is_new)
{
    if (!v)
        return json_null();
    if (c->flags & ATTR_SENSITIVE)
        return json_string("(sensitive)");
    if (is_new && c->unknown)
        return json_null();
    return json_incref((json_t *)v);
}

json_t *plan_json(const struct plan *p)
{
    json_t *root = json_object(), *list = json_array(), *sum = json_object();

    for (size_t i = 0; i < p->n; i++) {
        const struct plan_action *a = &p->v[i];
        json_t *o = json_object(), *ch = json_array();
        json_object_set_new(o, "action",
                            json_string(a->unread ? "not-read" : plan_kind_name(a->kind)));
        json_object_set_new(o, "resource", json_string(plan_action_name(a)));
        json_object_set_new(o, "type", json_string((a->res ? a->res->type : a->live->type)->name));
        json_object_set_new(o, "id",
                            a->live && a->live->id ? json_string(a->live->id) : json_null());
        if (a->dup_of && a->dup_of->id)
            json_object_set_new(o, "duplicate_of", json_string(a->dup_of->id));
        for (size_t j = 0; j < a->changes.n; j++) {
            const struct diff_change *c = &a->changes.v[j];
            json_array_append_new(
                ch, json_pack("{s:s, s:o, s:o, s:b, s:b, s:b}", "attribute", c->path, "old",
                              value_json(c->old, c, 0), "new", value_json(c->new, c, 1),
                              "forces_replacement", !!(c->flags & ATTR_REPLACE), "sensitive",
                              !!(c->flags & ATTR_SENSITIVE), "known_after_apply", c->unknown));
        }
        json_object_set_new(o, "changes", ch);
        json_array_append_new(list, o);
    }
    for (int k = 0; k < PLAN__KINDS; k++)
        json_object_set_new(sum, k == PLAN_NOOP ? "unchanged" : kind_names[k],
                            json_integer((json_int_t)p->count[k]));
    json_object_set_new(sum, "not_read", json_integer((json_int_t)p->nunread));
    json_object_set_new(root, "format_version", json_integer(1));
    json_object_set_new(root, "actions", list);
    json_object_set_new(root, "summary", sum);
    return root;
}
