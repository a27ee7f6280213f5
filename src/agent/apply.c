#include "agent/apply.h"
#include "agent/resources/resutil.h"
#include "aws/session.h"
#include "aws/sigv4.h"
#include "core/log.h"
#include "core/monotime.h"
#include "core/printable.h"

#include <errno.h>
#include <pthread.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
    if (!progress)
        return;
    /* The name of an extra and ids come from AWS: escaped. */
    printable_fputs(plan_action_name(a), PRINTABLE_MAX, progress);
    fprintf(progress, " (%s): %s%s", type_of(a)->name, what, id ? " " : "");
    printable_fputs(id, PRINTABLE_MAX, progress);
    fprintf(progress, " (%.1fs)\n", monotime_s() - t0);
}

static int remove_one(struct session *s, struct plan_action *a, const struct apply_options *o,
                      struct diag *d)
{
    restype_remove_fn *remove = resutil_remove_of(type_of(a)->ops);
    double t0 = monotime_s();

    if (!remove) {
        diag_error(d, NULL, "%s (%s): cairn cannot delete this type yet", plan_action_name(a),
                   type_of(a)->name);
        return -1;
    }
    if (remove(s, a->live, o->remove_how, d) < 0)
        return -1;
    report(o->progress, a, a->kind == PLAN_DELETE ? "deleted" : "deleted for replacement",
           a->live->id, t0);
    return 0;
}

/* Poll the type's ready hook with growing pauses (0.25 s doubling to 5 s) until ready, failed,
 * or the type's time is up; a line when the wait starts and every 30 s after, so that a long
 * wait (an ECS service reaching a steady state) is visibly alive in CI logs too. */
static int wait_ready(struct session *s, struct plan_action *a, FILE *progress, struct diag *d)
{
    const struct restype_ops *ops = a->res->type->ops;
    unsigned limit = ops->wait_seconds ? ops->wait_seconds : APPLY_DEFAULT_WAIT;
    double t0 = monotime_s(), said = -1;
    long pause = 250;
    int r;

    if (!ops->ready)
        return 0;
    while ((r = ops->ready(s, a->live, d)) == 0) {
        if (session_time_left() == 0) {
            diag_error(d, NULL,
                       "%s (%s) %s: not ready when the run's time limit (--timeout %gs) "
                       "was reached",
                       a->res->name, a->res->type->name, a->live->id, session_deadline_seconds());
            return -1;
        }
        if (monotime_s() - t0 > limit) {
            diag_error(d, NULL, "%s (%s) %s: not ready after %u s", a->res->name,
                       a->res->type->name, a->live->id, limit);
            return -1;
        }
        if (progress && (said < 0 || monotime_s() - said >= 30)) {
            report(progress, a, said < 0 ? "waiting until it is ready" : "still waiting",
                   a->live->id, t0);
            said = monotime_s();
        }
        monotime_sleep_ms(pause);
        pause = pause * 2 > 5000 ? 5000 : pause * 2;
    }
    return r < 0 ? -1 : 0;
}

/* The changes that bring live to desired (normalized as the planner does). */
static void changes_of(const struct stack_res *r, const json_t *desired, const struct live_obj *l,
                       struct diff *out)
{
    diff_release(out);
    diff_init(out);
    diff_resource(r->type, desired, l->attrs, out);
}

/* One create, or one update with the given changes. */
static int send_write(struct session *s, struct plan_action *a, const struct restype_call *call,
                      const json_t *desired, const struct diff *changes, int create, struct diag *d)
{
    const struct restype_ops *ops = a->res->type->ops;
    struct live_obj *made = NULL;
    const char *changed[64];
    size_t n = 0;

    if (create) {
        if (ops->create(s, call, desired, &a->created, &made, d) < 0)
            return -1;
        a->live = made;
        return 0;
    }
    for (size_t i = 0; i < changes->n && n < 64; i++)
        changed[n++] = changes->v[i].path;
    return resutil_update_of(ops)(s, call, desired, a->live, changed, n, d);
}

/*
 * Look for what an unanswered write did: read the type again and take the object that carries
 * the resource's cairn:id (an untaggable child: its identifying attributes). It joins a->created,
 * and a->live points at it; NULL live when there is none (then the write never happened).
 */
