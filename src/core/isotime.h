/* ISO 8601 / RFC 3339 timestamps as AWS writes them ("2026-11-24T03:18:45Z",
 * "2026-11-24T03:18:45.123+00:00"). */
#ifndef CAIRN_ISOTIME_H
#define CAIRN_ISOTIME_H

#include <stddef.h>
#include <time.h>

/* 0 and *out set, or -1 when s is not such a timestamp. */
int isotime_parse(const char *s, time_t *out);
/* "YYYY-MM-DDTHH:MM:SSZ" into buf (at least 21 bytes). */
void isotime_format(time_t t, char *buf, size_t n);

#endif
