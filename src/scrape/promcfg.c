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
#include "scrape/cfgkeys.h"
#include "core/suggest.h"
#include "core/xmalloc.h"
#include "scrape/duration.h"

/* ---- service discovery ---- */

static int sc_static(struct cfgkeys_ctx *x, const struct ynode *v, void *obj);
static int sc_dns(struct cfgkeys_ctx *x, const struct ynode *v, void *obj);
static int sc_file(struct cfgkeys_ctx *x, const struct ynode *v, void *obj);

static int st_targets(struct cfgkeys_ctx *x, const struct ynode *v, void *obj)
{
    struct promcfg_static *s = obj;
    return cfgkeys_strlist(x, v, &s->targets, &s->ntargets, "targets");
}

static int st_labels(struct cfgkeys_ctx *x, const struct ynode *v, void *obj)
{
    return cfgkeys_labels(x, v, &((struct promcfg_static *)obj)->labels);
}

static const struct cfgkeys_key static_keys[] = {
    {"targets", CFGKEYS_FN, 0, st_targets},
    {"labels", CFGKEYS_FN, 0, st_labels},
};

static int dns_names(struct cfgkeys_ctx *x, const struct ynode *v, void *obj)
{
    struct promcfg_dns *s = obj;
    return cfgkeys_strlist(x, v, &s->names, &s->nnames, "names");
}

static const struct cfgkeys_key dns_keys[] = {
    {"names", CFGKEYS_FN, 0, dns_names},
    {"type", CFGKEYS_STR, CFGKEYS_FIELD(struct promcfg_dns, type), NULL},
    {"port", CFGKEYS_IGNORE, 0, NULL}, /* decoded by hand below: it is 16 bits */
    {"refresh_interval", CFGKEYS_DUR, CFGKEYS_FIELD(struct promcfg_dns, refresh_ms), NULL},
};

static int file_files(struct cfgkeys_ctx *x, const struct ynode *v, void *obj)
{
    struct promcfg_file *s = obj;
    return cfgkeys_strlist(x, v, &s->files, &s->nfiles, "files");
}

static const struct cfgkeys_key file_keys[] = {
    {"files", CFGKEYS_FN, 0, file_files},
    {"refresh_interval", CFGKEYS_DUR, CFGKEYS_FIELD(struct promcfg_file, refresh_ms), NULL},
};

#define NKEYS(t) CFGKEYS_N(t)

static int sc_static(struct cfgkeys_ctx *x, const struct ynode *v, void *obj)
{
    struct promcfg_job *j = obj;
    int rc = 0;

    if (cfgkeys_want(x, v, YNODE_SEQ, "static_configs") < 0)
        return -1;
    if (ydoc_is_null(v))
        return 0;
    j->statics = arena_alloc(x->a, (v->n + 1) * sizeof(*j->statics));
    j->nstatics = v->n;
    for (size_t i = 0; i < v->n; i++) {
        j->statics[i].loc = v->vals[i]->loc;
        if (cfgkeys_map(x, v->vals[i], static_keys, NKEYS(static_keys), &j->statics[i],
                        "a static config") < 0)
            rc = -1;
    }
    return rc;
}

