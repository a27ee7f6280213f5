/*
 * Prometheus durations (common/model ParseDuration and Duration.String).
 */
#include "scrape/duration.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *unit;
    int64_t ms;
} units[] = {
    {"y", 365LL * 24 * 3600 * 1000},
    {"w", 7LL * 24 * 3600 * 1000},
    {"d", 24LL * 3600 * 1000},
    {"h", 3600LL * 1000},
    {"m", 60LL * 1000},
    {"s", 1000},
    {"ms", 1},
};
#define NUNITS (sizeof(units) / sizeof(units[0]))

int duration_parse(const char *s, int64_t *ms)
{
    size_t next = 0; /* units before this index are no longer allowed */
    int64_t total = 0;
    const char *p = s;

    if (!s || !*s)
        return -1;
    if (strcmp(s, "0") == 0) {
        *ms = 0;
        return 0;
    }
    while (*p) {
        uint64_t n = 0;
        const char *start = p;
        size_t i, ulen;

        while (*p >= '0' && *p <= '9') {
            n = n * 10 + (uint64_t)(*p - '0');
            if (n > (uint64_t)INT64_MAX / 1000)
                return -1;
            p++;
        }
        if (p == start)
            return -1;
        /* The longest unit that matches here: "ms" before "m". */
        for (i = next; i < NUNITS; i++) {
            ulen = strlen(units[i].unit);
            if (strncmp(p, units[i].unit, ulen) == 0 && !(ulen == 1 && p[0] == 'm' && p[1] == 's'))
                break;
        }
        if (i == NUNITS)
            return -1;
        if ((uint64_t)INT64_MAX / (uint64_t)units[i].ms < n)
            return -1;
        total += (int64_t)n * units[i].ms;
        if (total < 0)
            return -1;
        p += strlen(units[i].unit);
        next = i + 1;
    }
    *ms = total;
    return 0;
}

void duration_format(int64_t ms, char *buf, size_t size)
{
    size_t len = 0, i;

    if (size == 0)
        return;
    buf[0] = 0;
    if (ms == 0) {
        snprintf(buf, size, "0s");
        return;
    }
    if (ms < 0)
        ms = -ms;
    for (i = 0; i < NUNITS; i++) {
        int64_t n = ms / units[i].ms;
        if (n == 0)
            continue;
        ms -= n * units[i].ms;
        if (len < size)
            len += (size_t)snprintf(buf + len, size - len, "%lld%s", (long long)n, units[i].unit);
    }
}

void duration_format_seconds(int64_t ms, char *buf, size_t size)
{
    int n = snprintf(buf, size, "%lld.%03lld", (long long)(ms / 1000), (long long)(ms % 1000));
    size_t len;

    if (n < 0 || (size_t)n >= size)
        return;
    len = (size_t)n;
    while (len > 0 && buf[len - 1] == '0')
        buf[--len] = 0;
    if (len > 0 && buf[len - 1] == '.')
        buf[--len] = 0;
}
