/*
 * The discovery thread and its providers. File SD format: Prometheus's
 * "<file_sd_config>" documentation: a list of target groups
 *   [{"targets": ["host:port", ...], "labels": {"name": "value", ...}}, ...]
 * in JSON (.json) or YAML (.yml, .yaml).
 */
#include "scrape/sd.h"

#include <errno.h>
#include <glob.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/log.h"
#include "core/monotime.h"
#include "core/strbuf.h"
#include "core/xmalloc.h"
#include "core/ydoc.h"
#include "scrape/dnssd.h"

/* One provider's current output: label sets in their own arena. */
struct provider {
    enum { PROV_STATIC, PROV_FILE, PROV_DNS } kind;
    const struct promcfg_static *st;
    const struct promcfg_file *file;
    const struct promcfg_dns *dns;
    struct arena arena;
    struct labels *sets;
    size_t n;
    int64_t next_refresh_ms;
    char sig[512]; /* file provider: names, mtimes and sizes last read */
};

struct sd_job {
    struct provider *prov;
    size_t nprov;
    uint64_t gen;
    struct strbuf last; /* the rendered list, to tell a change from a refresh */
};

struct sd_manager {
    const struct promcfg *cfg;
    char *dns_server;
    void (*notify)(void *arg);
    void *arg;
    struct sd_job *jobs;
    size_t njobs;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    int running, stop;
    struct sd_stats stats;
};

/* A group's target: its __address__ and extra labels over the group's labels. */
static struct labels group_target(struct arena *a, const char *addr, const struct labels *common,
                                  const char *extra_name, const char *extra_value)
{
    struct labels_builder b;
    struct labels ls;

    labels_builder_init(&b);
    labels_builder_reset(&b, common);
    if (extra_name)
        labels_builder_set(&b, extra_name, extra_value);
    labels_builder_set(&b, "__address__", addr);
    labels_builder_finish(&b, &ls, NULL);
    ls = labels_dup(a, &ls);
    labels_builder_release(&b);
    return ls;
}

static void static_targets(struct provider *p)
{
    p->sets = arena_alloc(&p->arena, (p->st->ntargets + 1) * sizeof(*p->sets));
    for (size_t i = 0; i < p->st->ntargets; i++)
        p->sets[p->n++] = group_target(&p->arena, p->st->targets[i], &p->st->labels, NULL, NULL);
}

/* ---- file_sd ---- */

static int json_groups(const char *path, json_t *root, struct arena *a, struct labels **out,
                       size_t *n, struct diag *d)
{
    size_t cap = 0, i;
    json_t *g;

    if (!json_is_array(root)) {
        diag_error(d, NULL, "%s: expected a list of target groups", path);
        return -1;
    }
    json_array_foreach(root, i, g)
    {
        json_t *t = json_object_get(g, "targets");
        cap += json_is_array(t) ? json_array_size(t) : 0;
    }
    *out = arena_alloc(a, (cap + 1) * sizeof(**out));
    json_array_foreach(root, i, g)
    {
        json_t *ts = json_object_get(g, "targets"), *ls = json_object_get(g, "labels"), *v;
        struct labels_builder b;
        struct labels common;
        const char *k;
        size_t j;

        if (!json_is_object(g) || !json_is_array(ts) || (ls && !json_is_object(ls))) {
            diag_error(d, NULL, "%s: group %zu: expected {\"targets\": [...], \"labels\": {...}}",
                       path, i);
            return -1;
        }
        labels_builder_init(&b);
        json_object_foreach(ls, k, v)
        {
            if (!json_is_string(v) || !labels_valid_name(k, strlen(k))) {
                diag_error(d, NULL, "%s: group %zu: invalid label %s", path, i, k);
                labels_builder_release(&b);
                return -1;
            }
            labels_builder_set(&b, arena_strdup(a, k), arena_strdup(a, json_string_value(v)));
        }
        labels_builder_set(&b, "__meta_filepath", arena_strdup(a, path));
        labels_builder_finish(&b, &common, NULL);
        json_array_foreach(ts, j, v)
        {
            if (!json_is_string(v)) {
                diag_error(d, NULL, "%s: group %zu: targets must be strings", path, i);
                labels_builder_release(&b);
                return -1;
            }
            (*out)[(*n)++] =
                group_target(a, arena_strdup(a, json_string_value(v)), &common, NULL, NULL);
        }
        labels_builder_release(&b);
    }
    return 0;
}

