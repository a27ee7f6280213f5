/*
 * expo_write_demo: a fixed self-metrics page written by the registry and
 * expo_write, for the tests that hand it to a real Prometheus.
 *
 *   expo_write_demo [--openmetrics]
 *
 * The page: demo_requests_total{code="200",path="/\"q\" \\ é\n"} 3,
 * demo_requests_total{code="500",path="/"} 0.5, the gauges demo_small 1e-07,
 * demo_large 1234567.891, demo_negative -Inf, demo_seconds 0, and the
 * histogram demo_latency_seconds (bounds 0.1, 1, 10) after observing 0.05,
 * 0.5, 0.5, 5 and 50.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "metrics/registry.h"

int main(int argc, char **argv)
{
    enum expo_format f =
        argc > 1 && !strcmp(argv[1], "--openmetrics") ? EXPO_OPENMETRICS : EXPO_TEXT;
    struct registry *r = registry_new();
    const char *const ok[] = {"code", "200", "path", "/\"q\" \\ \xc3\xa9\n", NULL};
    const char *const bad[] = {"path", "/", "code", "500", NULL};
    const double bounds[] = {0.1, 1, 10};
    registry_add(
        registry_counter(r, "demo_requests_total", "Requests by \"code\".\nSecond line \\.", ok),
        3);
    registry_add(registry_counter(r, "demo_requests_total", NULL, bad), 0.5);
    registry_set(registry_gauge(r, "demo_small", "A small value.", NULL), 1e-7);
    registry_set(registry_gauge(r, "demo_large", "A large value.", NULL), 1234567.891);
    registry_set(registry_gauge(r, "demo_negative", "Minus infinity.", NULL), -INFINITY);
    registry_set(registry_gauge(r, "demo_seconds", "Zero.", NULL), 0);
    struct registry_metric *h =
        registry_histogram(r, "demo_latency_seconds", "Latency.", NULL, bounds, 3);
    const double obs[] = {0.05, 0.5, 0.5, 5, 50};
    for (size_t i = 0; i < sizeof(obs) / sizeof(obs[0]); i++)
        registry_observe(h, obs[i]);
    struct strbuf sb = STRBUF_INIT;
    int rc = registry_render(r, &sb, f);
    fwrite(sb.buf, 1, sb.len, stdout);
    strbuf_release(&sb);
    registry_free(r);
    return rc < 0;
}
