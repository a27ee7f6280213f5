/*
 * promcfg: a Prometheus configuration file (prometheus.yml), the subset
 * cairn-scrape runs, with Prometheus 2.42's defaults and validations:
 *
 *   global: scrape_interval (1m), scrape_timeout (10s), evaluation_interval,
 *           external_labels
 *   scrape_configs[]: job_name, metrics_path (/metrics), scheme (http),
 *           params, scrape_interval, scrape_timeout, honor_labels,
 *           honor_timestamps (true), body_size_limit, sample_limit,
 *           static_configs, dns_sd_configs, file_sd_configs,
 *           relabel_configs, metric_relabel_configs
 *   remote_write[]: url, name, remote_timeout, headers, basic_auth,
 *           write_relabel_configs, queue_config
 *
 * Loaded with core/ydoc, so every error carries file:line:col; an unknown key
 * is an error with a did-you-mean, and a key Prometheus knows that cairn does
 * not implement says so. Reference: Prometheus's configuration documentation
 * ("Configuration" page, docs/configuration/configuration.md at v2.42).
 */
#ifndef CAIRN_PROMCFG_H
#define CAIRN_PROMCFG_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/diag.h"
#include "core/ydoc.h"
#include "metrics/labels.h"
#include "scrape/relabel.h"

struct promcfg_static {
    const char **targets;
    size_t ntargets;
    struct labels labels;
    struct srcloc loc;
};

enum promcfg_dns_type { PROMCFG_DNS_SRV, PROMCFG_DNS_A, PROMCFG_DNS_AAAA };

struct promcfg_dns {
    const char **names;
    size_t nnames;
    const char *type; /* as written; default "SRV" */
    enum promcfg_dns_type qtype;
    unsigned port;
    int64_t refresh_ms; /* default 30s */
};

struct promcfg_file {
    const char **files; /* resolved against the config file's folder */
    size_t nfiles;
    int64_t refresh_ms; /* default 5m */
};

struct promcfg_param {
    const char *name;
    const char *value; /* the first value, as Prometheus uses it for __param_<name> */
    const char **values;
    size_t nvalues;
};

struct promcfg_job {
    const char *job_name;
    struct srcloc loc;
    int64_t interval_ms, timeout_ms;
    const char *metrics_path, *scheme;
    struct promcfg_param *params;
    size_t nparams;
    int honor_labels, honor_timestamps;
    uint64_t body_size_limit, sample_limit;
    struct promcfg_static *statics;
    size_t nstatics;
    struct promcfg_dns *dns;
    size_t ndns;
    struct promcfg_file *files;
    size_t nfiles;
    struct relabel_rule *relabel, *metric_relabel;
    size_t nrelabel, nmetric_relabel;
};

struct promcfg_header {
    const char *name, *value;
};

struct promcfg_rw {
    const char *url, *name;
    int64_t remote_timeout_ms; /* 30s */
    struct promcfg_header *headers;
    size_t nheaders;
    const char *username, *password, *password_file; /* basic_auth; never logged */
    struct relabel_rule *relabel;
    size_t nrelabel;
    /* queue_config */
    uint64_t capacity;                                              /* 2500 */
    uint64_t max_shards;                                            /* 200 (cairn runs one) */
    uint64_t min_shards;                                            /* 1 */
    uint64_t max_samples_per_send;                                  /* 500 */
    int64_t batch_send_deadline_ms, min_backoff_ms, max_backoff_ms; /* 5s, 30ms, 5s */
    int retry_on_429; /* default on in cairn (Prometheus 2.42: off); see docs/scrape.md */
};

struct promcfg {
    struct ydoc doc; /* owns every string below, in doc.arena */
    const char *file, *dir;
    int64_t scrape_interval_ms, scrape_timeout_ms, evaluation_interval_ms;
    struct labels external_labels;
    struct promcfg_job *jobs;
    size_t njobs;
    struct promcfg_rw *rws;
    size_t nrws;
};

void promcfg_init(struct promcfg *c);
void promcfg_release(struct promcfg *c);
/* Load and validate path. Returns 0, or -1 with every error located in d. */
int promcfg_load_file(struct promcfg *c, const char *path, struct diag *d);
int promcfg_load_buf(struct promcfg *c, const char *name, const char *text, size_t len,
                     struct diag *d);
/* The job named name, or NULL. */
const struct promcfg_job *promcfg_job(const struct promcfg *c, const char *name);

#endif
