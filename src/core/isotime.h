/* ISO 8601 / RFC 3339 timestamps as AWS writes them ("2026-11-24T03:18:45Z",
 * "2026-11-24T03:18:45.123+00:00"). */
#ifndef CAIRN_ISOTIME_H
#define CAIRN_ISOTIME_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* 0 and *out set (whole seconds), or -1 when s is not such a timestamp. */
int isotime_parse(const char *s, time_t *out);

/* Go's time.RFC3339 as Prometheus's API reads it: 'T' and 'Z' upper case, an offset with its
 * colon, seconds up to 59, a fraction with at least one digit. */
#define ISOTIME_STRICT 1u
/* The same in milliseconds (the fraction's first three digits count): 0 and *ms set, or -1. */
int isotime_parse_ms(const char *s, unsigned flags, int64_t *ms);
/* "YYYY-MM-DDTHH:MM:SSZ" into buf (at least 21 bytes). */
void isotime_format(time_t t, char *buf, size_t n);

#endif