static int look_again(struct session *s, struct stack *st, struct plan_action *a,
                      const json_t *desired, struct diag *d)
{
    struct live_set got;
    struct live_obj *o;
    int ret = -1;

    live_set_init(&got);
    /* In full: what it holds is compared with desired next (live_obj digest). */
    if (a->res->type->ops->read(s, a->res->type, st->name, &got, d) < 0 ||
        live_detail(s, &got, d) < 0)
        goto out;
    a->live = NULL;
    if ((o = plan_find_live(&got, a->res, desired))) {
        a->live = live_set_add(&a->created, o->type, o->id, o->cairn_id, json_incref(o->attrs));
        a->live->pending = o->pending;
    }
    ret = 0;
out:
    live_set_release(&got);
    return ret;
}

/*
 * Create or update, never blindly twice. The session does not repeat a write that could make a
 * second object (a create without an idempotency token) after an answer that may hide success
 * (a 5xx, a time-out, a dropped connection); it counts it in s->ambiguous instead. Then the
 * type is read again: what the resource's cairn:id is on is adopted and brought to the desired
 * state by an update; only when nothing is there is the create sent again
 * (docs/idempotency.md).
 */
static int write_settled(struct session *s, struct stack *st, struct plan_action *a,
                         const struct restype_call *call, const json_t *desired, FILE *progress,
                         int *found, struct diag *d)
{
    enum { CREATE, UPDATE, STUCK } mode = a->kind == PLAN_UPDATE ? UPDATE : CREATE;
    struct diff changes;
    struct diag round;
    int ret = -1;

    diff_init(&changes);
    diag_init(&round);
    /* The first update sends what the plan found (a reference known only now, such as a new
     * task definition revision, differs there); later rounds what the read shows. */
    const struct diff *cur = &a->changes;

    for (int n = 0;; n++) {
        unsigned long before = s->ambiguous;
        if (mode == STUCK) {
            diag_error(&round, NULL,
                       "%s (%s) %s: found after a lost answer, but it differs in what cannot "
                       "change in place; run up again",
                       a->res->name, a->res->type->name, a->live->id);
            break;
        }
        if (mode == UPDATE && !cur->n) {
            ret = 0;
            break;
        }
        if (send_write(s, a, call, desired, cur, mode == CREATE, &round) == 0) {
            ret = 0;
            break;
        }
        if (s->ambiguous == before || n >= APPLY_LOOK_AGAIN)
            break;
        if (progress) {
            fprintf(progress, "%s (%s): no answer (", a->res->name, a->res->type->name);
            printable_fputs(diag_last(&round), PRINTABLE_MAX, progress);
            fputs("); looking for what it did\n", progress);
        }
        diag_clear(&round);
        if (look_again(s, st, a, desired, &round) < 0)
            break;
        if (!a->live) {
            if (a->kind == PLAN_UPDATE) {
                diag_error(&round, NULL, "%s (%s): gone from AWS during the update", a->res->name,
                           a->res->type->name);
                break;
            }
            mode = CREATE;
            continue;
        }
        *found = 1;
        changes_of(a->res, desired, a->live, &changes);
        cur = &changes;
        mode = diff_replaces(&changes) ? STUCK : UPDATE;
    }
    for (size_t i = 0; ret < 0 && i < round.n; i++)
        diag_error(d, NULL, "%s", round.v[i].msg);
    diff_release(&changes);
    diag_release(&round);
    return ret;
}

static int make_one(struct session *s, struct stack *st, struct plan *p, struct plan_action *a,
                    FILE *progress, struct diag *d)
{
    const struct restype_ops *ops = a->res->type->ops;
    json_t *desired = plan_resolve(p, st, a->desired);
    const struct attr *na = restype_name_attr(a->res->type);
    /* The name resolved: one that refers to another resource is known only now. */
    const char *name = na ? json_string_value(json_object_get(desired, na->name)) : NULL;
    struct restype_call call = {.stack = st->name,
                                .cairn_id = a->res->name,
                                .physical_name = name ? name : a->res->physical_name,
                                .tags = json_object_get(desired, "tags"),
                                .type = a->res->type};
    char token[33];
    double t0 = monotime_s();
    int ret = -1, found = 0;

    /* Adopted while still on its way (a run cut short): nothing to send, only to wait for. */
    if (a->kind == PLAN_NOOP) {
        ret = wait_ready(s, a, progress, d);
        if (ret == 0)
            report(progress, a, "ready", a->live->id, t0);
        goto out;
    }
    if (!ops || (a->kind != PLAN_UPDATE && !ops->create)) {
        diag_error(d, NULL, "%s (%s): cairn cannot %s this type yet", a->res->name,
                   a->res->type->name, a->kind == PLAN_UPDATE ? "update" : "create");
        goto out;
    }
    token_for(st->name, a->res->name, desired, token);
    call.token = token;
    if (write_settled(s, st, a, &call, desired, progress, &found, d) < 0)
        goto out;
    if (wait_ready(s, a, progress, d) < 0)
        goto out;
    report(progress, a,
           a->kind == PLAN_CREATE   ? (found ? "created (found after a lost answer)" : "created")
           : a->kind == PLAN_UPDATE ? "updated"
                                    : "replaced",
           a->live->id, t0);
    ret = 0;
out:
    json_decref(desired);
    return ret;
}

