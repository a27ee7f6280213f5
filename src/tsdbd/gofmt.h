/*
 * gofmt: numbers and strings printed as Go prints them, so tool output and
 * API JSON match Prometheus byte for byte: %g of a float64 (shortest digits
 * that round-trip, exponent below 1e-4 and from 1e6... as fmt does),
 * Prometheus's API float strings ("NaN", "+Inf", strconv 'f' -1), and JSON
 * strings as encoding/json escapes them (<, >, & as \u003c..., invalid UTF-8
 * as \ufffd).
 */
#ifndef CAIRN_TSDBD_GOFMT_H
#define CAIRN_TSDBD_GOFMT_H

#include "core/strbuf.h"

/* fmt.Sprintf("%g", v). */
void gofmt_g(struct strbuf *sb, double v);
/* strconv.FormatFloat(v, 'f', -1, 64), with NaN/+Inf/-Inf (Prometheus's sample values). */
void gofmt_f(struct strbuf *sb, double v);
/* A JSON string with quotes. */
void gofmt_json_str(struct strbuf *sb, const char *s);

#endif
