/*
 * Loading prometheus.yml: each section is a table of keys (name, kind, field
 * offset or decoder); decode_map() walks a map node against its table, so a
 * key is either known, known-but-unsupported, or an error with a suggestion.
 * Validations and their messages follow Prometheus 2.42's config/config.go
 * and discovery/{dns,file}.
 */
#include "scrape/promcfg.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/rx.h"
#include "core/suggest.h"
#include "core/xmalloc.h"
#include "scrape/duration.h"

struct ctx {
    struct promcfg *c;
    struct arena *a;
    struct diag *d;
};

enum kkind { K_STR, K_DUR, K_BOOL, K_UINT, K_SIZE, K_FN, K_IGNORE, K_UNSUPPORTED };

struct ckey {
    const char *name;
    enum kkind kind;
    size_t off;
    int (*fn)(struct ctx *x, const struct ynode *v, void *obj);
};

#define FIELD(type, f) offsetof(type, f)

static int want_scalar(struct ctx *x, const struct ynode *v, const char *what)
{
    if (v->kind == YNODE_SCALAR)
        return 0;
    diag_error(x->d, &v->loc, "%s must be a string, not %s", what, ydoc_kind_name(v));
    return -1;
}

static int want(struct ctx *x, const struct ynode *v, enum ynode_kind kind, const char *what)
{
    if (v->kind == kind || (kind != YNODE_SCALAR && ydoc_is_null(v)))
        return 0;
    diag_error(x->d, &v->loc, "%s must be %s, not %s", what, kind == YNODE_MAP ? "a map" : "a list",
               ydoc_kind_name(v));
    return -1;
}

/* Units of alecthomas/units Base2Bytes, as body_size_limit is written ("10MB", "1KiB"). */
static int parse_size(const char *s, uint64_t *out)
{
    static const struct {
        const char *u;
        unsigned shift;
    } units[] = {{"B", 0},    {"KB", 10}, {"KiB", 10}, {"MB", 20}, {"MiB", 20}, {"GB", 30},
                 {"GiB", 30}, {"TB", 40}, {"TiB", 40}, {"PB", 50}, {"PiB", 50}};
    char *end;
    unsigned long long n;

    if (strcmp(s, "0") == 0) {
        *out = 0;
        return 0;
    }
    if (*s < '0' || *s > '9')
        return -1;
    n = strtoull(s, &end, 10);
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(end, units[i].u) == 0) {
            *out = (uint64_t)n << units[i].shift;
            return 0;
        }
    }
    return -1;
}

static int decode_scalar(struct ctx *x, const struct ynode *k, const struct ynode *v,
                         const struct ckey *key, void *obj)
{
    char *field = (char *)obj + key->off;

    if (key->kind != K_STR && ydoc_is_null(v))
        return 0; /* a null keeps the default, as yaml.v2 does */
    if (want_scalar(x, v, k->str) < 0)
        return -1;
    switch (key->kind) {
    case K_STR:
        *(const char **)field = ydoc_is_null(v) ? "" : v->str;
        return 0;
    case K_DUR:
        if (duration_parse(v->str, (int64_t *)field) == 0)
            return 0;
        diag_error(x->d, &v->loc, "not a valid duration string: \"%s\"", v->str);
        return -1;
    case K_BOOL:
        if (!strcasecmp(v->str, "true") || !strcasecmp(v->str, "yes") ||
            !strcasecmp(v->str, "on")) {
            *(int *)field = 1;
            return 0;
        }
        if (!strcasecmp(v->str, "false") || !strcasecmp(v->str, "no") ||
            !strcasecmp(v->str, "off")) {
            *(int *)field = 0;
            return 0;
        }
        diag_error(x->d, &v->loc, "%s must be true or false, not '%s'", k->str, v->str);
        return -1;
    case K_UINT: {
        char *end;
        unsigned long long n = strtoull(v->str, &end, 10);
        if (v->str[0] >= '0' && v->str[0] <= '9' && !*end) {
            *(uint64_t *)field = n;
            return 0;
        }
        diag_error(x->d, &v->loc, "%s must be a non-negative integer, not '%s'", k->str, v->str);
        return -1;
    }
    case K_SIZE:
        if (parse_size(v->str, (uint64_t *)field) == 0)
            return 0;
        diag_error(x->d, &v->loc, "%s: invalid size '%s' (expected a number with B, KB, MB, GB)",
                   k->str, v->str);
        return -1;
    default:
        return -1;
    }
}

