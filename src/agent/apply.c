#include "agent/apply.h"
#include "aws/session.h"
#include "aws/sigv4.h"
#include "core/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const struct restype *type_of(const struct plan_action *a)
{
    return a->res ? a->res->type : a->live->type;
}

/* A dependency failed or was skipped: this one cannot be made. */
static int blocked(const struct plan *p, const struct plan_action *a)
{
    for (size_t i = 0; a->res && i < a->res->ndeps; i++) {
        const struct plan_action *dep = plan_action_of(p, a->res->deps[i]);
        if (dep && dep->failed)
            return 1;
    }
    return 0;
}

/*
 * The idempotency token: the same for the same stack, resource and desired attributes, so a
 * create repeated after a crash adopts what the first one made, while a replacement (other
 * attributes) gets a new object.
 */
static void token_for(const char *stack, const char *id, const json_t *desired, char out[33])
{
    char *text = json_dumps(desired, JSON_COMPACT | JSON_SORT_KEYS);
    char hex[SIGV4_HEX_LEN + 1];
    size_t n = strlen(stack) + strlen(id) + strlen(text ? text : "") + 3;
    char *all = malloc(n);

    snprintf(all, n, "%s/%s/%s", stack, id, text ? text : "");
    sigv4_sha256_hex(all, strlen(all), hex);
    memcpy(out, hex, 32);
    out[32] = '\0';
    free(all);
    free(text);
}

static void report(FILE *progress, const struct plan_action *a, const char *what, const char *id,
                   double t0)
{
    if (progress)
        fprintf(progress, "%s (%s): %s%s%s (%.1fs)\n", plan_action_name(a), type_of(a)->name, what,
                id ? " " : "", id ? id : "", now_s() - t0);
}

static int remove_one(struct session *s, struct plan_action *a, FILE *progress, struct diag *d)
{
    const struct restype_ops *ops = type_of(a)->ops;
    double t0 = now_s();

    if (!ops || !ops->remove) {
        diag_error(d, NULL, "%s (%s): cairn cannot delete this type yet", plan_action_name(a),
                   type_of(a)->name);
        return -1;
    }
    if (ops->remove(s, a->live, d) < 0)
        return -1;
    report(progress, a, a->kind == PLAN_DELETE ? "deleted" : "deleted for replacement", a->live->id,
           t0);
    return 0;
}

static int make_one(struct session *s, struct stack *st, struct plan *p, struct plan_action *a,
                    FILE *progress, struct diag *d)
{
    const struct restype_ops *ops = a->res->type->ops;
    json_t *desired = plan_resolve(p, st, a->desired);
    struct restype_call call = {st->name, a->res->name, a->res->physical_name,
                                json_object_get(desired, "tags"), NULL};
    struct live_obj *made = NULL;
    char token[33];
    double t0 = now_s();
    int ret = -1;

    if (!ops || (a->kind == PLAN_UPDATE ? !ops->update : !ops->create)) {
        diag_error(d, NULL, "%s (%s): cairn cannot %s this type yet", a->res->name,
                   a->res->type->name, a->kind == PLAN_UPDATE ? "update" : "create");
        goto out;
    }
    token_for(st->name, a->res->name, desired, token);
    call.token = token;
    if (a->kind == PLAN_UPDATE) {
        const char *changed[64];
        size_t n = 0;
        for (size_t i = 0; i < a->changes.n && n < 64; i++)
            changed[n++] = a->changes.v[i].path;
        if (ops->update(s, &call, desired, a->live, changed, n, d) < 0)
            goto out;
        report(progress, a, "updated", a->live->id, t0);
    } else {
        if (ops->create(s, &call, desired, &a->created, &made, d) < 0)
            goto out;
        a->live = made;
        report(progress, a, a->kind == PLAN_CREATE ? "created" : "replaced", made->id, t0);
    }
    ret = 0;
out:
    json_decref(desired);
    return ret;
}

static void remove_action(struct session *s, struct plan_action *a, FILE *progress,
                          struct apply_result *r, struct diag *d)
{
    if (remove_one(s, a, progress, d) < 0) {
        a->failed = 1;
        r->failed++;
    } else if (a->kind == PLAN_DELETE) {
        a->applied = 1;
        r->done[PLAN_DELETE]++;
    }
}

int apply_plan(struct session *s, struct stack *st, struct plan *p, FILE *progress,
               struct apply_result *r, struct diag *d)
{
    memset(r, 0, sizeof(*r));
    /* Removals, dependants before what they depend on. Deletes are listed that way already
     * (the reverse of the read order, which reads parents first); the old halves of
     * replacements are in dependency order, so they go backwards. */
    for (size_t i = 0; i < p->n; i++)
        if (p->v[i].kind == PLAN_DELETE)
            remove_action(s, &p->v[i], progress, r, d);
    for (size_t i = p->n; i > 0; i--)
        if (p->v[i - 1].kind == PLAN_REPLACE)
            remove_action(s, &p->v[i - 1], progress, r, d);
    for (size_t i = 0; i < p->n; i++) {
        struct plan_action *a = &p->v[i];
        if (a->kind == PLAN_DELETE || a->failed)
            continue;
        if (a->kind == PLAN_NOOP) {
            a->applied = 1;
            continue;
        }
        if (blocked(p, a)) {
            a->failed = 1;
            r->skipped++;
            if (progress)
                fprintf(progress, "%s (%s): skipped: a dependency failed\n", a->res->name,
                        a->res->type->name);
            continue;
        }
        if (make_one(s, st, p, a, progress, d) < 0) {
            a->failed = 1;
            r->failed++;
            continue;
        }
        a->applied = 1;
        r->done[a->kind]++;
    }
    return r->failed || r->skipped ? -1 : 0;
}
