/*
 * sd: service discovery for every job of a configuration, on one thread:
 * static_configs (once), file_sd_configs (JSON or YAML files, globs in the
 * last path element; re-read when a file's mtime or size changes, polled
 * each second, and every refresh_interval) and dns_sd_configs (looked up every
 * refresh_interval). A provider that fails keeps its previous targets, as in
 * Prometheus.
 *
 * The output per job is a list of discovered label sets (a target's labels
 * over its group's labels, __address__ included), which the scrape engine
 * turns into targets with target_populate(). A job's generation grows when
 * its list changes, and the notify callback is called (from the discovery
 * thread) so the engine can wake up.
 */
#ifndef CAIRN_SD_H
#define CAIRN_SD_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "metrics/labels.h"
#include "scrape/promcfg.h"

struct sd_targets {
    struct arena arena;
    struct labels *sets;
    size_t n;
};

struct sd_manager;

struct sd_manager *sd_new(const struct promcfg *cfg, const char *dns_server,
                          void (*notify)(void *arg), void *arg);
/* Runs the first round of discovery synchronously, then starts the thread. */
int sd_start(struct sd_manager *m);
/* Stops the thread and frees everything. */
void sd_free(struct sd_manager *m);

/* The job's current targets when its generation differs from *gen (updated), else NULL. */
struct sd_targets *sd_take(struct sd_manager *m, size_t job, uint64_t *gen);
void sd_targets_free(struct sd_targets *t);

/* Counters for /metrics: prometheus_sd_dns_lookups_total and friends. */
struct sd_stats {
    uint64_t dns_lookups, dns_failures, file_reads, file_errors;
};
void sd_get_stats(struct sd_manager *m, struct sd_stats *out);

/*
 * Parse one file_sd file (JSON or YAML: a list of {targets, labels}) into
 * label sets in a, each with __meta_filepath. Returns 0, or -1 with the
 * located reason in d.
 */
int sd_read_file(const char *path, struct arena *a, struct labels **out, size_t *n, struct diag *d);

#endif
