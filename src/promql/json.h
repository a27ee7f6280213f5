/*
 * The JSON of Prometheus 2.42's HTTP API answers, byte for byte as its jsoniter encoders write
 * them (web/api/v1/api.go: marshalPointJSON, jsonutil.MarshalTimestamp, MarshalValue), into a
 * string builder.
 */
#ifndef CAIRN_PROMQL_JSON_H
#define CAIRN_PROMQL_JSON_H

#include <stdint.h>

#include "core/strbuf.h"
#include "promql/engine.h"

/* Go's encoding/json string (HTML-escaped, as jsoniter's standard config). */
void promql_json_string(struct strbuf *sb, const char *s);
/* A sample value as Prometheus's JSON writes it: "1", "0.5", "1e-07", "+Inf", "NaN". */
void promql_json_value(struct strbuf *sb, double v);
/* A timestamp in seconds with the milliseconds as three decimals when not zero. */
void promql_json_time(struct strbuf *sb, int64_t ms);
/* The result's "data" object; _open leaves it open, for "stats" after it. */
void promql_json_result(struct strbuf *sb, const struct pq_result *r);
void promql_json_result_open(struct strbuf *sb, const struct pq_result *r);
/* The "stats" object of data (timings and samples, as 2.42's BuiltinStats). */
void promql_json_stats(struct strbuf *sb, const struct pq_result *r);

#endif
