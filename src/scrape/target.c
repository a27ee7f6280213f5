/*
 * Target population (Prometheus 2.42 scrape/target.go PopulateLabels and
 * Target.URL).
 */
#include "scrape/target.h"

#include <stdio.h>
#include <string.h>

#include "core/strbuf.h"
#include "scrape/duration.h"
#include "scrape/relabel.h"

static const char *get(const struct labels_builder *b, const char *name)
{
    return relabel_builder_get(b, name);
}

/* Go's url.QueryEscape. */
static void query_escape(struct strbuf *sb, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '_' || *p == '.' || *p == '~')
            strbuf_addc(sb, (char)*p);
        else if (*p == ' ')
            strbuf_addc(sb, '+');
        else
            strbuf_addf(sb, "%%%02X", *p);
    }
}

/* Go's url.URL.String() path escaping, for the characters that matter. */
static void path_escape(struct strbuf *sb, const char *s)
{
    if (*s && *s != '/')
        strbuf_addc(sb, '/');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p <= ' ' || *p == '?' || *p == '#' || *p == '%' || *p >= 0x7f || *p == '"')
            strbuf_addf(sb, "%%%02X", *p);
        else
            strbuf_addc(sb, (char)*p);
    }
}

/* Whether addr lacks a port: "host", "[::1]"; not "host:80", "[::1]:80". */
static int needs_port(const char *addr)
{
    const char *colon = strrchr(addr, ':');
    if (addr[0] == '[') {
        const char *close = strchr(addr, ']');
        return close && close[1] == 0;
    }
    return colon == NULL;
}

/* The params in the query: the job's, overridden by __param_* labels; sorted by name. */
static const char *build_url(struct arena *a, const struct labels *all,
                             const struct promcfg_job *job)
{
    struct strbuf sb = STRBUF_INIT;
    const char *names[128];
    const char *vals[128];
    size_t n = 0;
    char *url;

    for (size_t i = 0; i < job->nparams && n < 128; i++) {
        if (!job->params[i].value)
            continue;
        names[n] = job->params[i].name;
        vals[n++] = job->params[i].value;
    }
    for (size_t i = 0; i < all->n; i++) {
        const char *k;
        size_t j;
        if (strncmp(all->v[i].name, "__param_", 8) != 0)
            continue;
        k = all->v[i].name + 8;
        for (j = 0; j < n; j++)
            if (!strcmp(names[j], k))
                break;
        if (j == n && n < 128)
            names[n++] = k;
        if (j < 128)
            vals[j] = all->v[i].value;
    }
    /* Sort by name, as url.Values.Encode does. */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            const char *t = names[j];
            names[j] = names[j - 1];
            names[j - 1] = t;
            t = vals[j];
            vals[j] = vals[j - 1];
            vals[j - 1] = t;
        }
    strbuf_addf(&sb, "%s://%s", labels_get(all, "__scheme__"), labels_get(all, "__address__"));
    path_escape(&sb,
                labels_get(all, "__metrics_path__") ? labels_get(all, "__metrics_path__") : "");
    for (size_t i = 0; i < n; i++) {
        strbuf_addc(&sb, i ? '&' : '?');
        query_escape(&sb, names[i]);
        strbuf_addc(&sb, '=');
        query_escape(&sb, vals[i]);
    }
    url = arena_strndup(a, sb.buf, sb.len);
    strbuf_release(&sb);
    return url;
}

enum target_result target_populate(const struct labels *discovered, const struct promcfg_job *job,
                                   struct arena *a, struct target_info *out, const char **err)
{
    struct labels_builder b;
    char ibuf[32], tbuf[32];
    const char *addr, *v;
    enum target_result rc = TARGET_ERROR;
    struct labels res;
    struct label *pub;
    size_t np = 0;

