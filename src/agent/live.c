#include "agent/live.h"
#include "agent/resources/registry.h"
#include "aws/session.h"
#include "core/xmalloc.h"

#include <pthread.h>

#include <stdlib.h>
#include <string.h>

void live_set_init(struct live_set *set)
{
    memset(set, 0, sizeof(*set));
}

void live_set_release(struct live_set *set)
{
    for (size_t i = 0; i < set->n; i++) {
        free(set->v[i].id);
        free(set->v[i].cairn_id);
        free(set->v[i].digest);
        json_decref(set->v[i].attrs);
    }
    free(set->v);
    free(set->unread);
    live_set_init(set);
}

int live_unread(const struct live_set *set, const struct restype *t)
{
    for (size_t i = 0; i < set->nunread; i++)
        if (set->unread[i] == t)
            return 1;
    return 0;
}

struct live_obj *live_set_add(struct live_set *set, const struct restype *t, const char *id,
                              const char *cairn_id, json_t *attrs)
{
    struct live_obj *o;

    XGROW(set->v, set->alloc, set->n + 1);
    o = &set->v[set->n++];
    o->type = t;
    o->id = id ? xstrdup(id) : NULL;
    o->cairn_id = cairn_id ? xstrdup(cairn_id) : NULL;
    o->attrs = attrs ? attrs : json_object();
    o->pending = 0;
    o->digest = NULL;
    return o;
}

/* Whether some string in v (object keys' values, array elements, nested) is id. */
static int mentions(const json_t *v, const char *id)
{
    const char *k;
    json_t *e;
    size_t i;

    if (json_is_string(v))
        return strcmp(json_string_value(v), id) == 0;
    if (json_is_array(v)) {
        json_array_foreach(v, i, e)
        {
            if (mentions(e, id))
                return 1;
        }
    }
    if (json_is_object(v)) {
        json_object_foreach((json_t *)v, k, e)
        {
            if (mentions(e, id))
                return 1;
        }
    }
    return 0;
}

int live_refers_to(const struct live_obj *a, const struct live_obj *b)
{
    const char *arn = json_string_value(json_object_get(b->attrs, "arn"));
    const char *k;
    json_t *v;

    if (a == b)
        return 0;
    json_object_foreach(a->attrs, k, v)
    {
        if (strcmp(k, "id") == 0 || strcmp(k, "arn") == 0 || strcmp(k, "tags") == 0)
            continue;
        if ((b->id && mentions(v, b->id)) || (arn && mentions(v, arn)))
            return 1;
    }
    return 0;
}

static int same_id(const struct live_obj *o, const struct restype *t, const char *cairn_id)
{
    return o->type == t && o->cairn_id && strcmp(o->cairn_id, cairn_id) == 0;
}

/* How many objects outside o's own cairn:id refer to o. */
static size_t users(const struct live_set *set, const struct live_obj *o)
{
    size_t n = 0;

    for (size_t i = 0; i < set->n; i++)
        if (!same_id(&set->v[i], o->type, o->cairn_id) && live_refers_to(&set->v[i], o))
            n++;
    return n;
}

struct live_obj *live_find(const struct live_set *set, const struct restype *t,
                           const char *cairn_id)
{
    struct live_obj *best = NULL;
    size_t best_users = 0;
    int counted = 0;

    for (size_t i = 0; i < set->n; i++) {
        struct live_obj *o = &set->v[i];
        size_t u;
        if (!same_id(o, t, cairn_id))
            continue;
        if (!best) {
            best = o;
            continue;
        }
        /* A duplicate: the one in use wins, the first found a tie. Counted only then. Task
         * definition revisions are versions, not copies: the read lists the newest first,
         * which is kept (a service on an older one is updated, nothing is replaced). */
        if (strcmp(t->name, "ecs.task_definition") == 0)
            break;
        if (!counted) {
            best_users = users(set, best);
            counted = 1;
        }
        if ((u = users(set, o)) > best_users) {
            best = o;
            best_users = u;
        }
    }
    return best;
}

struct live_obj *live_find_id(const struct live_set *set, const struct restype *t, const char *id)
{
    for (size_t i = 0; i < set->n; i++)
        if (set->v[i].type == t && set->v[i].id && strcmp(set->v[i].id, id) == 0)
            return &set->v[i];
    return NULL;
}

void live_set_take(struct live_set *set, struct live_set *from)
{
    /* The set takes ownership of the objects' strings and JSON. */
    for (size_t k = 0; k < from->n; k++) {
        XGROW(set->v, set->alloc, set->n + 1);
        set->v[set->n++] = from->v[k];
    }
    from->n = 0;
    live_set_release(from);
}

/* The shared state of live_parallel's workers. */
struct pool {
    pthread_mutex_t mu;
    struct session *parent;
    size_t n, next;
    live_job_fn fn;
    void *arg;
    int failed;
};

struct worker {
    pthread_t tid;
    struct pool *p;
    struct diag d;
    struct session_stats stats;
    int started;
};

