/*
 * registry: see registry.h. Families are kept in registration order and
 * sorted when rendered; a family's metrics differ by their constant labels.
 * Values are stored as the bits of a double in a 64-bit atomic, so readers
 * and writers never lock; registration and rendering take the mutex to walk
 * the lists.
 */
#include "metrics/registry.h"
#include "metrics/expo_write.h"
#include "metrics/labels.h"
#include "core/xmalloc.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct registry_metric {
    enum expo_mtype type;
    struct label *labels; /* sorted, owned */
    size_t nlabels;
    _Atomic uint64_t bits; /* counter, gauge, histogram sum: a double */
    double *bounds;        /* histogram upper bounds (without +Inf) */
    size_t nbounds;
    _Atomic uint64_t *buckets; /* per bound, not cumulative, + one for +Inf */
    _Atomic uint64_t count;
    struct registry_metric *next;
};

struct family {
    char *name;
    char *help;
    enum expo_mtype type;
    struct registry_metric *metrics, **tail;
    struct family *next;
};

struct registry {
    pthread_mutex_t mu;
    struct family *families;
};

static uint64_t to_bits(double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof(b));
    return b;
}

static double from_bits(uint64_t b)
{
    double v;
    memcpy(&v, &b, sizeof(v));
    return v;
}

struct registry *registry_new(void)
{
    struct registry *r = xcalloc(1, sizeof(*r));
    pthread_mutex_init(&r->mu, NULL);
    return r;
}

void registry_free(struct registry *r)
{
    if (!r)
        return;
    struct family *f = r->families;
    while (f) {
        struct family *fn = f->next;
        struct registry_metric *m = f->metrics;
        while (m) {
            struct registry_metric *mn = m->next;
            for (size_t i = 0; i < m->nlabels; i++) {
                free((char *)m->labels[i].name);
                free((char *)m->labels[i].value);
            }
            free(m->labels);
            free(m->bounds);
            free((void *)m->buckets);
            free(m);
            m = mn;
        }
        free(f->name);
        free(f->help);
        free(f);
        f = fn;
    }
    pthread_mutex_destroy(&r->mu);
    free(r);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct label *)a)->name, ((const struct label *)b)->name);
}

static int same_labels(const struct registry_metric *m, const struct label *v, size_t n)
{
    if (m->nlabels != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(m->labels[i].name, v[i].name) || strcmp(m->labels[i].value, v[i].value))
            return 0;
    return 1;
}

static struct registry_metric *add(struct registry *r, const char *name, const char *help,
                                   enum expo_mtype type, const char *const *labels,
                                   const double *bounds, size_t nbounds)
{
    size_t n = 0;
    if (!labels_valid_metric_name(name, strlen(name)))
        return NULL;
    while (labels && labels[2 * n])
        n++;
    struct label *v = xcalloc(n + 1, sizeof(*v));
    for (size_t i = 0; i < n; i++) {
        v[i].name = labels[2 * i];
        v[i].value = labels[2 * i + 1] ? labels[2 * i + 1] : "";
        if (!labels_valid_name(v[i].name, strlen(v[i].name)) || !strcmp(v[i].name, "le") ||
            (!strcmp(v[i].name, "quantile"))) {
            free(v);
            return NULL;
        }
    }
    qsort(v, n, sizeof(*v), by_name);
    for (size_t i = 1; i < n; i++)
        if (!strcmp(v[i - 1].name, v[i].name)) {
            free(v);
            return NULL;
        }
    for (size_t i = 1; i < nbounds; i++)
        if (!(bounds[i - 1] < bounds[i])) {
            free(v);
            return NULL;
        }
    struct registry_metric *m = NULL;
    pthread_mutex_lock(&r->mu);
    struct family *f = r->families, **fp = &r->families;
    for (; f; fp = &f->next, f = f->next)
        if (!strcmp(f->name, name))
            break;
    if (f && f->type != type)
        goto out;
    if (!f) {
        f = xcalloc(1, sizeof(*f));
        f->name = xstrdup(name);
        f->help = xstrdup(help ? help : "");
        f->type = type;
        f->tail = &f->metrics;
        *fp = f;
    }
    for (m = f->metrics; m; m = m->next)
        if (same_labels(m, v, n))
            goto out;
    m = xcalloc(1, sizeof(*m));
    m->type = type;
    m->nlabels = n;
    m->labels = xcalloc(n + 1, sizeof(*m->labels));
    for (size_t i = 0; i < n; i++) {
        m->labels[i].name = xstrdup(v[i].name);
        m->labels[i].value = xstrdup(v[i].value);
    }
    if (type == EXPO_HISTOGRAM) {
        m->nbounds = nbounds;
        m->bounds = xcalloc(nbounds + 1, sizeof(*m->bounds));
        memcpy(m->bounds, bounds, nbounds * sizeof(*bounds));
        m->buckets = xcalloc(nbounds + 1, sizeof(*m->buckets));
    }
    *f->tail = m;
    f->tail = &m->next;
out:
    pthread_mutex_unlock(&r->mu);
    free(v);
    return m;
}

struct registry_metric *registry_counter(struct registry *r, const char *name, const char *help,
                                         const char *const *labels)
{
    size_t n = strlen(name);
    if (n < 7 || strcmp(name + n - 6, "_total") != 0)
        return NULL;
    return add(r, name, help, EXPO_COUNTER, labels, NULL, 0);
}