/* YAML file: convert the ydoc tree to the JSON shape, keeping locations for errors. */
static json_t *ynode_json(const struct ynode *y, struct diag *d)
{
    json_t *j;

    if (y->kind == YNODE_SCALAR)
        return json_string(y->str);
    if (y->kind == YNODE_SEQ) {
        j = json_array();
        for (size_t i = 0; i < y->n; i++)
            json_array_append_new(j, ynode_json(y->vals[i], d));
        return j;
    }
    j = json_object();
    for (size_t i = 0; i < y->n; i++) {
        if (strcmp(y->keys[i]->str, "targets") && strcmp(y->keys[i]->str, "labels") &&
            y->vals[i]->kind != YNODE_SCALAR) {
            diag_error(d, &y->keys[i]->loc, "unknown key '%s' in a target group", y->keys[i]->str);
        }
        json_object_set_new(j, y->keys[i]->str, ynode_json(y->vals[i], d));
    }
    return j;
}

int sd_read_file(const char *path, struct arena *a, struct labels **out, size_t *n, struct diag *d)
{
    size_t len = strlen(path);
    json_t *root = NULL;
    int rc = -1;

    *out = NULL;
    *n = 0;
    if (len > 5 && !strcmp(path + len - 5, ".json")) {
        json_error_t err;
        root = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
        if (!root) {
            struct srcloc loc = {path, (unsigned)(err.line > 0 ? err.line : 0),
                                 (unsigned)(err.column > 0 ? err.column : 0)};
            diag_error(d, &loc, "%s", err.text);
            return -1;
        }
    } else {
        struct ydoc y;
        ydoc_init(&y);
        if (ydoc_load_file(&y, path, d) == 0)
            root = y.root ? ynode_json(y.root, d) : json_array();
        ydoc_release(&y);
        if (!root || diag_has_errors(d))
            goto out;
    }
    rc = json_groups(path, root, a, out, n, d);
out:
    json_decref(root);
    return rc;
}

/* Names, mtimes and sizes of the files the patterns match now. */
static void file_signature(const struct promcfg_file *f, char *sig, size_t size, glob_t *g)
{
    size_t len = 0;

    memset(g, 0, sizeof(*g));
    for (size_t i = 0; i < f->nfiles; i++)
        glob(f->files[i], i ? GLOB_APPEND : 0, NULL, g);
    sig[0] = 0;
    for (size_t i = 0; i < g->gl_pathc && len < size; i++) {
        struct stat st;
        if (stat(g->gl_pathv[i], &st) == 0)
            len += (size_t)snprintf(sig + len, size - len, "%s:%lld.%ld:%lld;", g->gl_pathv[i],
                                    (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
                                    (long long)st.st_size);
    }
}

/* Publish a refresh's target sets (in arena a, taken over) in place of the provider's last. */
static void provider_swap(struct sd_manager *m, struct provider *p, struct arena *a,
                          struct labels *sets, size_t n)
{
    pthread_mutex_lock(&m->mu);
    arena_release(&p->arena);
    p->arena = *a;
    p->sets = sets;
    p->n = n;
    pthread_mutex_unlock(&m->mu);
}
static int file_refresh(struct sd_manager *m, struct provider *p, int64_t now)
{
    char sig[sizeof(p->sig)];
    glob_t g;
    struct arena a;
    struct labels *sets = NULL;
    size_t n = 0, cap = 0;
    int failed = 0;

    file_signature(p->file, sig, sizeof(sig), &g);
    if (!strcmp(sig, p->sig) && now < p->next_refresh_ms) {
        globfree(&g);
        return 0;
    }
    arena_init(&a);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        struct labels *fs;
        size_t fn;
        struct diag d;
        diag_init(&d);
        __atomic_add_fetch(&m->stats.file_reads, 1, __ATOMIC_RELAXED);
        if (sd_read_file(g.gl_pathv[i], &a, &fs, &fn, &d) < 0) {
            __atomic_add_fetch(&m->stats.file_errors, 1, __ATOMIC_RELAXED);
            log_error("component=\"discovery manager\" msg=\"Error reading file\" "
                      "path=%s err=\"%s\"",
                      g.gl_pathv[i], diag_last(&d));
            failed = 1;
        } else {
            struct labels *grown = arena_alloc(&a, (n + fn + 1) * sizeof(*grown));
            if (n)
                memcpy(grown, sets, n * sizeof(*sets));
            memcpy(grown + n, fs, fn * sizeof(*fs));
            sets = grown;
            n += fn;
            cap = n;
        }
        diag_release(&d);
    }
    globfree(&g);
    (void)cap;
    p->next_refresh_ms = now + p->file->refresh_ms;
    if (failed) { /* keep what we had */
        arena_release(&a);
        return 0;
    }
    snprintf(p->sig, sizeof(p->sig), "%s", sig);
    provider_swap(m, p, &a, sets, n);
    return 1;
}