static int decode_map(struct ctx *x, const struct ynode *m, const struct ckey *keys, size_t n,
                      void *obj, const char *where)
{
    const char *names[64];
    int rc = 0;

    if (ydoc_is_null(m))
        return 0;
    if (m->kind != YNODE_MAP) {
        diag_error(x->d, &m->loc, "%s must be a map, not %s", where, ydoc_kind_name(m));
        return -1;
    }
    for (size_t i = 0; i < m->n; i++) {
        const struct ynode *k = m->keys[i], *v = m->vals[i];
        size_t j;

        for (j = 0; j < n; j++)
            if (strcmp(keys[j].name, k->str) == 0)
                break;
        if (j == n) {
            size_t nn = 0;
            char tail[160];
            for (j = 0; j < n && nn < 64; j++)
                if (keys[j].kind != K_UNSUPPORTED)
                    names[nn++] = keys[j].name;
            diag_error(x->d, &k->loc, "unknown key '%s' in %s%s", k->str, where,
                       suggest_tail(k->str, names, nn, "", tail, sizeof(tail)));
            rc = -1;
            continue;
        }
        if (keys[j].kind == K_IGNORE)
            continue;
        if (keys[j].kind == K_UNSUPPORTED) {
            diag_error(x->d, &k->loc,
                       "'%s' in %s is not supported by cairn-scrape (see docs/scrape.md)", k->str,
                       where);
            rc = -1;
            continue;
        }
        if (keys[j].kind == K_FN) {
            if (keys[j].fn(x, v, obj) < 0)
                rc = -1;
            continue;
        }
        if (decode_scalar(x, k, v, &keys[j], obj) < 0)
            rc = -1;
    }
    return rc;
}

/* A list of strings (a lone string is not accepted, as in Prometheus). */
static int decode_strlist(struct ctx *x, const struct ynode *v, const char ***out, size_t *n,
                          const char *what)
{
    if (want(x, v, YNODE_SEQ, what) < 0)
        return -1;
    if (ydoc_is_null(v))
        return 0;
    *out = arena_alloc(x->a, (v->n + 1) * sizeof(**out));
    for (size_t i = 0; i < v->n; i++) {
        if (want_scalar(x, v->vals[i], what) < 0)
            return -1;
        (*out)[i] = v->vals[i]->str;
    }
    *n = v->n;
    return 0;
}

/* A map of label names to values, validated as model.LabelSet. */
static int decode_labels(struct ctx *x, const struct ynode *v, struct labels *out)
{
    struct label *ls;
    struct labels_builder b;
    const char *dup = NULL;
    int rc = 0;

    if (want(x, v, YNODE_MAP, "labels") < 0)
        return -1;
    if (ydoc_is_null(v))
        return 0;
    labels_builder_init(&b);
    for (size_t i = 0; i < v->n; i++) {
        const struct ynode *k = v->keys[i], *val = v->vals[i];
        if (!labels_valid_name(k->str, k->len)) {
            diag_error(x->d, &k->loc, "\"%s\" is not a valid label name", k->str);
            rc = -1;
            continue;
        }
        if (want_scalar(x, val, k->str) < 0) {
            rc = -1;
            continue;
        }
        labels_builder_push(&b, k->str, ydoc_is_null(val) ? "" : val->str);
    }
    labels_builder_finish(&b, out, &dup);
    ls = arena_alloc(x->a, (out->n + 1) * sizeof(*ls));
    if (out->n)
        memcpy(ls, out->v, out->n * sizeof(*ls));
    out->v = ls;
    labels_builder_release(&b);
    return rc;
}

/* ---- relabel_config ---- */

static int rl_source_labels(struct ctx *x, const struct ynode *v, void *obj)
{
    struct relabel_rule *r = obj;
    if (decode_strlist(x, v, &r->source_labels, &r->nsource, "source_labels") < 0)
        return -1;
    for (size_t i = 0; i < r->nsource; i++) {
        if (!labels_valid_name(r->source_labels[i], strlen(r->source_labels[i]))) {
            diag_error(x->d, &v->vals[i]->loc, "\"%s\" is not a valid label name",
                       r->source_labels[i]);
            return -1;
        }
    }
    return 0;
}

static const struct ckey relabel_keys[] = {
    {"source_labels", K_FN, 0, rl_source_labels},
    {"separator", K_STR, FIELD(struct relabel_rule, separator), NULL},
    {"regex", K_STR, FIELD(struct relabel_rule, regex), NULL},
    {"modulus", K_UINT, FIELD(struct relabel_rule, modulus), NULL},
    {"target_label", K_STR, FIELD(struct relabel_rule, target_label), NULL},
    {"replacement", K_STR, FIELD(struct relabel_rule, replacement), NULL},
    {"action", K_STR, FIELD(struct relabel_rule, action), NULL},
};

