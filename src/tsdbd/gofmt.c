/* gofmt: Go's float and JSON string formatting (see gofmt.h). */
#include "tsdbd/gofmt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Shortest %.*e that reads back as v: digits (no dot) and decimal exponent. */
static int shortest(double v, char *digits, int *exp10)
{
    char buf[64];
    for (int p = 0; p < 17; p++) {
        snprintf(buf, sizeof buf, "%.*e", p, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    /* buf: [-]d[.ddd]e[+-]xx */
    char *s = buf[0] == '-' ? buf + 1 : buf;
    char *e = strchr(s, 'e');
    int n = 0;
    for (char *q = s; q < e; q++)
        if (*q != '.')
            digits[n++] = *q;
    while (n > 1 && digits[n - 1] == '0')
        n--;
    digits[n] = 0;
    *exp10 = atoi(e + 1);
    return n;
}

static int special(struct strbuf *sb, double v)
{
    if (isnan(v)) {
        strbuf_adds(sb, "NaN");
        return 1;
    }
    if (isinf(v)) {
        strbuf_adds(sb, v > 0 ? "+Inf" : "-Inf");
        return 1;
    }
    if (v == 0) {
        strbuf_adds(sb, signbit(v) ? "-0" : "0");
        return 1;
    }
    return 0;
}

/* Fixed notation from the shortest digits. */
static void fixed(struct strbuf *sb, const char *d, int nd, int e)
{
    int dp = e + 1; /* digits before the point */
    if (dp <= 0) {
        strbuf_adds(sb, "0.");
        for (int i = 0; i < -dp; i++)
            strbuf_addc(sb, '0');
        strbuf_adds(sb, d);
        return;
    }
    for (int i = 0; i < dp; i++)
        strbuf_addc(sb, i < nd ? d[i] : '0');
    if (nd > dp) {
        strbuf_addc(sb, '.');
        strbuf_adds(sb, d + dp);
    }
}

/* The sign of a finite v into sb and its shortest digits into d (*e its exponent): their
 * count, or -1 when v was special (NaN, ±Inf), written whole. */
static int sign_digits(struct strbuf *sb, double v, char d[32], int *e)
{
    if (special(sb, v))
        return -1;
    if (v < 0)
        strbuf_addc(sb, '-');
    return shortest(fabs(v), d, e);
}

void gofmt_g(struct strbuf *sb, double v)
{
    char d[32];
    int e, nd = sign_digits(sb, v, d, &e);
    if (nd < 0)
        return;
    /* strconv with shortest digits: exponent form when exp < -4 || exp >= 6. */
    int eprec = 6;
    if (e < -4 || e >= eprec) {
        strbuf_addc(sb, d[0]);
        if (nd > 1) {
            strbuf_addc(sb, '.');
            strbuf_adds(sb, d + 1);
        }
        strbuf_addf(sb, "e%c%02d", e < 0 ? '-' : '+', abs(e));
        return;
    }
    fixed(sb, d, nd, e);
}

void gofmt_f(struct strbuf *sb, double v)
{
    char d[32];
    int e, nd = sign_digits(sb, v, d, &e);
    if (nd >= 0)
        fixed(sb, d, nd, e);
}

static int utf8_len(const unsigned char *s)
{
    unsigned c = s[0];
    int n;
    unsigned cp;
    if (c < 0x80)
        return 1;
    if ((c & 0xe0) == 0xc0)
        n = 2, cp = c & 0x1f;
    else if ((c & 0xf0) == 0xe0)
        n = 3, cp = c & 0x0f;
    else if ((c & 0xf8) == 0xf0)
        n = 4, cp = c & 0x07;
    else
        return -1;
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return -1;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
        cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return -1;
    return n;
}

void gofmt_json_str(struct strbuf *sb, const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    strbuf_addc(sb, '"');
    while (*s) {
        unsigned c = *s;
        if (c == '"' || c == '\\') {
            strbuf_addc(sb, '\\');
            strbuf_addc(sb, (char)c);
            s++;
        } else if (c == '\n') {
            strbuf_adds(sb, "\\n");
            s++;
        } else if (c == '\r') {
            strbuf_adds(sb, "\\r");
            s++;
        } else if (c == '\t') {
            strbuf_adds(sb, "\\t");
            s++;
        } else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
            strbuf_addf(sb, "\\u%04x", c);
            s++;
        } else if (c < 0x80) {
            strbuf_addc(sb, (char)c);
            s++;
        } else {
            int n = utf8_len(s);
            if (n < 0) {
                strbuf_adds(sb, "\\ufffd");
                s++;
            } else if (n == 3 && s[0] == 0xe2 && s[1] == 0x80 && (s[2] == 0xa8 || s[2] == 0xa9)) {
                strbuf_addf(sb, "\\u202%c", s[2] == 0xa8 ? '8' : '9');
                s += 3;
            } else {
                strbuf_add(sb, s, (size_t)n);
                s += n;
            }
        }
    }
    strbuf_addc(sb, '"');
}
