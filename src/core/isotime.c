#include "core/isotime.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int digits(const char **p, int n, int *out)
{
    int v = 0;

    for (int i = 0; i < n; i++, (*p)++) {
        if (!isdigit((unsigned char)**p))
            return -1;
        v = v * 10 + (**p - '0');
    }
    *out = v;
    return 0;
}

static int expect(const char **p, char c)
{
    if (**p != c)
        return -1;
    (*p)++;
    return 0;
}

int isotime_parse_ms(const char *s, unsigned flags, int64_t *ms)
{
    struct tm tm;
    int strict = flags & ISOTIME_STRICT;
    int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0, nfrac = 0;
    int64_t frac = 0, scale = 100;
    const char *p = s;

    if (!s || digits(&p, 4, &y) || expect(&p, '-') || digits(&p, 2, &mo) || expect(&p, '-') ||
        digits(&p, 2, &d) || (*p != 'T' && (strict || (*p != 't' && *p != ' '))))
        return -1;
    p++;
    if (digits(&p, 2, &h) || expect(&p, ':') || digits(&p, 2, &mi) || expect(&p, ':') ||
        digits(&p, 2, &sec))
        return -1;
    if (*p == '.') {
        for (p++; isdigit((unsigned char)*p); p++, nfrac++, scale /= 10)
            frac += nfrac < 3 ? (*p - '0') * scale : 0;
        if (strict && !nfrac)
            return -1;
    }
    if (*p == 'Z' || (!strict && *p == 'z')) {
        p++;
    } else if (*p == '+' || *p == '-') {
        sign = *p++ == '-' ? -1 : 1;
        if (digits(&p, 2, &oh) || (strict && *p != ':'))
            return -1;
        if (*p == ':')
            p++;
        if (digits(&p, 2, &om))
            return -1;
    } else {
        return -1;
    }
    if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > (strict ? 59 : 60))
        return -1;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    *ms = ((int64_t)timegm(&tm) - sign * (oh * 3600 + om * 60)) * 1000 + frac;
    return 0;
}

int isotime_parse(const char *s, time_t *out)
{
    int64_t ms;

    if (isotime_parse_ms(s, 0, &ms) < 0)
        return -1;
    /* Whole seconds: the fraction is dropped, as before the epoch too. */
    *out = (time_t)((ms - (ms % 1000 + 1000) % 1000) / 1000);
    return 0;
}

void isotime_format(time_t t, char *buf, size_t n)
{
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