static int decode_relabels(struct ctx *x, const struct ynode *v, struct relabel_rule **out,
                           size_t *n, const char *what)
{
    int rc = 0;

    if (want(x, v, YNODE_SEQ, what) < 0)
        return -1;
    if (ydoc_is_null(v))
        return 0;
    *out = arena_alloc(x->a, (v->n + 1) * sizeof(**out));
    for (size_t i = 0; i < v->n; i++) {
        struct relabel_rule *r = &(*out)[i];
        relabel_rule_defaults(r);
        r->loc = v->vals[i]->loc;
        if (ydoc_is_null(v->vals[i])) {
            diag_error(x->d, &v->vals[i]->loc, "empty or null relabeling rule in %s", what);
            rc = -1;
            continue;
        }
        if (decode_map(x, v->vals[i], relabel_keys, sizeof(relabel_keys) / sizeof(relabel_keys[0]),
                       r, "a relabel config") < 0 ||
            relabel_rule_compile(r, x->d) < 0)
            rc = -1;
        *n = i + 1; /* compiled rules are released with the config */
    }
    return rc;
}

/* ---- service discovery ---- */

static int sc_static(struct ctx *x, const struct ynode *v, void *obj);
static int sc_dns(struct ctx *x, const struct ynode *v, void *obj);
static int sc_file(struct ctx *x, const struct ynode *v, void *obj);

static int st_targets(struct ctx *x, const struct ynode *v, void *obj)
{
    struct promcfg_static *s = obj;
    return decode_strlist(x, v, &s->targets, &s->ntargets, "targets");
}

static int st_labels(struct ctx *x, const struct ynode *v, void *obj)
{
    return decode_labels(x, v, &((struct promcfg_static *)obj)->labels);
}

static const struct ckey static_keys[] = {
    {"targets", K_FN, 0, st_targets},
    {"labels", K_FN, 0, st_labels},
};

static int dns_names(struct ctx *x, const struct ynode *v, void *obj)
{
    struct promcfg_dns *s = obj;
    return decode_strlist(x, v, &s->names, &s->nnames, "names");
}

static const struct ckey dns_keys[] = {
    {"names", K_FN, 0, dns_names},
    {"type", K_STR, FIELD(struct promcfg_dns, type), NULL},
    {"port", K_IGNORE, 0, NULL}, /* decoded by hand below: it is 16 bits */
    {"refresh_interval", K_DUR, FIELD(struct promcfg_dns, refresh_ms), NULL},
};

static int file_files(struct ctx *x, const struct ynode *v, void *obj)
{
    struct promcfg_file *s = obj;
    return decode_strlist(x, v, &s->files, &s->nfiles, "files");
}

static const struct ckey file_keys[] = {
    {"files", K_FN, 0, file_files},
    {"refresh_interval", K_DUR, FIELD(struct promcfg_file, refresh_ms), NULL},
};

#define NKEYS(t) (sizeof(t) / sizeof((t)[0]))

static int sc_static(struct ctx *x, const struct ynode *v, void *obj)
{
    struct promcfg_job *j = obj;
    int rc = 0;

    if (want(x, v, YNODE_SEQ, "static_configs") < 0)
        return -1;
    if (ydoc_is_null(v))
        return 0;
    j->statics = arena_alloc(x->a, (v->n + 1) * sizeof(*j->statics));
    j->nstatics = v->n;
    for (size_t i = 0; i < v->n; i++) {
        j->statics[i].loc = v->vals[i]->loc;
        if (decode_map(x, v->vals[i], static_keys, NKEYS(static_keys), &j->statics[i],
                       "a static config") < 0)
            rc = -1;
    }
    return rc;
}