    labels_builder_init(&b);
    labels_builder_reset(&b, discovered);
    duration_format(job->interval_ms, ibuf, sizeof(ibuf));
    duration_format(job->timeout_ms, tbuf, sizeof(tbuf));
    const char *defaults[][2] = {{"job", job->job_name},
                                 {"__scrape_interval__", arena_strdup(a, ibuf)},
                                 {"__scrape_timeout__", arena_strdup(a, tbuf)},
                                 {"__metrics_path__", job->metrics_path},
                                 {"__scheme__", job->scheme}};
    for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
        if (!*get(&b, defaults[i][0]))
            labels_builder_set(&b, defaults[i][0], defaults[i][1]);
    for (size_t i = 0; i < job->nparams; i++)
        if (job->params[i].value)
            labels_builder_set(&b, arena_printf(a, "__param_%s", job->params[i].name),
                               job->params[i].value);
    memset(out, 0, sizeof(*out));
    labels_builder_finish(&b, &res, NULL);
    out->discovered = labels_dup(a, &res); /* Prometheus's preRelabelLabels */
    if (!relabel_process(&b, job->relabel, job->nrelabel, a)) {
        rc = TARGET_DROPPED;
        goto out;
    }
    addr = get(&b, "__address__");
    if (!*addr) {
        *err = "no address";
        goto out;
    }
    if (needs_port(addr)) {
        const char *scheme = get(&b, "__scheme__");
        if (!strcmp(scheme, "http") || !*scheme) {
            addr = arena_printf(a, "%s:80", addr);
        } else if (!strcmp(scheme, "https")) {
            addr = arena_printf(a, "%s:443", addr);
        } else {
            *err = arena_printf(a, "invalid scheme: \"%s\"", job->scheme);
            goto out;
        }
        labels_builder_set(&b, "__address__", addr);
    }
    if (strchr(addr, '/')) {
        *err = arena_printf(a, "\"%s\" is not a valid hostname", addr);
        goto out;
    }
    v = get(&b, "__scrape_interval__");
    if (duration_parse(v, &out->interval_ms) < 0) {
        *err = arena_printf(a, "error parsing scrape interval: not a valid duration string: \"%s\"",
                            v);
        goto out;
    }
    v = get(&b, "__scrape_timeout__");
    if (duration_parse(v, &out->timeout_ms) < 0) {
        *err =
            arena_printf(a, "error parsing scrape timeout: not a valid duration string: \"%s\"", v);
        goto out;
    }
    if (out->interval_ms == 0) {
        *err = "scrape interval cannot be 0";
        goto out;
    }
    if (out->timeout_ms == 0) {
        *err = "scrape timeout cannot be 0";
        goto out;
    }
    if (out->timeout_ms > out->interval_ms) {
        *err = arena_printf(
            a, "scrape timeout cannot be greater than scrape interval (\"%s\" > \"%s\")",
            get(&b, "__scrape_timeout__"), get(&b, "__scrape_interval__"));
        goto out;
    }
    /* Meta labels go after relabeling; other "__" labels stay for the URL. */
    for (size_t i = 0; i < b.n;) {
        if (!strncmp(b.v[i].name, "__meta_", 7))
            labels_builder_del(&b, b.v[i].name);
        else
            i++;
    }
    if (!*get(&b, "instance"))
        labels_builder_set(&b, "instance", addr);
    labels_builder_finish(&b, &res, NULL);
    out->all = labels_dup(a, &res);
    pub = arena_alloc(a, (res.n + 1) * sizeof(*pub));
    for (size_t i = 0; i < out->all.n; i++)
        if (strncmp(out->all.v[i].name, "__", 2) != 0)
            pub[np++] = out->all.v[i];
    out->public = (struct labels){pub, np};
    out->url = build_url(a, &out->all, job);
    rc = TARGET_OK;
out:
    labels_builder_release(&b);
    return rc;
}

int64_t target_offset(uint64_t target_hash, int64_t interval_ms, int64_t now_ms)
{
    int64_t base = interval_ms - now_ms % interval_ms;
    int64_t offset = (int64_t)(target_hash % (uint64_t)interval_ms);
    int64_t next = base + offset;

    if (next > interval_ms)
        next -= interval_ms;
    return next;
}
