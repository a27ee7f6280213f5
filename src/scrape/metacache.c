/*
 * metacache: per-target metric metadata (Prometheus 2.42 scrape/scrape.go
 * scrapeCache setType/setHelp/setUnit/iterDone/ListMetadata), in a sorted
 * array: lookups per TYPE/HELP line are a binary search, insertions happen
 * on the first scrape and rarely after.
 */
#include "scrape/metacache.h"

#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"

/* Entries not seen for this many successful scrapes are dropped, as Prometheus. */
#define METACACHE_KEEP 10

void metacache_init(struct metacache *m)
{
    memset(m, 0, sizeof(*m));
}

static void entry_free(struct metacache_entry *e)
{
    free(e->name);
    free(e->help);
    free(e->unit);
}

void metacache_release(struct metacache *m)
{
    for (size_t i = 0; i < m->n; i++)
        entry_free(&m->v[i]);
    free(m->v);
    memset(m, 0, sizeof(*m));
}

static int cmp_name(const char *a, const char *b, size_t blen)
{
    int c = strncmp(a, b, blen);
    if (c)
        return c;
    return a[blen] ? 1 : 0;
}

/* The entry for name, created ("unknown", no help or unit) when absent. */
static struct metacache_entry *get(struct metacache *m, const char *name, size_t len)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = cmp_name(m->v[mid].name, name, len);
        if (c == 0) {
            m->v[mid].last_iter = m->iter;
            return &m->v[mid];
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    xgrow((void **)&m->v, &m->alloc, m->n + 1, sizeof(*m->v));
    memmove(&m->v[lo + 1], &m->v[lo], (m->n - lo) * sizeof(*m->v));
    m->n++;
    struct metacache_entry *e = &m->v[lo];
    e->name = xstrndup(name, len);
    e->help = xstrdup("");
    e->unit = xstrdup("");
    e->type = EXPO_UNKNOWN;
    e->last_iter = m->iter;
    m->changed = 1;
    return e;
}

void metacache_set_type(struct metacache *m, const char *name, size_t len, enum expo_mtype t)
{
    struct metacache_entry *e = get(m, name, len);
    if (e->type != t) {
        e->type = t;
        m->changed = 1;
    }
}

static void set_str(struct metacache *m, char **dst, const char *s, size_t n)
{
    if (strlen(*dst) == n && !memcmp(*dst, s, n))
        return;
    free(*dst);
    *dst = xstrndup(s, n);
    m->changed = 1;
}

void metacache_set_help(struct metacache *m, const char *name, size_t len, const char *help,
                        size_t hlen)
{
    set_str(m, &get(m, name, len)->help, help, hlen);
}

void metacache_set_unit(struct metacache *m, const char *name, size_t len, const char *unit,
                        size_t ulen)
{
    set_str(m, &get(m, name, len)->unit, unit, ulen);
}

void metacache_iter_done(struct metacache *m, int success)
{
    if (!success)
        return;
    size_t k = 0;
    for (size_t i = 0; i < m->n; i++) {
        if (m->iter - m->v[i].last_iter > METACACHE_KEEP) {
            entry_free(&m->v[i]);
            m->changed = 1;
        } else {
            m->v[k++] = m->v[i];
        }
    }
    m->n = k;
    m->iter++;
}

struct metacache_item *metacache_copy(struct metacache *m, struct arena *a, size_t *n)
{
    struct metacache_item *out = arena_alloc(a, (m->n + 1) * sizeof(*out));
    for (size_t i = 0; i < m->n; i++) {
        out[i].metric = arena_strdup(a, m->v[i].name);
        out[i].help = arena_strdup(a, m->v[i].help);
        out[i].unit = arena_strdup(a, m->v[i].unit);
        out[i].type = m->v[i].type;
    }
    *n = m->n;
    m->changed = 0;
    return out;
}