static int sc_dns(struct ctx *x, const struct ynode *v, void *obj)
{
    struct promcfg_job *j = obj;
    int rc = 0;

    if (want(x, v, YNODE_SEQ, "dns_sd_configs") < 0)
        return -1;
    if (ydoc_is_null(v))
        return 0;
    j->dns = arena_alloc(x->a, (v->n + 1) * sizeof(*j->dns));
    j->ndns = v->n;
    for (size_t i = 0; i < v->n; i++) {
        struct promcfg_dns *s = &j->dns[i];
        const struct ynode *port = ydoc_get(v->vals[i], "port");
        uint64_t p = 0;
        struct ckey pk = {"port", K_UINT, 0, NULL};

        s->type = "SRV";
        s->refresh_ms = 30 * 1000;
        if (decode_map(x, v->vals[i], dns_keys, NKEYS(dns_keys), s, "a DNS-SD config") < 0) {
            rc = -1;
            continue;
        }
        if (port && decode_scalar(x, port, port, &pk, &p) < 0) {
            rc = -1;
            continue;
        }
        if (p > 65535) {
            diag_error(x->d, &port->loc, "port %llu is out of range", (unsigned long long)p);
            rc = -1;
            continue;
        }
        s->port = (unsigned)p;
        if (s->nnames == 0) {
            diag_error(x->d, &v->vals[i]->loc,
                       "DNS-SD config must contain at least one SRV "
                       "record name");
            rc = -1;
        } else if (!strcmp(s->type, "SRV")) {
            s->qtype = PROMCFG_DNS_SRV;
        } else if (!strcmp(s->type, "A") || !strcmp(s->type, "AAAA")) {
            s->qtype = s->type[1] ? PROMCFG_DNS_AAAA : PROMCFG_DNS_A;
            if (s->port == 0) {
                diag_error(x->d, &v->vals[i]->loc,
                           "a port is required in DNS-SD configs for all record types except SRV");
                rc = -1;
            }
        } else {
            diag_error(x->d, &ydoc_get(v->vals[i], "type")->loc, "invalid DNS-SD records type %s",
                       s->type);
            rc = -1;
        }
    }
    return rc;
}

/* Prometheus's patFileSDName: a glob only in the last element, ending .json/.yml/.yaml. */
static int valid_sd_file(const char *p)
{
    static const char pat[] = "[^*]*(\\*[^/]*)?\\.(json|yml|yaml|JSON|YML|YAML)";
    char err[64];
    struct rx *rx = rx_new(pat, sizeof(pat) - 1, RX_ANCHORED, err, sizeof(err));
    int ok = rx && rx_match(rx, p, strlen(p));

    rx_free(rx);
    return ok;
}

static int sc_file(struct ctx *x, const struct ynode *v, void *obj)
{
    struct promcfg_job *j = obj;
    int rc = 0;

    if (want(x, v, YNODE_SEQ, "file_sd_configs") < 0)
        return -1;
    if (ydoc_is_null(v))
        return 0;
    j->files = arena_alloc(x->a, (v->n + 1) * sizeof(*j->files));
    j->nfiles = v->n;
    for (size_t i = 0; i < v->n; i++) {
        struct promcfg_file *s = &j->files[i];
        s->refresh_ms = 5 * 60 * 1000;
        if (decode_map(x, v->vals[i], file_keys, NKEYS(file_keys), s, "a file SD config") < 0) {
            rc = -1;
            continue;
        }
        if (s->nfiles == 0) {
            diag_error(x->d, &v->vals[i]->loc,
                       "file service discovery config must contain at least one path name");
            rc = -1;
        }
        for (size_t k = 0; k < s->nfiles; k++) {
            if (!valid_sd_file(s->files[k])) {
                diag_error(x->d, &ydoc_get(v->vals[i], "files")->vals[k]->loc,
                           "path name \"%s\" is not valid for file discovery", s->files[k]);
                rc = -1;
            } else if (s->files[k][0] != '/') {
                s->files[k] = arena_printf(x->a, "%s/%s", x->c->dir, s->files[k]);
            }
        }
    }
    return rc;
}

/* ---- scrape_config ---- */

static int sc_params(struct ctx *x, const struct ynode *v, void *obj)
{
    struct promcfg_job *j = obj;
    int rc = 0;

    if (want(x, v, YNODE_MAP, "params") < 0)
        return -1;
    if (ydoc_is_null(v))
        return 0;
    j->params = arena_alloc(x->a, (v->n + 1) * sizeof(*j->params));
    j->nparams = v->n;
    for (size_t i = 0; i < v->n; i++) {
        struct promcfg_param *p = &j->params[i];
        p->name = v->keys[i]->str;
        if (decode_strlist(x, v->vals[i], &p->values, &p->nvalues, "a parameter's values") < 0)
            rc = -1;
        p->value = p->nvalues ? p->values[0] : NULL;
    }
    return rc;
}

static int sc_relabel(struct ctx *x, const struct ynode *v, void *obj)
{
    struct promcfg_job *j = obj;
    return decode_relabels(x, v, &j->relabel, &j->nrelabel, "relabel_configs");
}

static int sc_metric_relabel(struct ctx *x, const struct ynode *v, void *obj)
{
    struct promcfg_job *j = obj;
    return decode_relabels(x, v, &j->metric_relabel, &j->nmetric_relabel, "metric_relabel_configs");
}

