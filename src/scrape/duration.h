/*
 * duration: Prometheus's model.Duration, the way every duration in a
 * Prometheus configuration file is written: units y, w, d, h, m, s, ms, each
 * at most once and in that order ("1h30m", "15s", "500ms"), or "0".
 * A year is 365 days. Values are milliseconds.
 */
#ifndef CAIRN_DURATION_H
#define CAIRN_DURATION_H

#include <stddef.h>
#include <stdint.h>

/* 0, or -1 when s is not a valid duration string. */
int duration_parse(const char *s, int64_t *ms);
/* As model.Duration.String(): "1m30s", "0s". Writes at most size bytes (NUL included). */
void duration_format(int64_t ms, char *buf, size_t size);
/* Go's strconv.FormatFloat(seconds, 'f', -1, 64) of a millisecond count: "10", "0.5". */
void duration_format_seconds(int64_t ms, char *buf, size_t size);

#endif