static int dns_refresh(struct sd_manager *m, struct provider *p, int64_t now)
{
    struct arena a;
    struct labels *sets = NULL;
    size_t n = 0;

    if (now < p->next_refresh_ms)
        return 0;
    p->next_refresh_ms = now + p->dns->refresh_ms;
    arena_init(&a);
    for (size_t i = 0; i < p->dns->nnames; i++) {
        struct labels *ns;
        size_t nn;
        char err[256];
        __atomic_add_fetch(&m->stats.dns_lookups, 1, __ATOMIC_RELAXED);
        if (dnssd_lookup(p->dns->names[i], p->dns->qtype, p->dns->port, m->dns_server, &a, &ns, &nn,
                         err, sizeof(err)) < 0) {
            __atomic_add_fetch(&m->stats.dns_failures, 1, __ATOMIC_RELAXED);
            log_error("component=\"discovery manager\" discovery=dns "
                      "msg=\"Error refreshing DNS targets\" err=\"%s\"",
                      err);
            arena_release(&a);
            return 0;
        }
        struct labels *grown = arena_alloc(&a, (n + nn + 1) * sizeof(*grown));
        if (n)
            memcpy(grown, sets, n * sizeof(*sets));
        if (nn)
            memcpy(grown + n, ns, nn * sizeof(*ns));
        sets = grown;
        n += nn;
    }
    provider_swap(m, p, &a, sets, n);
    return 1;
}

/* Render the job's sets; bump the generation when they differ from last time. */
static int job_update(struct sd_job *j)
{
    struct strbuf sb = STRBUF_INIT;
    int changed;

    for (size_t i = 0; i < j->nprov; i++)
        for (size_t k = 0; k < j->prov[i].n; k++) {
            labels_format(&j->prov[i].sets[k], &sb);
            strbuf_addc(&sb, '\n');
        }
    changed = j->gen == 0 || sb.len != j->last.len || memcmp(sb.buf, j->last.buf, sb.len) != 0;
    if (changed) {
        strbuf_release(&j->last);
        j->last = sb;
        j->gen++;
    } else {
        strbuf_release(&sb);
    }
    return changed;
}

static void round_once(struct sd_manager *m)
{
    int64_t now = monotime_ms();
    int any = 0;

    for (size_t i = 0; i < m->njobs; i++) {
        struct sd_job *j = &m->jobs[i];
        int changed = 0;
        for (size_t k = 0; k < j->nprov; k++) {
            struct provider *p = &j->prov[k];
            int c = 0;
            if (p->kind == PROV_FILE)
                c = file_refresh(m, p, now);
            else if (p->kind == PROV_DNS)
                c = dns_refresh(m, p, now);
            if (c)
                changed = 1;
        }
        pthread_mutex_lock(&m->mu);
        if ((changed || j->gen == 0) && job_update(j))
            any = 1;
        pthread_mutex_unlock(&m->mu);
    }
    if (any && m->notify)
        m->notify(m->arg);
}

static void *sd_thread(void *arg)
{
    struct sd_manager *m = arg;

    pthread_mutex_lock(&m->mu);
    while (!m->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 1;
        pthread_cond_timedwait(&m->cv, &m->mu, &ts);
        if (m->stop)
            break;
        pthread_mutex_unlock(&m->mu);
        round_once(m);
        pthread_mutex_lock(&m->mu);
    }
    pthread_mutex_unlock(&m->mu);
    return NULL;
}