static const struct ckey job_keys[] = {
    {"job_name", K_STR, FIELD(struct promcfg_job, job_name), NULL},
    {"scrape_interval", K_DUR, FIELD(struct promcfg_job, interval_ms), NULL},
    {"scrape_timeout", K_DUR, FIELD(struct promcfg_job, timeout_ms), NULL},
    {"metrics_path", K_STR, FIELD(struct promcfg_job, metrics_path), NULL},
    {"scheme", K_STR, FIELD(struct promcfg_job, scheme), NULL},
    {"params", K_FN, 0, sc_params},
    {"honor_labels", K_BOOL, FIELD(struct promcfg_job, honor_labels), NULL},
    {"honor_timestamps", K_BOOL, FIELD(struct promcfg_job, honor_timestamps), NULL},
    {"body_size_limit", K_SIZE, FIELD(struct promcfg_job, body_size_limit), NULL},
    {"sample_limit", K_UINT, FIELD(struct promcfg_job, sample_limit), NULL},
    {"static_configs", K_FN, 0, sc_static},
    {"dns_sd_configs", K_FN, 0, sc_dns},
    {"file_sd_configs", K_FN, 0, sc_file},
    {"relabel_configs", K_FN, 0, sc_relabel},
    {"metric_relabel_configs", K_FN, 0, sc_metric_relabel},
    /* Prometheus knows these; cairn-scrape does not implement them yet. */
    {"basic_auth", K_UNSUPPORTED, 0, NULL},
    {"authorization", K_UNSUPPORTED, 0, NULL},
    {"oauth2", K_UNSUPPORTED, 0, NULL},
    {"bearer_token", K_UNSUPPORTED, 0, NULL},
    {"bearer_token_file", K_UNSUPPORTED, 0, NULL},
    {"tls_config", K_UNSUPPORTED, 0, NULL},
    {"proxy_url", K_UNSUPPORTED, 0, NULL},
    {"follow_redirects", K_UNSUPPORTED, 0, NULL},
    {"enable_http2", K_UNSUPPORTED, 0, NULL},
    {"target_limit", K_UNSUPPORTED, 0, NULL},
    {"label_limit", K_UNSUPPORTED, 0, NULL},
    {"label_name_length_limit", K_UNSUPPORTED, 0, NULL},
    {"label_value_length_limit", K_UNSUPPORTED, 0, NULL},
    {"kubernetes_sd_configs", K_UNSUPPORTED, 0, NULL},
    {"consul_sd_configs", K_UNSUPPORTED, 0, NULL},
    {"ec2_sd_configs", K_UNSUPPORTED, 0, NULL},
    {"http_sd_configs", K_UNSUPPORTED, 0, NULL},
};

/* Prometheus's checkStaticTargets: without relabeling, a target is host:port, not a URL. */
static int check_static_targets(struct ctx *x, const struct ynode *jn, struct promcfg_job *j)
{
    const struct ynode *sc = ydoc_get(jn, "static_configs");
    int rc = 0;

    if (j->nrelabel)
        return 0;
    for (size_t i = 0; i < j->nstatics; i++) {
        for (size_t k = 0; k < j->statics[i].ntargets; k++) {
            if (strchr(j->statics[i].targets[k], '/')) {
                const struct ynode *t = ydoc_get(sc->vals[i], "targets")->vals[k];
                diag_error(x->d, &t->loc, "\"%s\" is not a valid hostname",
                           j->statics[i].targets[k]);
                rc = -1;
            }
        }
    }
    return rc;
}

static int decode_job(struct ctx *x, const struct ynode *v, struct promcfg_job *j)
{
    int rc;

    j->loc = v->loc;
    j->interval_ms = j->timeout_ms = -1;
    j->metrics_path = "/metrics";
    j->scheme = "http";
    j->honor_timestamps = 1;
    j->job_name = "";
    rc = decode_map(x, v, job_keys, NKEYS(job_keys), j, "a scrape config");
    if (rc < 0)
        return -1;
    if (!*j->job_name) {
        diag_error(x->d, &v->loc, "job_name is empty");
        return -1;
    }
    if (strcmp(j->scheme, "http") != 0 && strcmp(j->scheme, "https") != 0) {
        diag_error(x->d, &ydoc_get(v, "scheme")->loc,
                   "unsupported scheme \"%s\" for URL (expected http or https)", j->scheme);
        return -1;
    }
    /* Prometheus's ScrapeConfig.Validate: defaults from global, timeout ≤ interval. */
    if (j->interval_ms < 0)
        j->interval_ms = x->c->scrape_interval_ms;
    if (j->timeout_ms < 0)
        j->timeout_ms =
            x->c->scrape_timeout_ms > j->interval_ms ? j->interval_ms : x->c->scrape_timeout_ms;
    if (j->timeout_ms > j->interval_ms) {
        const struct ynode *t = ydoc_get(v, "scrape_timeout");
        diag_error(x->d, t ? &t->loc : &v->loc,
                   "scrape timeout greater than scrape interval for scrape config with job name "
                   "\"%s\"",
                   j->job_name);
        return -1;
    }
    return check_static_targets(x, v, j);
}