static int sc_dns(struct cfgkeys_ctx *x, const struct ynode *v, void *obj)
{
    struct promcfg_job *j = obj;
    int rc = 0;

    if (cfgkeys_want(x, v, YNODE_SEQ, "dns_sd_configs") < 0)
        return -1;
    if (ydoc_is_null(v))
        return 0;
    j->dns = arena_alloc(x->a, (v->n + 1) * sizeof(*j->dns));
    j->ndns = v->n;
    for (size_t i = 0; i < v->n; i++) {
        struct promcfg_dns *s = &j->dns[i];
        const struct ynode *port = ydoc_get(v->vals[i], "port");
        uint64_t p = 0;
        struct cfgkeys_key pk = {"port", CFGKEYS_UINT, 0, NULL};

        s->type = "SRV";
        s->refresh_ms = 30 * 1000;
        if (cfgkeys_map(x, v->vals[i], dns_keys, NKEYS(dns_keys), s, "a DNS-SD config") < 0) {
            rc = -1;
            continue;
        }
        if (port && cfgkeys_scalar(x, port, port, &pk, &p) < 0) {
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

static int sc_file(struct cfgkeys_ctx *x, const struct ynode *v, void *obj)
{
    struct promcfg_job *j = obj;
    int rc = 0;

    if (cfgkeys_want(x, v, YNODE_SEQ, "file_sd_configs") < 0)
        return -1;
    if (ydoc_is_null(v))
        return 0;
    j->files = arena_alloc(x->a, (v->n + 1) * sizeof(*j->files));
    j->nfiles = v->n;
    for (size_t i = 0; i < v->n; i++) {
        struct promcfg_file *s = &j->files[i];
        s->refresh_ms = 5 * 60 * 1000;
        if (cfgkeys_map(x, v->vals[i], file_keys, NKEYS(file_keys), s, "a file SD config") < 0) {
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

static int sc_params(struct cfgkeys_ctx *x, const struct ynode *v, void *obj)
{
    struct promcfg_job *j = obj;
    int rc = 0;

    if (cfgkeys_want(x, v, YNODE_MAP, "params") < 0)
        return -1;
    if (ydoc_is_null(v))
        return 0;
    j->params = arena_alloc(x->a, (v->n + 1) * sizeof(*j->params));
    j->nparams = v->n;
    for (size_t i = 0; i < v->n; i++) {
        struct promcfg_param *p = &j->params[i];
        p->name = v->keys[i]->str;
        if (cfgkeys_strlist(x, v->vals[i], &p->values, &p->nvalues, "a parameter's values") < 0)
            rc = -1;
        p->value = p->nvalues ? p->values[0] : NULL;
    }
    return rc;
}

static int sc_relabel(struct cfgkeys_ctx *x, const struct ynode *v, void *obj)
{
    struct promcfg_job *j = obj;
    return cfgkeys_relabels(x, v, &j->relabel, &j->nrelabel, "relabel_configs");
}

static int sc_metric_relabel(struct cfgkeys_ctx *x, const struct ynode *v, void *obj)
{
    struct promcfg_job *j = obj;
    return cfgkeys_relabels(x, v, &j->metric_relabel, &j->nmetric_relabel,
                            "metric_relabel_configs");
}

static const struct cfgkeys_key job_keys[] = {
    {"job_name", CFGKEYS_STR, CFGKEYS_FIELD(struct promcfg_job, job_name), NULL},
    {"scrape_interval", CFGKEYS_DUR, CFGKEYS_FIELD(struct promcfg_job, interval_ms), NULL},
    {"scrape_timeout", CFGKEYS_DUR, CFGKEYS_FIELD(struct promcfg_job, timeout_ms), NULL},
    {"metrics_path", CFGKEYS_STR, CFGKEYS_FIELD(struct promcfg_job, metrics_path), NULL},
    {"scheme", CFGKEYS_STR, CFGKEYS_FIELD(struct promcfg_job, scheme), NULL},
    {"params", CFGKEYS_FN, 0, sc_params},
    {"honor_labels", CFGKEYS_BOOL, CFGKEYS_FIELD(struct promcfg_job, honor_labels), NULL},
    {"honor_timestamps", CFGKEYS_BOOL, CFGKEYS_FIELD(struct promcfg_job, honor_timestamps), NULL},
    {"body_size_limit", CFGKEYS_SIZE, CFGKEYS_FIELD(struct promcfg_job, body_size_limit), NULL},
    {"sample_limit", CFGKEYS_UINT, CFGKEYS_FIELD(struct promcfg_job, sample_limit), NULL},
    {"static_configs", CFGKEYS_FN, 0, sc_static},
    {"dns_sd_configs", CFGKEYS_FN, 0, sc_dns},
    {"file_sd_configs", CFGKEYS_FN, 0, sc_file},
    {"relabel_configs", CFGKEYS_FN, 0, sc_relabel},
    {"metric_relabel_configs", CFGKEYS_FN, 0, sc_metric_relabel},
    /* Prometheus knows these; cairn-scrape does not implement them yet. */
    {"basic_auth", CFGKEYS_UNSUPPORTED, 0, NULL},
    {"authorization", CFGKEYS_UNSUPPORTED, 0, NULL},
    {"oauth2", CFGKEYS_UNSUPPORTED, 0, NULL},
    {"bearer_token", CFGKEYS_UNSUPPORTED, 0, NULL},
    {"bearer_token_file", CFGKEYS_UNSUPPORTED, 0, NULL},
    {"tls_config", CFGKEYS_UNSUPPORTED, 0, NULL},
    {"proxy_url", CFGKEYS_UNSUPPORTED, 0, NULL},
    {"follow_redirects", CFGKEYS_UNSUPPORTED, 0, NULL},
    {"enable_http2", CFGKEYS_UNSUPPORTED, 0, NULL},
    {"target_limit", CFGKEYS_UNSUPPORTED, 0, NULL},
    {"label_limit", CFGKEYS_UNSUPPORTED, 0, NULL},
    {"label_name_length_limit", CFGKEYS_UNSUPPORTED, 0, NULL},
    {"label_value_length_limit", CFGKEYS_UNSUPPORTED, 0, NULL},
    {"kubernetes_sd_configs", CFGKEYS_UNSUPPORTED, 0, NULL},
    {"consul_sd_configs", CFGKEYS_UNSUPPORTED, 0, NULL},
    {"ec2_sd_configs", CFGKEYS_UNSUPPORTED, 0, NULL},
    {"http_sd_configs", CFGKEYS_UNSUPPORTED, 0, NULL},
};

/* Prometheus's checkStaticTargets: without relabeling, a target is host:port, not a URL. */
static int check_static_targets(struct cfgkeys_ctx *x, const struct ynode *jn,
                                struct promcfg_job *j)
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

static int decode_job(struct cfgkeys_ctx *x, const struct ynode *v, struct promcfg_job *j)
{
    int rc;

    j->loc = v->loc;
    j->interval_ms = j->timeout_ms = -1;
    j->metrics_path = "/metrics";
    j->scheme = "http";
    j->honor_timestamps = 1;
    j->job_name = "";
    rc = cfgkeys_map(x, v, job_keys, NKEYS(job_keys), j, "a scrape config");
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

static int rw_headers(struct cfgkeys_ctx *x, const struct ynode *v, void *obj)
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

    if (cfgkeys_want(x, v, YNODE_MAP, "headers") < 0)
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
        if (cfgkeys_want_scalar(x, v->vals[i], name) < 0)
            return -1;
        rw->headers[rw->nheaders++] = (struct promcfg_header){name, v->vals[i]->str};
    }
    return 0;
}

static const struct cfgkeys_key basic_auth_keys[] = {
    {"username", CFGKEYS_STR, CFGKEYS_FIELD(struct promcfg_rw, username), NULL},
    {"password", CFGKEYS_STR, CFGKEYS_FIELD(struct promcfg_rw, password), NULL},
    {"password_file", CFGKEYS_STR, CFGKEYS_FIELD(struct promcfg_rw, password_file), NULL},
};

static int rw_basic_auth(struct cfgkeys_ctx *x, const struct ynode *v, void *obj)
{
    return cfgkeys_map(x, v, basic_auth_keys, NKEYS(basic_auth_keys), obj, "basic_auth");
}

static const struct cfgkeys_key queue_keys[] = {
    {"capacity", CFGKEYS_UINT, CFGKEYS_FIELD(struct promcfg_rw, capacity), NULL},
    {"max_shards", CFGKEYS_UINT, CFGKEYS_FIELD(struct promcfg_rw, max_shards), NULL},
    {"min_shards", CFGKEYS_UINT, CFGKEYS_FIELD(struct promcfg_rw, min_shards), NULL},
    {"max_samples_per_send", CFGKEYS_UINT, CFGKEYS_FIELD(struct promcfg_rw, max_samples_per_send),
     NULL},
    {"batch_send_deadline", CFGKEYS_DUR, CFGKEYS_FIELD(struct promcfg_rw, batch_send_deadline_ms),
     NULL},
    {"min_backoff", CFGKEYS_DUR, CFGKEYS_FIELD(struct promcfg_rw, min_backoff_ms), NULL},
    {"max_backoff", CFGKEYS_DUR, CFGKEYS_FIELD(struct promcfg_rw, max_backoff_ms), NULL},
    {"retry_on_http_429", CFGKEYS_BOOL, CFGKEYS_FIELD(struct promcfg_rw, retry_on_429), NULL},
};

static int rw_queue(struct cfgkeys_ctx *x, const struct ynode *v, void *obj)
{
    return cfgkeys_map(x, v, queue_keys, NKEYS(queue_keys), obj, "queue_config");
}

static int rw_relabel(struct cfgkeys_ctx *x, const struct ynode *v, void *obj)
{
    struct promcfg_rw *rw = obj;
    return cfgkeys_relabels(x, v, &rw->relabel, &rw->nrelabel, "write_relabel_configs");
}

static const struct cfgkeys_key rw_keys[] = {
    {"url", CFGKEYS_STR, CFGKEYS_FIELD(struct promcfg_rw, url), NULL},
    {"name", CFGKEYS_STR, CFGKEYS_FIELD(struct promcfg_rw, name), NULL},
    {"remote_timeout", CFGKEYS_DUR, CFGKEYS_FIELD(struct promcfg_rw, remote_timeout_ms), NULL},
    {"headers", CFGKEYS_FN, 0, rw_headers},
    {"basic_auth", CFGKEYS_FN, 0, rw_basic_auth},
    {"queue_config", CFGKEYS_FN, 0, rw_queue},
    {"write_relabel_configs", CFGKEYS_FN, 0, rw_relabel},
    {"send_exemplars", CFGKEYS_IGNORE, 0, NULL},
    {"metadata_config", CFGKEYS_IGNORE, 0, NULL},
    {"authorization", CFGKEYS_UNSUPPORTED, 0, NULL},
    {"oauth2", CFGKEYS_UNSUPPORTED, 0, NULL},
    {"sigv4", CFGKEYS_UNSUPPORTED, 0, NULL},
    {"tls_config", CFGKEYS_UNSUPPORTED, 0, NULL},
    {"proxy_url", CFGKEYS_UNSUPPORTED, 0, NULL},
};

static int decode_rw(struct cfgkeys_ctx *x, const struct ynode *v, struct promcfg_rw *rw,
                     size_t idx)
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
    if (cfgkeys_map(x, v, rw_keys, NKEYS(rw_keys), rw, "a remote_write config") < 0)
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

static int gl_external(struct cfgkeys_ctx *x, const struct ynode *v, void *obj)
{
    return cfgkeys_labels(x, v, &x->c->external_labels);
}

static const struct cfgkeys_key global_keys[] = {
    {"scrape_interval", CFGKEYS_DUR, CFGKEYS_FIELD(struct promcfg, scrape_interval_ms), NULL},
    {"scrape_timeout", CFGKEYS_DUR, CFGKEYS_FIELD(struct promcfg, scrape_timeout_ms), NULL},
    {"evaluation_interval", CFGKEYS_DUR, CFGKEYS_FIELD(struct promcfg, evaluation_interval_ms),
     NULL},
    {"external_labels", CFGKEYS_FN, 0, gl_external},
    {"query_log_file", CFGKEYS_UNSUPPORTED, 0, NULL},
};

static int top_global(struct cfgkeys_ctx *x, const struct ynode *v, void *obj)
{
    struct promcfg *c = obj;
    const struct ynode *t = ydoc_get(v, "scrape_timeout");

    c->scrape_timeout_ms = -1;
    if (cfgkeys_map(x, v, global_keys, NKEYS(global_keys), c, "global") < 0)
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

static int top_scrape_configs(struct cfgkeys_ctx *x, const struct ynode *v, void *obj)
{
    struct promcfg *c = obj;
    int rc = 0;

    if (cfgkeys_want(x, v, YNODE_SEQ, "scrape_configs") < 0)
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

static int top_remote_write(struct cfgkeys_ctx *x, const struct ynode *v, void *obj)
{
    struct promcfg *c = obj;
    int rc = 0;

    if (cfgkeys_want(x, v, YNODE_SEQ, "remote_write") < 0)
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

static const struct cfgkeys_key top_keys[] = {
    {"global", CFGKEYS_FN, 0, top_global},
    {"scrape_configs", CFGKEYS_FN, 0, top_scrape_configs},
    {"remote_write", CFGKEYS_FN, 0, top_remote_write},
    {"rule_files", CFGKEYS_UNSUPPORTED, 0, NULL},
    {"alerting", CFGKEYS_UNSUPPORTED, 0, NULL},
    {"remote_read", CFGKEYS_UNSUPPORTED, 0, NULL},
    {"storage", CFGKEYS_UNSUPPORTED, 0, NULL},
    {"tracing", CFGKEYS_UNSUPPORTED, 0, NULL},
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
    struct cfgkeys_ctx x = {c, &c->doc.arena, d};
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
        cfgkeys_map(&x, &one, top_keys, NKEYS(top_keys), c, "the top level");
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