static int is_removal(const struct plan_action *a)
{
    return a->kind == PLAN_DELETE || a->kind == PLAN_REPLACE;
}

enum { WAITING, RUNNING, DONE };

/* One phase of work shared by the workers under mu: removals, then creates and updates. */
struct sched {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct plan *p;
    struct stack *st;
    const struct apply_options *o;
    struct apply_result *r;
    struct diag *d;
    int removing;         /* this phase removes (deletes, old halves of replacements) */
    unsigned char *state; /* per action: WAITING, RUNNING, DONE */
    unsigned char *after; /* removals: after[i * n + j] when i must wait for j's removal */
    size_t left;          /* actions not done */
    size_t running;
};

/* What must be done before action i starts: 1 each one whose turn it is, in *failed whether
 * one of them failed. */
static int runnable(const struct sched *sc, size_t i, int *failed)
{
    const struct plan_action *a = &sc->p->v[i];
    size_t n = sc->p->n;

    *failed = 0;
    if (sc->removing) {
        for (size_t j = 0; j < n; j++) {
            if (!sc->after[i * n + j])
                continue;
            if (sc->state[j] != DONE)
                return 0;
            *failed |= sc->p->v[j].failed;
        }
        return 1;
    }
    for (size_t j = 0; j < a->res->ndeps; j++) {
        const struct plan_action *dep = plan_action_of(sc->p, a->res->deps[j]);
        if (dep && sc->state[dep - sc->p->v] != DONE)
            return 0;
    }
    *failed = blocked(sc->p, a);
    return 1;
}

/* The next action whose turn it is, marking it running; skipped ones are settled on the way.
 * -1 when nothing can start now. References that go both ways (two security groups that allow
 * each other) would wait forever: when nothing runs and nothing can start, the first waiting
 * removal goes anyway and the type sorts it out (it revokes the rules that refer to it).
 * Called with mu held. */
static long next_action(struct sched *sc)
{
    int failed;

    for (size_t i = 0; i < sc->p->n; i++) {
        struct plan_action *a = &sc->p->v[i];
        if (sc->state[i] != WAITING || !runnable(sc, i, &failed))
            continue;
        if (failed) {
            a->failed = 1;
            sc->r->skipped++;
            sc->state[i] = DONE;
            sc->left--;
            report(sc->o->progress, a,
                   sc->removing ? "skipped: something that refers to it could not be deleted"
                                : "skipped: a dependency failed",
                   NULL, monotime_s());
            i = (size_t)-1; /* what it blocked may now be settled too: scan again */
            continue;
        }
        sc->state[i] = RUNNING;
        return (long)i;
    }
    for (size_t i = 0; sc->removing && !sc->running && i < sc->p->n; i++)
        if (sc->state[i] == WAITING) {
            sc->state[i] = RUNNING;
            return (long)i;
        }
    return -1;
}

static int do_action(struct sched *sc, struct session *s, struct plan_action *a, struct diag *d)
{
    if (sc->removing)
        return remove_one(s, a, sc->o, d);
    return make_one(s, sc->st, sc->p, a, sc->o->progress, d);
}

static void run_worker(struct sched *sc, struct session *s)
{
    struct diag local;

    diag_init(&local);
    pthread_mutex_lock(&sc->mu);
    while (sc->left) {
        long i = next_action(sc);
        struct plan_action *a;
        int ok;
        if (i < 0) {
            if (!sc->left)
                break;
            pthread_cond_wait(&sc->cv, &sc->mu);
            continue;
        }
        a = &sc->p->v[i];
        sc->running++;
        pthread_mutex_unlock(&sc->mu);
        /* References are resolved from finished actions only, which no worker changes. */
        ok = do_action(sc, s, a, &local) == 0;
        pthread_mutex_lock(&sc->mu);
        sc->running--;
        for (size_t k = 0; k < local.n; k++)
            diag_error(sc->d, NULL, "%s", local.v[k].msg);
        diag_clear(&local);
        if (!ok) {
            a->failed = 1;
            sc->r->failed++;
        } else if (!sc->removing || a->kind == PLAN_DELETE) {
            /* The old half of a replacement is not the action done: its new half is. */
            a->applied = 1;
            sc->r->done[a->kind]++;
        }
        sc->state[i] = DONE;
        sc->left--;
        pthread_cond_broadcast(&sc->cv);
    }
    pthread_cond_broadcast(&sc->cv);
    pthread_mutex_unlock(&sc->mu);
    diag_release(&local);
}