/* ---- remote_write ---- */

static int rw_headers(struct ctx *x, const struct ynode *v, void *obj)
{
    static const char *const reserved[] = {"content-encoding",
                                           "content-length",
                                           "content-type",
                                           "user-agent",
                                           "connection",
                                           "keep-alive",
                                           "proxy-authenticate",
                                           "proxy-authorization",
                                           "www-authenticate",
                                           "retry-after",
                                           "x-prometheus-remote-write-version",
                                           "x-prometheus-remote-read-version"};
    struct promcfg_rw *rw = obj;

    if (want(x, v, YNODE_MAP, "headers") < 0)
        return -1;
    if (ydoc_is_null(v))
        return 0;
    rw->headers = arena_alloc(x->a, (v->n + 1) * sizeof(*rw->headers));
    for (size_t i = 0; i < v->n; i++) {
        const char *name = v->keys[i]->str;
        if (!strcasecmp(name, "authorization")) {
            diag_error(x->d, &v->keys[i]->loc,
                       "authorization header must be changed via the basic_auth, authorization, "
                       "oauth2, or sigv4 parameter");
            return -1;
        }
        for (size_t k = 0; k < NKEYS(reserved); k++) {
            if (!strcasecmp(name, reserved[k])) {
                diag_error(x->d, &v->keys[i]->loc,
                           "%s is a reserved header. It must not be changed", name);
                return -1;
            }
        }
        if (want_scalar(x, v->vals[i], name) < 0)
            return -1;
        rw->headers[rw->nheaders++] = (struct promcfg_header){name, v->vals[i]->str};
    }
    return 0;
}

static const struct ckey basic_auth_keys[] = {
    {"username", K_STR, FIELD(struct promcfg_rw, username), NULL},
    {"password", K_STR, FIELD(struct promcfg_rw, password), NULL},
    {"password_file", K_STR, FIELD(struct promcfg_rw, password_file), NULL},
};

static int rw_basic_auth(struct ctx *x, const struct ynode *v, void *obj)
{
    return decode_map(x, v, basic_auth_keys, NKEYS(basic_auth_keys), obj, "basic_auth");
}

static const struct ckey queue_keys[] = {
    {"capacity", K_UINT, FIELD(struct promcfg_rw, capacity), NULL},
    {"max_shards", K_UINT, FIELD(struct promcfg_rw, max_shards), NULL},
    {"min_shards", K_UINT, FIELD(struct promcfg_rw, min_shards), NULL},
    {"max_samples_per_send", K_UINT, FIELD(struct promcfg_rw, max_samples_per_send), NULL},
    {"batch_send_deadline", K_DUR, FIELD(struct promcfg_rw, batch_send_deadline_ms), NULL},
    {"min_backoff", K_DUR, FIELD(struct promcfg_rw, min_backoff_ms), NULL},
    {"max_backoff", K_DUR, FIELD(struct promcfg_rw, max_backoff_ms), NULL},
    {"retry_on_http_429", K_BOOL, FIELD(struct promcfg_rw, retry_on_429), NULL},
};

static int rw_queue(struct ctx *x, const struct ynode *v, void *obj)
{
    return decode_map(x, v, queue_keys, NKEYS(queue_keys), obj, "queue_config");
}

static int rw_relabel(struct ctx *x, const struct ynode *v, void *obj)
{
    struct promcfg_rw *rw = obj;
    return decode_relabels(x, v, &rw->relabel, &rw->nrelabel, "write_relabel_configs");
}

static const struct ckey rw_keys[] = {
    {"url", K_STR, FIELD(struct promcfg_rw, url), NULL},
    {"name", K_STR, FIELD(struct promcfg_rw, name), NULL},
    {"remote_timeout", K_DUR, FIELD(struct promcfg_rw, remote_timeout_ms), NULL},
    {"headers", K_FN, 0, rw_headers},
    {"basic_auth", K_FN, 0, rw_basic_auth},
    {"queue_config", K_FN, 0, rw_queue},
    {"write_relabel_configs", K_FN, 0, rw_relabel},
    {"send_exemplars", K_IGNORE, 0, NULL},
    {"metadata_config", K_IGNORE, 0, NULL},
    {"authorization", K_UNSUPPORTED, 0, NULL},
    {"oauth2", K_UNSUPPORTED, 0, NULL},
    {"sigv4", K_UNSUPPORTED, 0, NULL},
    {"tls_config", K_UNSUPPORTED, 0, NULL},
    {"proxy_url", K_UNSUPPORTED, 0, NULL},
};

