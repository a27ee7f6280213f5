#include "agent/apply.h"
#include "aws/session.h"
#include "aws/sigv4.h"
#include "core/log.h"

#include <errno.h>
#include <pthread.h>

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
    if (ops->remove(s, a->live, 0, d) < 0)
        return -1;
    report(progress, a, a->kind == PLAN_DELETE ? "deleted" : "deleted for replacement", a->live->id,
           t0);
    return 0;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* Poll the type's ready hook with growing pauses (0.25 s doubling to 5 s) until ready, failed,
 * or the type's time is up. */
static int wait_ready(struct session *s, struct plan_action *a, FILE *progress, struct diag *d)
{
    const struct restype_ops *ops = a->res->type->ops;
    unsigned limit = ops->wait_seconds ? ops->wait_seconds : APPLY_DEFAULT_WAIT;
    double t0 = now_s();
    long pause = 250;
    int said = 0, r;

    if (!ops->ready)
        return 0;
    while ((r = ops->ready(s, a->live, d)) == 0) {
        if (now_s() - t0 > limit) {
            diag_error(d, NULL, "%s (%s) %s: not ready after %u s", a->res->name,
                       a->res->type->name, a->live->id, limit);
            return -1;
        }
        if (!said++ && progress)
            report(progress, a, "waiting until it is ready", a->live->id, t0);
        sleep_ms(pause);
        pause = pause * 2 > 5000 ? 5000 : pause * 2;
    }
    return r < 0 ? -1 : 0;
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
    } else {
        if (ops->create(s, &call, desired, &a->created, &made, d) < 0)
            goto out;
        a->live = made;
    }
    if (wait_ready(s, a, progress, d) < 0)
        goto out;
    report(progress, a,
           a->kind == PLAN_CREATE   ? "created"
           : a->kind == PLAN_UPDATE ? "updated"
                                    : "replaced",
           a->live->id, t0);
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

/* The creates and updates, shared by the workers under mu. */
struct sched {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct plan *p;
    struct stack *st;
    const struct apply_options *o;
    struct apply_result *r;
    struct diag *d;
    unsigned char *state; /* per action: 0 waiting, 1 running, 2 done */
    size_t left;          /* actions not done */
};

enum { WAITING, RUNNING, DONE };

static int runnable(const struct sched *sc, size_t i)
{
    const struct plan_action *a = &sc->p->v[i];

    for (size_t j = 0; j < a->res->ndeps; j++) {
        const struct plan_action *dep = plan_action_of(sc->p, a->res->deps[j]);
        if (dep && sc->state[dep - sc->p->v] != DONE)
            return 0;
    }
    return 1;
}

/* The next action whose dependencies are done, marking it running; skipped ones are settled
 * on the way. -1 when nothing can start now. Called with mu held. */
static long next_action(struct sched *sc)
{
    for (size_t i = 0; i < sc->p->n; i++) {
        struct plan_action *a = &sc->p->v[i];
        if (sc->state[i] != WAITING || !runnable(sc, i))
            continue;
        if (blocked(sc->p, a)) {
            a->failed = 1;
            sc->r->skipped++;
            sc->state[i] = DONE;
            sc->left--;
            if (sc->o->progress)
                report(sc->o->progress, a, "skipped: a dependency failed", NULL, now_s());
            i = (size_t)-1; /* what it blocked may now be settled too: scan again */
            continue;
        }
        sc->state[i] = RUNNING;
        return (long)i;
    }
    return -1;
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
        pthread_mutex_unlock(&sc->mu);
        /* References are resolved from finished actions only, which no worker changes. */
        ok = make_one(s, sc->st, sc->p, a, sc->o->progress, &local) == 0;
        pthread_mutex_lock(&sc->mu);
        for (size_t k = 0; k < local.n; k++)
            diag_error(sc->d, NULL, "%s", local.v[k].msg);
        diag_clear(&local);
        if (ok) {
            a->applied = 1;
            sc->r->done[a->kind]++;
        } else {
            a->failed = 1;
            sc->r->failed++;
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

int apply_plan(struct session *s, struct stack *st, struct plan *p, const struct apply_options *o,
               struct apply_result *r, struct diag *d)
{
    struct sched sc = {.p = p, .st = st, .o = o, .r = r, .d = d};
    int n = o->parallel < 1                    ? 1
            : o->parallel > APPLY_MAX_PARALLEL ? APPLY_MAX_PARALLEL
                                               : o->parallel;
    struct worker *w;
    int started = 0;

    memset(r, 0, sizeof(*r));
    /* Removals, dependants before what they depend on, one at a time. Deletes are listed that
     * way already (the reverse of the read order, which reads parents first); the old halves
     * of replacements are in dependency order, so they go backwards. */
    for (size_t i = 0; i < p->n; i++)
        if (p->v[i].kind == PLAN_DELETE)
            remove_action(s, &p->v[i], o->progress, r, d);
    for (size_t i = p->n; i > 0; i--)
        if (p->v[i - 1].kind == PLAN_REPLACE)
            remove_action(s, &p->v[i - 1], o->progress, r, d);

    sc.state = calloc(p->n ? p->n : 1, 1);
    for (size_t i = 0; i < p->n; i++) {
        struct plan_action *a = &p->v[i];
        if (a->kind == PLAN_NOOP)
            a->applied = 1;
        if (a->kind == PLAN_NOOP || a->kind == PLAN_DELETE || a->failed)
            sc.state[i] = DONE;
        else
            sc.left++;
    }
    pthread_mutex_init(&sc.mu, NULL);
    pthread_cond_init(&sc.cv, NULL);
    if (n == 1 || sc.left <= 1) {
        run_worker(&sc, s);
    } else {
        w = calloc((size_t)n, sizeof(*w));
        for (int i = 0; i < n; i++) {
            w[i].sc = &sc;
            if (pthread_create(&w[i].tid, NULL, worker_main, &w[i]) == 0)
                started++;
            else
                w[i].sc = NULL;
        }
        if (!started)
            run_worker(&sc, s);
        for (int i = 0; i < n; i++)
            if (w[i].sc)
                pthread_join(w[i].tid, NULL);
        free(w);
        /* Workers that could not open a session left work behind: finish it here. */
        if (sc.left)
            run_worker(&sc, s);
    }
    pthread_cond_destroy(&sc.cv);
    pthread_mutex_destroy(&sc.mu);
    free(sc.state);
    return r->failed || r->skipped ? -1 : 0;
}
