/*
 * expo_int: what the exposition parsers (expo.c, expo_text.c, expo_om.c,
 * expo_omcheck.c) share and nobody else uses.
 */
#ifndef CAIRN_EXPO_INT_H
#define CAIRN_EXPO_INT_H

#include <stddef.h>

#include "metrics/expo.h"

/* Record the error at byte `at` of the current line; returns EXPO_ERROR. */
enum expo_entry expo_fail(struct expo_parser *p, const char *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Scratch: append a string (NUL added), return its offset. */
size_t expo_put(struct expo_parser *p, const char *s, size_t n);
/* Append one byte to the string being built (expo_put with n = 0 starts one). */
void expo_putc(struct expo_parser *p, char c);
/* The string at an offset of the scratch. */
static inline const char *expo_str(const struct expo_parser *p, size_t off)
{
    return p->scratch + off;
}

/* End of a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*) or label name ([a-zA-Z_][a-zA-Z0-9_]*) at s. */
const char *expo_scan_name(const char *s, const char *end, int metric);
/*
 * A quoted label value at s (s points at the opening quote): unescape \\, \"
 * and \n into the scratch, keep other escapes as written. newline_ok: a raw
 * newline may occur (text format). Returns the position after the closing
 * quote and *off, or NULL when the quote is not closed.
 */
const char *expo_scan_lvalue(struct expo_parser *p, const char *s, int newline_ok, size_t *off);
/* Go's strconv.ParseFloat as Prometheus calls it (no hex, no '_'): 0, or -1. */
int expo_parse_float(const char *s, size_t n, double *v);
int expo_utf8_valid(const char *s, size_t n);
/* Number of code points of valid UTF-8. */
size_t expo_utf8_len(const char *s, size_t n);
/* Push a label pair; exemplar selects the exemplar's list. */
void expo_push_pair(struct expo_parser *p, int exemplar, size_t name, size_t value);
/* Build p->labels (and p->ex.labels) from the pairs; -1 and an error on a duplicate name. */
int expo_build_labels(struct expo_parser *p, const char *at);

enum expo_entry expo_text_next(struct expo_parser *p);
/* Lazy mode: parse the current sample's pending labels (expo_series_labels). */
int expo_text_series_labels(struct expo_parser *p);
enum expo_entry expo_om_next(struct expo_parser *p);

/* Strict OpenMetrics (expo_omcheck.c): each returns 0, or -1 after expo_fail. */
int expo_omcheck_meta(struct expo_parser *p, enum expo_entry kind, const char *at);
int expo_omcheck_sample(struct expo_parser *p, const char *at);
int expo_omcheck_eof(struct expo_parser *p, const char *at);
void expo_omcheck_free(struct expo_parser *p);
/* Remember a TYPE line's family for expo_type() of the samples that follow. */
void expo_note_type(struct expo_parser *p);
/* Set p->type and p->created for the current sample from the last TYPE. */
void expo_classify(struct expo_parser *p);

#endif