static int decode_rw(struct ctx *x, const struct ynode *v, struct promcfg_rw *rw, size_t idx)
{
    rw->remote_timeout_ms = 30 * 1000;
    rw->capacity = 2500;
    rw->max_shards = 200;
    rw->min_shards = 1;
    rw->max_samples_per_send = 500;
    rw->batch_send_deadline_ms = 5000;
    rw->min_backoff_ms = 30;
    rw->max_backoff_ms = 5000;
    rw->retry_on_429 = 1;
    rw->url = "";
    if (decode_map(x, v, rw_keys, NKEYS(rw_keys), rw, "a remote_write config") < 0)
        return -1;
    if (!*rw->url) {
        diag_error(x->d, &v->loc, "url for remote_write is empty");
        return -1;
    }
    if (strncmp(rw->url, "http://", 7) != 0 && strncmp(rw->url, "https://", 8) != 0) {
        diag_error(x->d, &ydoc_get(v, "url")->loc, "remote_write url \"%s\" is not http(s)",
                   rw->url);
        return -1;
    }
    if (rw->password && rw->password_file) {
        diag_error(x->d, &ydoc_get(v, "basic_auth")->loc,
                   "at most one of basic_auth password & password_file must be configured");
        return -1;
    }
    if (rw->max_samples_per_send == 0 || rw->capacity == 0) {
        diag_error(x->d, &v->loc, "queue_config capacity and max_samples_per_send must be > 0");
        return -1;
    }
    if (!rw->name || !*rw->name)
        rw->name = arena_printf(
            x->a, "%06llx", (unsigned long long)(idx * 0x9e3779b1u + strlen(rw->url)) & 0xffffff);
    return 0;
}

/* ---- global and top level ---- */

static int gl_external(struct ctx *x, const struct ynode *v, void *obj)
{
    return decode_labels(x, v, &x->c->external_labels);
}

static const struct ckey global_keys[] = {
    {"scrape_interval", K_DUR, FIELD(struct promcfg, scrape_interval_ms), NULL},
    {"scrape_timeout", K_DUR, FIELD(struct promcfg, scrape_timeout_ms), NULL},
    {"evaluation_interval", K_DUR, FIELD(struct promcfg, evaluation_interval_ms), NULL},
    {"external_labels", K_FN, 0, gl_external},
    {"query_log_file", K_UNSUPPORTED, 0, NULL},
};

static int top_global(struct ctx *x, const struct ynode *v, void *obj)
{
    struct promcfg *c = obj;
    const struct ynode *t = ydoc_get(v, "scrape_timeout");

    c->scrape_timeout_ms = -1;
    if (decode_map(x, v, global_keys, NKEYS(global_keys), c, "global") < 0)
        return -1;
    if (c->scrape_timeout_ms < 0) {
        c->scrape_timeout_ms = 10 * 1000;
        if (c->scrape_timeout_ms > c->scrape_interval_ms)
            c->scrape_timeout_ms = c->scrape_interval_ms;
    } else if (c->scrape_timeout_ms > c->scrape_interval_ms) {
        diag_error(x->d, &t->loc, "global scrape timeout greater than scrape interval");
        return -1;
    }
    return 0;
}

static int top_scrape_configs(struct ctx *x, const struct ynode *v, void *obj)
{
    struct promcfg *c = obj;
    int rc = 0;

    if (want(x, v, YNODE_SEQ, "scrape_configs") < 0)
        return -1;
    if (ydoc_is_null(v))
        return 0;
    c->jobs = arena_alloc(x->a, (v->n + 1) * sizeof(*c->jobs));
    for (size_t i = 0; i < v->n; i++) {
        struct promcfg_job *j = &c->jobs[i];
        if (ydoc_is_null(v->vals[i])) {
            diag_error(x->d, &v->vals[i]->loc, "empty or null scrape config section");
            rc = -1;
            continue;
        }
        c->njobs = i + 1;
        if (decode_job(x, v->vals[i], j) < 0) {
            rc = -1;
            continue;
        }
        for (size_t k = 0; k < i; k++) {
            if (c->jobs[k].job_name && !strcmp(c->jobs[k].job_name, j->job_name)) {
                diag_error(x->d, &ydoc_get(v->vals[i], "job_name")->loc,
                           "found multiple scrape configs with job name \"%s\"", j->job_name);
                rc = -1;
            }
        }
    }
    return rc;
}

