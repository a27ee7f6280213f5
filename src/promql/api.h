/*
 * api: the PromQL endpoints of Prometheus 2.42's HTTP API as functions
 * independent of the HTTP server: /api/v1/query, /api/v1/query_range and
 * /api/v1/format_query. Each takes the request's form parameters (GET query
 * string or POST form body, already decoded; NULL when absent), writes the
 * JSON body exactly as Prometheus does (web/api/v1/api.go: the "status",
 * "data" and "errorType"/"error" envelope, resultType first, values as
 * strings formatted like Go's strconv, timestamps as seconds with up to
 * three decimals) and returns the HTTP status: 200, 400 (bad_data),
 * 422 (execution), 503 (timeout, canceled).
 */
#ifndef CAIRN_PROMQL_API_H
#define CAIRN_PROMQL_API_H

#include <stdint.h>

#include "core/strbuf.h"
#include "promql/engine.h"
#include "promql/querier.h"

struct promql_api_params {
    const char *query;
    const char *time;    /* query: RFC 3339 or Unix seconds; default now */
    const char *start;   /* query_range */
    const char *end;     /* query_range */
    const char *step;    /* query_range: duration ("15s") or seconds */
    const char *timeout; /* duration or seconds; bounded by opts' timeout */
    const char *stats;   /* non-empty: "stats" in the answer; "all": with per-step counts */
    int64_t now_ms;      /* the server's clock, for a missing time */
};

int promql_api_query(const struct querier *q, const struct pq_opts *o,
                     const struct promql_api_params *p, struct strbuf *out);
int promql_api_query_range(const struct querier *q, const struct pq_opts *o,
                           const struct promql_api_params *p, struct strbuf *out);
int promql_api_format_query(const struct promql_api_params *p, struct strbuf *out);
/*
 * /api/v1/query_exemplars: cairn stores no exemplars, so a valid request
 * gets [] (204 and no body when the query has no selector), with 2.42's checks of
 * start, end and query.
 */
int promql_api_query_exemplars(const struct promql_api_params *p, struct strbuf *out);

/* Prometheus's parseTime and parseDuration (api.go): 0, or -1 when malformed. */
int promql_api_parse_time(const char *s, int64_t *ms);
int promql_api_parse_duration(const char *s, int64_t *ms);

#endif
