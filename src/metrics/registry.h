/*
 * registry: a daemon's self-metrics (counters, gauges, histograms) that any
 * thread may update without a lock, rendered as text 0.0.4 or OpenMetrics by
 * expo_write for its /metrics.
 *
 * Metrics are registered once at start (registration takes the registry's
 * lock and is not meant for the hot path) and live as long as the registry.
 * Each metric has a name, help, and a fixed set of constant labels (for
 * example {code="200"}); the same name registered with other labels is
 * another series of the same family. Values are C11 atomics: a counter or
 * gauge is a double in a 64-bit atomic updated by compare-and-swap, a
 * histogram's buckets and count are atomic integers.
 */
#ifndef CAIRN_REGISTRY_H
#define CAIRN_REGISTRY_H

#include <stddef.h>

#include "core/strbuf.h"
#include "metrics/expo.h"

struct registry;
struct registry_metric;

struct registry *registry_new(void);
void registry_free(struct registry *r);

/*
 * Register a metric. labels is NULL or a NULL-terminated list of name, value
 * pairs: {"code", "200", NULL}. Returns the metric (the same one when name and
 * labels were registered before with the same type), or NULL when the name or
 * a label name is invalid or the name is already a family of another type.
 * Counter names end in _total, as Prometheus's do.
 */
struct registry_metric *registry_counter(struct registry *r, const char *name, const char *help,
                                         const char *const *labels);
struct registry_metric *registry_gauge(struct registry *r, const char *name, const char *help,
                                       const char *const *labels);
/* bounds: ascending upper bounds, without +Inf (added). */
struct registry_metric *registry_histogram(struct registry *r, const char *name, const char *help,
                                           const char *const *labels, const double *bounds,
                                           size_t nbounds);

/* Counters: v >= 0 (negative is ignored). */
void registry_add(struct registry_metric *m, double v);
void registry_inc(struct registry_metric *m);
/* Gauges. */
void registry_set(struct registry_metric *m, double v);
/* Histograms. */
void registry_observe(struct registry_metric *m, double v);
/* Current value of a counter or gauge (the count of a histogram). */
double registry_value(const struct registry_metric *m);

/* Render every family, sorted by name, in the format. Returns 0, or -1 when sb's cap was hit. */
int registry_render(struct registry *r, struct strbuf *sb, enum expo_format format);

#endif