struct worker {
    pthread_t tid;
    struct sched *sc;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct diag d;
    struct session *s;

    diag_init(&d);
    if (!(s = session_new(w->sc->o->so, &d))) {
        pthread_mutex_lock(&w->sc->mu);
        diag_error(w->sc->d, NULL, "a worker could not start: %s", diag_last(&d));
        pthread_mutex_unlock(&w->sc->mu);
    } else {
        run_worker(w->sc, s);
        pthread_mutex_lock(&w->sc->mu);
        session_stats_add(&w->sc->r->stats, &s->stats);
        pthread_mutex_unlock(&w->sc->mu);
    }
    session_free(s);
    diag_release(&d);
    return NULL;
}

/* Run the phase's waiting actions on up to `parallel` workers (or here, on s). */
static void run_phase(struct sched *sc, struct session *s, int parallel)
{
    struct worker *w;
    int started = 0;

    if (!sc->left)
        return;
    if (parallel == 1 || sc->left == 1 || !sc->o->so) {
        run_worker(sc, s);
        return;
    }
    w = calloc((size_t)parallel, sizeof(*w));
    for (int i = 0; i < parallel; i++) {
        w[i].sc = sc;
        if (pthread_create(&w[i].tid, NULL, worker_main, &w[i]) == 0)
            started++;
        else
            w[i].sc = NULL;
    }
    for (int i = 0; i < parallel; i++)
        if (w[i].sc)
            pthread_join(w[i].tid, NULL);
    free(w);
    /* Workers that could not open a session left work behind: finish it here. */
    if (sc->left)
        run_worker(sc, s);
}

int apply_plan(struct session *s, struct stack *st, struct plan *p, const struct apply_options *o,
               struct apply_result *r, struct diag *d)
{
    struct sched sc = {.p = p, .st = st, .o = o, .r = r, .d = d};
    int parallel = o->parallel < 1                    ? 1
                   : o->parallel > APPLY_MAX_PARALLEL ? APPLY_MAX_PARALLEL
                                                      : o->parallel;
    size_t n = p->n;

    memset(r, 0, sizeof(*r));
    /* Left alone because a read failed: not done, so the run is incomplete. */
    for (size_t i = 0; i < n; i++)
        if (p->v[i].unread) {
            r->skipped++;
            report(o->progress, &p->v[i], "skipped: its read, or a dependency's, failed", NULL,
                   monotime_s());
        }
    pthread_mutex_init(&sc.mu, NULL);
    pthread_cond_init(&sc.cv, NULL);
    sc.state = calloc(n ? n : 1, 1);
    sc.after = calloc(n ? n * n : 1, 1);

    /* Removals first, in parallel: an object goes once everything being removed that refers
     * to it is gone (a subnet after its NAT gateway, a target group after its service). */
    sc.removing = 1;
    for (size_t i = 0; i < n; i++) {
        sc.state[i] = is_removal(&p->v[i]) ? WAITING : DONE;
        sc.left += sc.state[i] == WAITING;
        for (size_t j = 0; sc.state[i] == WAITING && j < n; j++)
            sc.after[i * n + j] =
                is_removal(&p->v[j]) && live_refers_to(p->v[j].live, p->v[i].live);
    }
    run_phase(&sc, s, parallel);

    /* Then creates and updates, each once what it depends on is done; objects adopted while
     * still becoming ready are waited for like new ones. */
    sc.removing = 0;
    for (size_t i = 0; i < n; i++) {
        struct plan_action *a = &p->v[i];
        int waits = a->kind == PLAN_NOOP && a->live && a->live->pending;
        if (a->kind == PLAN_NOOP && !waits && !a->unread)
            a->applied = 1;
        sc.state[i] = (a->kind == PLAN_NOOP && !waits) || a->kind == PLAN_DELETE || a->failed
                          ? DONE
                          : WAITING;
        sc.left += sc.state[i] == WAITING;
    }
    run_phase(&sc, s, parallel);

    pthread_cond_destroy(&sc.cv);
    pthread_mutex_destroy(&sc.mu);
    free(sc.state);
    free(sc.after);
    return r->failed || r->skipped ? -1 : 0;
}
