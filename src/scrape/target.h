/*
 * target: from a discovered label set to a scrape target, as Prometheus
 * 2.42's scrape.PopulateLabels: job, __scrape_interval__, __scrape_timeout__,
 * __metrics_path__, __scheme__ added when absent, __param_<name> from the
 * job's params, relabel_configs applied, a default port for an address
 * without one (80 for http, 443 for https), the intervals checked, __meta_*
 * removed and instance defaulting to __address__. The labels a target gives
 * its samples are the result without the "__" labels.
 */
#ifndef CAIRN_TARGET_H
#define CAIRN_TARGET_H

#include <stdint.h>

#include "core/arena.h"
#include "metrics/labels.h"
#include "scrape/promcfg.h"

enum target_result { TARGET_OK, TARGET_DROPPED, TARGET_ERROR };

struct target_info {
    struct labels discovered; /* before relabeling, defaults added (the API's discoveredLabels) */
    struct labels all;        /* every label after population, "__" ones included */
    struct labels public;     /* the labels samples get: no "__" prefix */
    const char *url;
    int64_t interval_ms, timeout_ms;
};

/*
 * Populate discovered (sorted) for job. Everything in *out lives in a. On
 * TARGET_ERROR, *err says why (Prometheus's message), also in a. out->discovered
 * is set for TARGET_DROPPED too (Prometheus lists dropped targets by it).
 */
enum target_result target_populate(const struct labels *discovered, const struct promcfg_job *job,
                                   struct arena *a, struct target_info *out, const char **err);

/*
 * Milliseconds from now_ms to the target's first scrape: Prometheus's
 * Target.offset, a fixed phase within the interval derived from the
 * target's hash, so scrapes of many targets spread out and stay put.
 */
int64_t target_offset(uint64_t target_hash, int64_t interval_ms, int64_t now_ms);

#endif