static int top_remote_write(struct ctx *x, const struct ynode *v, void *obj)
{
    struct promcfg *c = obj;
    int rc = 0;

    if (want(x, v, YNODE_SEQ, "remote_write") < 0)
        return -1;
    if (ydoc_is_null(v))
        return 0;
    c->rws = arena_alloc(x->a, (v->n + 1) * sizeof(*c->rws));
    for (size_t i = 0; i < v->n; i++) {
        c->nrws = i + 1;
        if (decode_rw(x, v->vals[i], &c->rws[i], i) < 0) {
            rc = -1;
            continue;
        }
        for (size_t k = 0; k < i; k++) {
            if (!strcmp(c->rws[k].name, c->rws[i].name)) {
                diag_error(x->d, &v->vals[i]->loc,
                           "found multiple remote write configs with job name \"%s\"",
                           c->rws[i].name);
                rc = -1;
            }
        }
    }
    return rc;
}

static const struct ckey top_keys[] = {
    {"global", K_FN, 0, top_global},
    {"scrape_configs", K_FN, 0, top_scrape_configs},
    {"remote_write", K_FN, 0, top_remote_write},
    {"rule_files", K_UNSUPPORTED, 0, NULL},
    {"alerting", K_UNSUPPORTED, 0, NULL},
    {"remote_read", K_UNSUPPORTED, 0, NULL},
    {"storage", K_UNSUPPORTED, 0, NULL},
    {"tracing", K_UNSUPPORTED, 0, NULL},
};

void promcfg_init(struct promcfg *c)
{
    memset(c, 0, sizeof(*c));
    ydoc_init(&c->doc);
}

void promcfg_release(struct promcfg *c)
{
    for (size_t i = 0; i < c->njobs; i++) {
        for (size_t k = 0; k < c->jobs[i].nrelabel; k++)
            relabel_rule_release(&c->jobs[i].relabel[k]);
        for (size_t k = 0; k < c->jobs[i].nmetric_relabel; k++)
            relabel_rule_release(&c->jobs[i].metric_relabel[k]);
    }
    for (size_t i = 0; i < c->nrws; i++)
        for (size_t k = 0; k < c->rws[i].nrelabel; k++)
            relabel_rule_release(&c->rws[i].relabel[k]);
    ydoc_release(&c->doc);
    memset(c, 0, sizeof(*c));
}

static int load(struct promcfg *c, const char *name, struct diag *d)
{
    struct ctx x = {c, &c->doc.arena, d};
    const struct ynode *root = c->doc.root;
    const struct ynode *g = ydoc_get(root, "global");
    const char *slash = strrchr(name, '/');

    c->file = arena_strdup(&c->doc.arena, name);
    c->dir = slash ? arena_strndup(&c->doc.arena, name, (size_t)(slash - name)) : ".";
    c->scrape_interval_ms = 60 * 1000;
    c->scrape_timeout_ms = 10 * 1000;
    c->evaluation_interval_ms = 60 * 1000;
    if (!root)
        return 0;
    /* global first: scrape configs take their defaults from it. */
    if (g && top_global(&x, g, c) < 0)
        return -1;
    for (size_t i = 0; i < root->n && root->kind == YNODE_MAP; i++) {
        if (!strcmp(root->keys[i]->str, "global"))
            continue;
        struct ynode one = *root;
        one.keys = &root->keys[i];
        one.vals = &root->vals[i];
        one.n = 1;
        decode_map(&x, &one, top_keys, NKEYS(top_keys), c, "the top level");
    }
    if (root->kind != YNODE_MAP)
        diag_error(d, &root->loc, "a Prometheus configuration must be a map, not %s",
                   ydoc_kind_name(root));
    return diag_has_errors(d) ? -1 : 0;
}

int promcfg_load_buf(struct promcfg *c, const char *name, const char *text, size_t len,
                     struct diag *d)
{
    if (ydoc_load_buf(&c->doc, name, text, len, d) < 0)
        return -1;
    return load(c, name, d);
}

int promcfg_load_file(struct promcfg *c, const char *path, struct diag *d)
{
    if (ydoc_load_file(&c->doc, path, d) < 0)
        return -1;
    return load(c, path, d);
}

const struct promcfg_job *promcfg_job(const struct promcfg *c, const char *name)
{
    for (size_t i = 0; i < c->njobs; i++)
        if (c->jobs[i].job_name && !strcmp(c->jobs[i].job_name, name))
            return &c->jobs[i];
    return NULL;
}
