/*
 * literal: PromQL's literals as Prometheus 2.42 reads them: durations (model.ParseDuration:
 * units largest first, each at most once), numbers (strconv.ParseFloat, and hexadecimal
 * integers), and strings (strconv.Unquote: Go's escapes, raw strings in backquotes).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/hex.h"
#include "core/strbuf.h"
#include "promql/ast.h"

/* Go's model.Duration units, largest first: both the parser and the printer walk them. */
const struct pq_duration_unit pq_duration_units[PQ_DURATION_UNITS] = {
    {"y", 365LL * 86400000}, {"w", 7LL * 86400000}, {"d", 86400000LL}, {"h", 3600000LL},
    {"m", 60000LL},          {"s", 1000LL},         {"ms", 1LL}};

int pq_parse_duration(const char *s, size_t n, int64_t *ms)
{
    size_t i = 0, last = 0;
    int64_t total = 0;
    if (n == 0)
        return -1;
    while (i < n) {
        size_t d = i;
        int64_t v = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            if (v > INT64_MAX / 10)
                return -1;
            v = v * 10 + (s[i] - '0');
            i++;
        }
        if (i == d)
            return -1;
        size_t u = i;
        while (i < n && s[i] >= 'a' && s[i] <= 'z' && !(s[i] >= '0' && s[i] <= '9'))
            i++;
        size_t k;
        for (k = 0; k < PQ_DURATION_UNITS; k++)
            if (strlen(pq_duration_units[k].u) == i - u &&
                !memcmp(pq_duration_units[k].u, s + u, i - u))
                break;
        if (k == PQ_DURATION_UNITS || k + 1 <= last)
            return -1;
        last = k + 1;
        if (v > (INT64_MAX - total) / pq_duration_units[k].mul)
            return -1;
        total += v * pq_duration_units[k].mul;
    }
    *ms = total;
    return 0;
}

int pq_parse_number(const char *s, size_t n, double *out)
{
    char buf[128];
    if (n >= sizeof(buf))
        return -1;
    memcpy(buf, s, n);
    buf[n] = 0;
    char *end;
    if (n > 1 && buf[0] == '0' && (buf[1] == 'x' || buf[1] == 'X')) {
        errno = 0;
        unsigned long long v = strtoull(buf, &end, 16);
        if (*end || errno || v > INT64_MAX)
            return -1;
        *out = (double)v;
        return 0;
    }
    errno = 0;
    *out = strtod(buf, &end);
    if (*end)
        return -1;
    return 0;
}

static void add_utf8(struct strbuf *sb, unsigned long r)
{
    if (r < 0x80) {
        strbuf_addc(sb, (char)r);
    } else if (r < 0x800) {
        strbuf_addc(sb, (char)(0xc0 | (r >> 6)));
        strbuf_addc(sb, (char)(0x80 | (r & 0x3f)));
    } else if (r < 0x10000) {
        strbuf_addc(sb, (char)(0xe0 | (r >> 12)));
        strbuf_addc(sb, (char)(0x80 | ((r >> 6) & 0x3f)));
        strbuf_addc(sb, (char)(0x80 | (r & 0x3f)));
    } else {
        strbuf_addc(sb, (char)(0xf0 | (r >> 18)));
        strbuf_addc(sb, (char)(0x80 | ((r >> 12) & 0x3f)));
        strbuf_addc(sb, (char)(0x80 | ((r >> 6) & 0x3f)));
        strbuf_addc(sb, (char)(0x80 | (r & 0x3f)));
    }
}

char *pq_unquote(struct arena *a, const char *s, size_t n)
{
    char q = s[0];
    if (q == '`')
        return arena_strndup(a, s + 1, n - 2);
    struct strbuf sb = STRBUF_INIT;
    char *res = NULL;
    for (size_t i = 1; i + 1 < n; i++) {
        if (s[i] != '\\') {
            strbuf_addc(&sb, s[i]);
            continue;
        }
        char c = s[++i];
        int nd = 0;
        switch (c) {
        case 'a':
            strbuf_addc(&sb, '\a');
            break;
        case 'b':
            strbuf_addc(&sb, '\b');
            break;
        case 'f':
            strbuf_addc(&sb, '\f');
            break;
        case 'n':
            strbuf_addc(&sb, '\n');
            break;
        case 'r':
            strbuf_addc(&sb, '\r');
            break;
        case 't':
            strbuf_addc(&sb, '\t');
            break;
        case 'v':
            strbuf_addc(&sb, '\v');
            break;
        case '\\':
            strbuf_addc(&sb, '\\');
            break;
        case '\'':
        case '"':
            if (c != q)
                goto bad;
            strbuf_addc(&sb, c);
            break;
        case 'x':
            nd = 2; /* fallthrough */
        case 'u':
            if (!nd)
                nd = 4; /* fallthrough */
        case 'U': {
            if (!nd)
                nd = 8;
            unsigned long v = 0;
            for (int k = 0; k < nd; k++) {
                if (i + 1 >= n - 1 || hex_digit(s[i + 1]) < 0)
                    goto bad;
                v = v * 16 + (unsigned long)hex_digit(s[++i]);
            }
            if (c == 'x')
                strbuf_addc(&sb, (char)v);
            else if (v > 0x10ffff || (v >= 0xd800 && v < 0xe000))
                goto bad;
            else
                add_utf8(&sb, v);
            break;
        }
        default:
            if (c >= '0' && c <= '7') {
                unsigned v = 0;
                i--;
                for (int k = 0; k < 3; k++) {
                    if (i + 1 >= n - 1 || s[i + 1] < '0' || s[i + 1] > '7')
                        goto bad;
                    v = v * 8 + (unsigned)(s[++i] - '0');
                }
                if (v > 255)
                    goto bad;
                strbuf_addc(&sb, (char)v);
                break;
            }
            goto bad;
        }
    }
    res = arena_strndup(a, sb.buf, sb.len);
bad:
    strbuf_release(&sb);
    return res;
}