struct sd_manager *sd_new(const struct promcfg *cfg, const char *dns_server,
                          void (*notify)(void *arg), void *arg)
{
    struct sd_manager *m = xcalloc(1, sizeof(*m));

    m->cfg = cfg;
    m->dns_server = dns_server ? xstrdup(dns_server) : NULL;
    m->notify = notify;
    m->arg = arg;
    m->njobs = cfg->njobs;
    m->jobs = xcalloc(cfg->njobs + 1, sizeof(*m->jobs));
    pthread_mutex_init(&m->mu, NULL);
    pthread_cond_init(&m->cv, NULL);
    for (size_t i = 0; i < cfg->njobs; i++) {
        const struct promcfg_job *jc = &cfg->jobs[i];
        struct sd_job *j = &m->jobs[i];
        size_t np = jc->nstatics + jc->nfiles + jc->ndns, k = 0;
        j->prov = xcalloc(np + 1, sizeof(*j->prov));
        j->nprov = np;
        strbuf_init(&j->last, STRBUF_NOCAP);
        for (size_t s = 0; s < jc->nstatics; s++, k++) {
            j->prov[k].kind = PROV_STATIC;
            j->prov[k].st = &jc->statics[s];
            arena_init(&j->prov[k].arena);
            static_targets(&j->prov[k]);
        }
        for (size_t s = 0; s < jc->nfiles; s++, k++) {
            j->prov[k].kind = PROV_FILE;
            j->prov[k].file = &jc->files[s];
            arena_init(&j->prov[k].arena);
        }
        for (size_t s = 0; s < jc->ndns; s++, k++) {
            j->prov[k].kind = PROV_DNS;
            j->prov[k].dns = &jc->dns[s];
            arena_init(&j->prov[k].arena);
        }
    }
    return m;
}

int sd_start(struct sd_manager *m)
{
    round_once(m);
    if (pthread_create(&m->thread, NULL, sd_thread, m) != 0)
        return -1;
    m->running = 1;
    return 0;
}

void sd_free(struct sd_manager *m)
{
    if (!m)
        return;
    if (m->running) {
        pthread_mutex_lock(&m->mu);
        m->stop = 1;
        pthread_cond_signal(&m->cv);
        pthread_mutex_unlock(&m->mu);
        pthread_join(m->thread, NULL);
    }
    for (size_t i = 0; i < m->njobs; i++) {
        for (size_t k = 0; k < m->jobs[i].nprov; k++)
            arena_release(&m->jobs[i].prov[k].arena);
        free(m->jobs[i].prov);
        strbuf_release(&m->jobs[i].last);
    }
    free(m->jobs);
    free(m->dns_server);
    pthread_mutex_destroy(&m->mu);
    pthread_cond_destroy(&m->cv);
    free(m);
}

struct sd_targets *sd_take(struct sd_manager *m, size_t job, uint64_t *gen)
{
    struct sd_targets *t = NULL;
    struct sd_job *j;
    size_t total = 0;

    pthread_mutex_lock(&m->mu);
    j = &m->jobs[job];
    if (j->gen == *gen)
        goto out;
    *gen = j->gen;
    t = xcalloc(1, sizeof(*t));
    arena_init(&t->arena);
    for (size_t k = 0; k < j->nprov; k++)
        total += j->prov[k].n;
    t->sets = arena_alloc(&t->arena, (total + 1) * sizeof(*t->sets));
    for (size_t k = 0; k < j->nprov; k++)
        for (size_t s = 0; s < j->prov[k].n; s++)
            t->sets[t->n++] = labels_dup(&t->arena, &j->prov[k].sets[s]);
out:
    pthread_mutex_unlock(&m->mu);
    return t;
}

void sd_targets_free(struct sd_targets *t)
{
    if (!t)
        return;
    arena_release(&t->arena);
    free(t);
}

void sd_get_stats(struct sd_manager *m, struct sd_stats *out)
{
    pthread_mutex_lock(&m->mu);
    *out = m->stats;
    pthread_mutex_unlock(&m->mu);
}