/* Take jobs until none are left or one failed. */
static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct pool *p = w->p;
    struct session *s = session_new(p->parent->opts, &w->d);

    if (s)
        s->cache = p->parent->cache;
    for (;;) {
        size_t i;
        int rc;
        pthread_mutex_lock(&p->mu);
        if (!s)
            p->failed = 1;
        i = p->next++;
        if (p->failed || i >= p->n) {
            pthread_mutex_unlock(&p->mu);
            break;
        }
        pthread_mutex_unlock(&p->mu);
        rc = p->fn(s, i, p->arg, &w->d);
        pthread_mutex_lock(&p->mu);
        if (rc < 0)
            p->failed = 1;
        pthread_mutex_unlock(&p->mu);
    }
    if (s)
        w->stats = s->stats;
    session_free(s);
    return NULL;
}

int live_parallel(struct session *s, size_t n, live_job_fn fn, void *arg, struct diag *d)
{
    struct pool p = {.parent = s, .n = n, .fn = fn, .arg = arg};
    size_t nw = n < LIVE_READ_PARALLEL ? n : LIVE_READ_PARALLEL, started = 0;
    struct worker *w;

    if (!s->opts || nw < 2) {
        for (size_t i = 0; i < n; i++)
            if (fn(s, i, arg, d) < 0)
                return -1;
        return 0;
    }
    w = xcalloc(nw, sizeof(*w));
    pthread_mutex_init(&p.mu, NULL);
    for (size_t k = 0; k < nw; k++) {
        w[k].p = &p;
        diag_init(&w[k].d);
        w[k].started = pthread_create(&w[k].tid, NULL, worker_main, &w[k]) == 0;
        started += w[k].started;
    }
    if (!started) /* no thread to be had: here, on s */
        worker_main(&w[0]);
    for (size_t k = 0; k < nw; k++) {
        if (w[k].started)
            pthread_join(w[k].tid, NULL);
        session_stats_add(&s->stats, &w[k].stats);
        for (size_t e = 0; e < w[k].d.n; e++)
            diag_error(d, NULL, "%s", w[k].d.v[e].msg);
        diag_release(&w[k].d);
    }
    pthread_mutex_destroy(&p.mu);
    free(w);
    return p.failed ? -1 : 0;
}

struct reader {
    pthread_t tid;
    const struct restype *type;
    const struct session_options *so;
    struct callcache *cache;
    const char *stack;
    struct live_set got;
    struct diag d;
    struct session_stats stats;
    int ok, started;
};

static void *reader_main(void *arg)
{
    struct reader *r = arg;
    struct session *s = session_new(r->so, &r->d);

    if (s)
        s->cache = r->cache;
    r->ok = s && r->type->ops->read(s, r->type, r->stack, &r->got, &r->d) == 0;
    if (s)
        r->stats = s->stats;
    session_free(s);
    return NULL;
}

int live_read_all(struct session *s, const struct session_options *so, const char *stack,
                  struct live_set *set, struct diag *d)
{
    struct reader *rd = xcalloc(registry_count() + 1, sizeof(*rd));
    /* Types that find their parents with the same call (listeners and rules both list the
     * load balancers) make it once between them. */
    struct callcache *cache = callcache_new(), *had = s->cache;
    size_t n = 0;
    int ret = 0;

    s->cache = cache;
    for (const struct restype *const *t = registry_types; *t; t++) {
        if (!(*t)->ops || !(*t)->ops->read)
            continue;
        rd[n].type = *t;
        rd[n].so = so;
        rd[n].stack = stack;
        rd[n].cache = cache;
        live_set_init(&rd[n].got);
        diag_init(&rd[n].d);
        /* Without options, or when no thread can be had, read here, on s. */
        rd[n].started = so && pthread_create(&rd[n].tid, NULL, reader_main, &rd[n]) == 0;
        if (!rd[n].started)
            rd[n].ok = (*t)->ops->read(s, *t, stack, &rd[n].got, &rd[n].d) == 0;
        n++;
    }
    for (size_t i = 0; i < n; i++) {
        if (rd[i].started)
            pthread_join(rd[i].tid, NULL);
        session_stats_add(&s->stats, &rd[i].stats);
        for (size_t k = 0; k < rd[i].d.n; k++)
            diag_error(d, NULL, "%s", rd[i].d.v[k].msg);
        if (!rd[i].ok) {
            ret = -1;
            set->unread = xrealloc(set->unread, (set->nunread + 1) * sizeof(*set->unread));
            set->unread[set->nunread++] = rd[i].type;
        }
        live_set_take(set, &rd[i].got);
        diag_release(&rd[i].d);
    }
    free(rd);
    set->ntypes += n;
    s->cache = had;
    callcache_free(cache);
    return ret;
}

long live_detail(struct session *s, struct live_set *set, struct diag *d)
{
    long n = 0;

    for (size_t i = 0; i < set->n; i++) {
        struct live_obj *o = &set->v[i];
        if (!o->digest)
            continue;
        if (!o->type->ops->detail || o->type->ops->detail(s, o, d) < 0)
            return -1;
        free(o->digest);
        o->digest = NULL;
        n++;
    }
    return n;
}