struct registry_metric *registry_gauge(struct registry *r, const char *name, const char *help,
                                       const char *const *labels)
{
    return add(r, name, help, EXPO_GAUGE, labels, NULL, 0);
}

struct registry_metric *registry_histogram(struct registry *r, const char *name, const char *help,
                                           const char *const *labels, const double *bounds,
                                           size_t nbounds)
{
    return add(r, name, help, EXPO_HISTOGRAM, labels, bounds, nbounds);
}

static void atomic_add_double(_Atomic uint64_t *bits, double v)
{
    uint64_t old = atomic_load_explicit(bits, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(bits, &old, to_bits(from_bits(old) + v),
                                                  memory_order_relaxed, memory_order_relaxed))
        ;
}

void registry_add(struct registry_metric *m, double v)
{
    if (!m || !(v >= 0))
        return;
    atomic_add_double(&m->bits, v);
}

void registry_inc(struct registry_metric *m)
{
    registry_add(m, 1);
}

void registry_set(struct registry_metric *m, double v)
{
    if (m)
        atomic_store_explicit(&m->bits, to_bits(v), memory_order_relaxed);
}

void registry_observe(struct registry_metric *m, double v)
{
    if (!m || m->type != EXPO_HISTOGRAM)
        return;
    size_t i = 0;
    while (i < m->nbounds && !(v <= m->bounds[i]))
        i++;
    atomic_fetch_add_explicit(&m->buckets[i], 1, memory_order_relaxed);
    atomic_add_double(&m->bits, v);
    atomic_fetch_add_explicit(&m->count, 1, memory_order_relaxed);
}

double registry_value(const struct registry_metric *m)
{
    if (m->type == EXPO_HISTOGRAM)
        return (double)atomic_load_explicit(&((struct registry_metric *)m)->count,
                                            memory_order_relaxed);
    return from_bits(
        atomic_load_explicit(&((struct registry_metric *)m)->bits, memory_order_relaxed));
}

static int by_family(const void *a, const void *b)
{
    return strcmp((*(struct family *const *)a)->name, (*(struct family *const *)b)->name);
}

static int render_histogram(struct expo_writer *w, const struct family *f,
                            struct registry_metric *m)
{
    struct strbuf name = STRBUF_INIT, le = STRBUF_INIT;
    struct label *v = xcalloc(m->nlabels + 1, sizeof(*v));
    struct labels ls = {v, m->nlabels + 1};
    uint64_t cum = 0;
    int rc = 0;
    memcpy(v, m->labels, m->nlabels * sizeof(*v));
    /* Read the count first: buckets observed after it make the +Inf bucket >= count. */
    uint64_t count = atomic_load_explicit(&m->count, memory_order_relaxed);
    double sum = from_bits(atomic_load_explicit(&m->bits, memory_order_relaxed));
    strbuf_addf(&name, "%s_bucket", f->name);
    for (size_t i = 0; i <= m->nbounds; i++) {
        cum += atomic_load_explicit(&m->buckets[i], memory_order_relaxed);
        strbuf_reset(&le);
        if (i == m->nbounds) {
            strbuf_adds(&le, "+Inf");
            if (cum < count)
                cum = count;
            count = cum;
        } else {
            expo_write_value(&le, m->bounds[i], w->format);
        }
        v[m->nlabels] = (struct label){"le", le.buf};
        rc |= expo_write_sample(w, name.buf, &ls, (double)cum, NULL, NULL);
    }
    strbuf_reset(&name);
    strbuf_addf(&name, "%s_sum", f->name);
    ls.n = m->nlabels;
    rc |= expo_write_sample(w, name.buf, &ls, sum, NULL, NULL);
    strbuf_reset(&name);
    strbuf_addf(&name, "%s_count", f->name);
    rc |= expo_write_sample(w, name.buf, &ls, (double)count, NULL, NULL);
    strbuf_release(&name);
    strbuf_release(&le);
    free(v);
    return rc;
}

int registry_render(struct registry *r, struct strbuf *sb, enum expo_format format)
{
    struct expo_writer w;
    size_t n = 0;
    int rc = 0;
    expo_write_init(&w, sb, format);
    pthread_mutex_lock(&r->mu);
    for (struct family *f = r->families; f; f = f->next)
        n++;
    struct family **v = xcalloc(n + 1, sizeof(*v));
    n = 0;
    for (struct family *f = r->families; f; f = f->next)
        v[n++] = f;
    qsort(v, n, sizeof(*v), by_family);
    for (size_t i = 0; i < n; i++) {
        struct family *f = v[i];
        char *fam = xstrdup(f->name);
        size_t fl = strlen(fam);
        /* OpenMetrics names a counter family without its _total. */
        if (format == EXPO_OPENMETRICS && f->type == EXPO_COUNTER && fl > 6 &&
            !strcmp(fam + fl - 6, "_total"))
            fam[fl - 6] = '\0';
        rc |= expo_write_family(&w, fam, f->type, f->help, NULL);
        free(fam);
        for (struct registry_metric *m = f->metrics; m; m = m->next) {
            struct labels ls = {m->labels, m->nlabels};
            if (f->type == EXPO_HISTOGRAM)
                rc |= render_histogram(&w, f, m);
            else
                rc |= expo_write_sample(&w, f->name, &ls, registry_value(m), NULL, NULL);
        }
    }
    rc |= expo_write_end(&w);
    pthread_mutex_unlock(&r->mu);
    free(v);
    return rc ? -1 : 0;
}
