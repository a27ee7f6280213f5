/*
 * printer: PromQL expressions back to text as Prometheus 2.42's String()
 * methods write them (promql/parser/printer.go), the body of
 * /api/v1/format_query; and Go's float and duration formatting.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/labels.h"
#include "promql/ast.h"
#include "promql/funcs.h"

void pq_fmt_duration(struct strbuf *sb, int64_t ms)
{
    if (ms == 0) {
        strbuf_adds(sb, "0s");
        return;
    }
    if (ms < 0) {
        strbuf_addc(sb, '-');
        ms = -ms;
    }
    for (size_t i = 0; i < PQ_DURATION_UNITS; i++) {
        /* Years and weeks only when exact, as model.Duration: 8d, not 1w1d. */
        if (i < 2 && ms % pq_duration_units[i].mul)
            continue;
        int64_t v = ms / pq_duration_units[i].mul;
        if (v) {
            strbuf_addf(sb, "%lld%s", (long long)v, pq_duration_units[i].u);
            ms -= v * pq_duration_units[i].mul;
        }
    }
}

/* r's decimal digits without trailing zeros into digits; the count of all digits. */
static int int_digits(uint64_t r, char *digits, int *n)
{
    /* Two digits per division: this runs for every value of every answer. */
    static const char d2[] = "00010203040506070809101112131415161718192021222324252627282930313233"
                             "34353637383940414243444546474849505152535455565758596061626364656667"
                             "6869707172737475767778798081828384858687888990919293949596979899";
    char rev[24];
    int m = 24;
    while (r >= 100) {
        unsigned k = (unsigned)(r % 100);
        r /= 100;
        m -= 2;
        memcpy(rev + m, d2 + 2 * k, 2);
    }
    if (r >= 10) {
        m -= 2;
        memcpy(rev + m, d2 + 2 * r, 2);
    } else {
        rev[--m] = (char)('0' + r);
    }
    int all = 24 - m;
    memcpy(digits, rev + m, (size_t)all);
    *n = all;
    while (*n > 1 && digits[*n - 1] == '0')
        (*n)--;
    digits[*n] = 0;
    return all;
}

typedef unsigned __int128 u128;

static const uint64_t pow10_64[20] = {1ULL,
                                      10ULL,
                                      100ULL,
                                      1000ULL,
                                      10000ULL,
                                      100000ULL,
                                      1000000ULL,
                                      10000000ULL,
                                      100000000ULL,
                                      1000000000ULL,
                                      10000000000ULL,
                                      100000000000ULL,
                                      1000000000000ULL,
                                      10000000000000ULL,
                                      100000000000000ULL,
                                      1000000000000000ULL,
                                      10000000000000000ULL,
                                      100000000000000000ULL,
                                      1000000000000000000ULL,
                                      10000000000000000000ULL};

static u128 pow10_128(int s)
{
    return s < 20 ? pow10_64[s] : (u128)pow10_64[19] * pow10_64[s - 19];
}

/*
 * The shortest of 15, 16 or 17 significant digits that reads back as v (as
 * strtod rounds: nearest, ties to even), each the p digits nearest to v
 * (ties to even, as glibc's %.*e), in exact 128-bit integer arithmetic from
 * one product: v = m / 2^sh with 3 <= sh <= 70 for 1e-5 <= v < 1e15,
 * X = m * 10^s < 2^127 for s = 16 - e10 <= 21 gives the 17 digits
 * r17 = floor(X / 2^sh) and the rest; 15 and 16 digits round r17 / 100 and
 * r17 / 10 with that rest as the tie-breaker. p digits r read back iff
 * |r * 10^(17-p) * 2^sh - X| is under half of 10^s (a quarter below a power
 * of two, where the gap to the next lower double halves).
 * 0: none reads back (or v is outside the range: ask the slow path).
 */
static int exact_digits(double v, char *digits, int *exp10)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    int q = (int)(bits >> 52 & 0x7ff) - 1022; /* v = 0.1xxx (binary) * 2^q, v normal */
    uint64_t m = (bits & ((1ULL << 52) - 1)) | (1ULL << 52);
    int sh = 53 - q;
    if (sh < 1 || sh > 80)
        return 0;
    /* 2^(q-1) <= v < 2^q: floor(log10 v) is about (q-1) log10(2) (the loop corrects it). */
    int e = ((q - 1) * 78913) >> 18;
    for (int tries = 0; tries < 3; tries++) {
        int s = 16 - e;
        if (s < 0 || s > 22)
            return 0;
        u128 ps = pow10_128(s), X = (u128)m * ps, D = (u128)1 << sh;
        u128 r128 = X >> sh;
        /* The estimate may be one off near powers of ten: 10^e <= v < 10^(e+1) exactly. */
        if (r128 >= pow10_64[17]) {
            e++;
            continue;
        }
        if (r128 < pow10_64[16]) {
            e--;
            continue;
        }
        uint64_t r17 = (uint64_t)r128;
        u128 rem = X & (D - 1);
        for (int p = 15; p <= 17; p++) {
            uint64_t div = pow10_64[17 - p], half = div / 2;
            uint64_t r = r17 / div, dr = r17 % div;
            /* Round to nearest; at an exact tie (nothing below r17's last digit) to even. */
            if (p == 17) {
                if (2 * rem > D || (2 * rem == D && (r & 1)))
                    r++;
            } else if (dr > half || (dr == half && (rem || (r & 1)))) {
                r++; /* may carry to 10^p: the digits are then 1 at exponent e+1 */
            }
            u128 rd = (u128)(r * div) << sh;
            int ok;
            if (rd >= X) {
                u128 d2 = 2 * (rd - X);
                ok = d2 < ps || (d2 == ps && !(m & 1));
            } else {
                u128 d = X - rd, d2 = m == (1ULL << 52) ? 4 * d : 2 * d;
                ok = d2 < ps || (d2 == ps && !(m & 1));
            }
            if (!ok)
                continue;
            int n;
            int_digits(r, digits, &n);
            *exp10 = r == pow10_64[p] ? e + 1 : e;
            return n;
        }
        return 0;
    }
    return 0;
}

/*
 * Shortest digits that read back as v (what Go's strconv prints with
 * precision -1). Integers are exact.
 */
static int shortest(double v, char *digits, int *exp10)
{
    char buf[40];
    int n = 0;
    if (v < 1e15 && v == (double)(int64_t)v) {
        *exp10 = int_digits((uint64_t)v, digits, &n) - 1;
        return n;
    }
    /*
     * If 15 significant digits read back, the shortest form is them without
     * trailing zeros (a shorter decimal that reads back lies on the 15-digit
     * grid, far closer to v than half its spacing); else 16, else 17.
     */
#ifndef PQ_FMT_SLOW_ONLY
    if (v < 1e15 && v >= 1e-5 && (n = exact_digits(v, digits, exp10)) > 0)
        return n;
    n = 0;
#endif
    int prec = v < DBL_MIN ? 0 : 14; /* subnormals carry fewer digits: search from one */
    for (; prec < 16; prec++) {
        snprintf(buf, sizeof(buf), "%.*e", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    if (prec == 16)
        snprintf(buf, sizeof(buf), "%.*e", prec, v);
    /* buf: d[.ddd]e[+-]xx */
    char *p = buf;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9')
            digits[n++] = *p;
    *exp10 = atoi(p + 1);
    while (n > 1 && digits[n - 1] == '0')
        n--;
    digits[n] = 0;
    return n;
}

/* Into buf (at least PQ_FLOAT_MAX bytes); the length. */
size_t pq_fmt_float_buf(char *buf, double v, char mode)
{
    char *o = buf;
    if (isnan(v)) {
        memcpy(o, "NaN", 3);
        return 3;
    }
    if (isinf(v)) {
        memcpy(o, v > 0 ? "+Inf" : "-Inf", 4);
        return 4;
    }
    if (v == 0) {
        if (signbit(v))
            *o++ = '-';
        *o++ = '0';
        return (size_t)(o - buf);
    }
    if (v < 0) {
        *o++ = '-';
        v = -v;
    }
    char d[40];
    int e;
    int n = shortest(v, d, &e);
    /* fmt.Sprint is strconv's shortest %g: %e when the exponent is < -4 or >= 6. */
    if (mode == 'v' && (e < -4 || e >= 6)) {
        *o++ = d[0];
        if (n > 1) {
            *o++ = '.';
            memcpy(o, d + 1, (size_t)n - 1);
            o += n - 1;
        }
        int ae = e < 0 ? -e : e;
        *o++ = 'e';
        *o++ = e < 0 ? '-' : '+';
        if (ae >= 100)
            *o++ = (char)('0' + ae / 100);
        *o++ = (char)('0' + ae / 10 % 10);
        *o++ = (char)('0' + ae % 10);
        return (size_t)(o - buf);
    }
    if (e < 0) {
        *o++ = '0';
        *o++ = '.';
        for (int i = 0; i < -e - 1; i++)
            *o++ = '0';
        memcpy(o, d, (size_t)n);
        return (size_t)(o + n - buf);
    }
    for (int i = 0; i <= e; i++)
        *o++ = i < n ? d[i] : '0';
    if (n > e + 1) {
        *o++ = '.';
        memcpy(o, d + e + 1, (size_t)(n - e - 1));
        o += n - e - 1;
    }
    return (size_t)(o - buf);
}

void pq_fmt_float(struct strbuf *sb, double v, char mode)
{
    char buf[PQ_FLOAT_MAX];
    strbuf_add(sb, buf, pq_fmt_float_buf(buf, v, mode));
}

static void print_list(struct strbuf *sb, const struct pq_strlist *l)
{
    for (size_t i = 0; i < l->n; i++) {
        if (i)
            strbuf_adds(sb, ", ");
        strbuf_adds(sb, l->v[i]);
    }
}

static void print_at_offset(struct strbuf *sb, const struct pq_node *n)
{
    if (n->at_mode == AT_TS) {
        strbuf_adds(sb, " @ ");
        strbuf_addf(sb, "%.3f", (double)n->at / 1000.0);
    } else if (n->at_mode == AT_START) {
        strbuf_adds(sb, " @ start()");
    } else if (n->at_mode == AT_END) {
        strbuf_adds(sb, " @ end()");
    }
    if (n->offset > 0) {
        strbuf_adds(sb, " offset ");
        pq_fmt_duration(sb, n->offset);
    } else if (n->offset < 0) {
        strbuf_adds(sb, " offset -");
        pq_fmt_duration(sb, -n->offset);
    }
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void print_vs(struct strbuf *sb, const struct pq_node *n)
{
    char **items = calloc(n->nms + 1, sizeof(char *));
    size_t k = 0;
    for (size_t i = 0; i < n->nms; i++) {
        const struct matcher *m = &n->ms[i];
        if (m->type == MATCH_EQ && !strcmp(m->name, LABELS_METRIC_NAME) &&
            !strcmp(m->value, n->str))
            continue;
        struct strbuf it = STRBUF_INIT;
        strbuf_addf(&it, "%s%s", m->name, matcher_op[m->type]);
        labels_quote(&it, m->value, strlen(m->value));
        items[k++] = strbuf_detach(&it, NULL);
    }
    strbuf_adds(sb, n->str);
    if (k) {
        qsort(items, k, sizeof(char *), cmp_str);
        strbuf_addc(sb, '{');
        for (size_t i = 0; i < k; i++) {
            if (i)
                strbuf_addc(sb, ',');
            strbuf_adds(sb, items[i]);
            free(items[i]);
        }
        strbuf_addc(sb, '}');
    }
    free(items);
}

/* The " bool on (a) group_left (b)" part of a binary operation, after the operator. */
static void print_bin_mods(struct strbuf *sb, const struct pq_node *n)
{
    if (n->return_bool)
        strbuf_adds(sb, " bool");
    if (n->has_matching && (n->match_labels.n || n->on)) {
        strbuf_adds(sb, n->on ? " on (" : " ignoring (");
        print_list(sb, &n->match_labels);
        strbuf_addc(sb, ')');
        if (n->card == CARD_MANY_TO_ONE || n->card == CARD_ONE_TO_MANY) {
            strbuf_adds(sb, n->card == CARD_MANY_TO_ONE ? " group_left (" : " group_right (");
            print_list(sb, &n->include);
            strbuf_addc(sb, ')');
        }
    }
}

/* getAggOpStr: "sum", "sum by (a) ", "sum without (a) ". */
static void print_agg_op(struct strbuf *sb, const struct pq_node *n)
{
    strbuf_adds(sb, pq_tok_text[n->op]);
    if (n->without) {
        strbuf_adds(sb, " without (");
        print_list(sb, &n->grouping);
        strbuf_adds(sb, ") ");
    } else if (n->grouping.n) {
        strbuf_adds(sb, " by (");
        print_list(sb, &n->grouping);
        strbuf_adds(sb, ") ");
    }
}

/* getSubqueryTimeSuffix: "[5m:1m] @ 10.000 offset 1h". */
static void print_subq_suffix(struct strbuf *sb, const struct pq_node *n)
{
    strbuf_addc(sb, '[');
    pq_fmt_duration(sb, n->range);
    strbuf_addc(sb, ':');
    if (n->step)
        pq_fmt_duration(sb, n->step);
    strbuf_addc(sb, ']');
    print_at_offset(sb, n);
}

void promql_print(const struct pq_node *n, struct strbuf *sb)
{
    switch (n->kind) {
    case N_NUM:
        pq_fmt_float(sb, n->num, 'v');
        break;
    case N_STR:
        labels_quote(sb, n->str, strlen(n->str));
        break;
    case N_VS:
        print_vs(sb, n);
        print_at_offset(sb, n);
        break;
    case N_MS:
        print_vs(sb, n->expr);
        strbuf_addc(sb, '[');
        pq_fmt_duration(sb, n->range);
        strbuf_addc(sb, ']');
        print_at_offset(sb, n->expr);
        break;
    case N_SUBQ:
        promql_print(n->expr, sb);
        print_subq_suffix(sb, n);
        break;
    case N_CALL:
        strbuf_adds(sb, n->func->name);
        strbuf_addc(sb, '(');
        for (size_t i = 0; i < n->nargs; i++) {
            if (i)
                strbuf_adds(sb, ", ");
            promql_print(n->args[i], sb);
        }
        strbuf_addc(sb, ')');
        break;
    case N_AGG:
        print_agg_op(sb, n);
        strbuf_addc(sb, '(');
        if (n->param) {
            promql_print(n->param, sb);
            strbuf_adds(sb, ", ");
        }
        promql_print(n->expr, sb);
        strbuf_addc(sb, ')');
        break;
    case N_BIN:
        promql_print(n->lhs, sb);
        strbuf_addf(sb, " %s", pq_tok_text[n->op]);
        print_bin_mods(sb, n);
        strbuf_addc(sb, ' ');
        promql_print(n->rhs, sb);
        break;
    case N_UNARY:
        strbuf_adds(sb, pq_tok_text[n->op]);
        promql_print(n->expr, sb);
        break;
    case N_PAREN:
        strbuf_addc(sb, '(');
        promql_print(n->expr, sb);
        strbuf_addc(sb, ')');
        break;
    }
}

/* ---- Pretty(level): prettier.go of 2.42 ---- */

enum { PRETTY_MAX_LINE = 100 }; /* maxCharactersPerLine */

static void indent(struct strbuf *sb, int level)
{
    for (int i = 0; i < level; i++)
        strbuf_adds(sb, "  ");
}

/* The end of a split group: its ')' on a line of its own at the group's indent. */
static void close_paren(struct strbuf *sb, int level)
{
    strbuf_addc(sb, '\n');
    indent(sb, level);
    strbuf_addc(sb, ')');
}

/* needsSplit: String() longer than 100 bytes. */
static int needs_split(const struct pq_node *n)
{
    struct strbuf t = STRBUF_INIT;
    promql_print(n, &t);
    size_t len = t.len;
    strbuf_release(&t);
    return len > PRETTY_MAX_LINE;
}

void promql_pretty(const struct pq_node *n, int level, struct strbuf *sb)
{
    /* Nodes that fit, and leaves, are their indented String() (a subquery: not indented). */
    int split = needs_split(n);
    switch (n->kind) {
    case N_AGG:
    case N_BIN:
    case N_CALL:
    case N_PAREN:
        if (split)
            break;
        /* fall through */
    case N_NUM:
    case N_STR:
    case N_VS:
    case N_MS:
        indent(sb, level);
        promql_print(n, sb);
        return;
    case N_SUBQ:
        if (!split) {
            promql_print(n, sb);
        } else {
            promql_pretty(n->expr, level, sb);
            print_subq_suffix(sb, n);
        }
        return;
    case N_UNARY: {
        /* The operand's own indent is trimmed (strings.TrimSpace) and put before the operator. */
        struct strbuf c = STRBUF_INIT;
        promql_pretty(n->expr, level, &c);
        size_t b = 0, e = c.len;
        while (b < e && strchr(" \t\n\r\v\f", c.buf[b]))
            b++;
        while (e > b && strchr(" \t\n\r\v\f", c.buf[e - 1]))
            e--;
        indent(sb, level);
        strbuf_adds(sb, pq_tok_text[n->op]);
        strbuf_add(sb, c.buf + b, e - b);
        strbuf_release(&c);
        return;
    }
    }
    switch (n->kind) {
    case N_AGG:
        indent(sb, level);
        print_agg_op(sb, n);
        strbuf_adds(sb, "(\n");
        if (n->param) {
            promql_pretty(n->param, level + 1, sb);
            strbuf_adds(sb, ",\n");
        }
        promql_pretty(n->expr, level + 1, sb);
        close_paren(sb, level);
        break;
    case N_BIN:
        promql_pretty(n->lhs, level + 1, sb);
        strbuf_addc(sb, '\n');
        indent(sb, level);
        strbuf_adds(sb, pq_tok_text[n->op]);
        print_bin_mods(sb, n);
        strbuf_addc(sb, '\n');
        promql_pretty(n->rhs, level + 1, sb);
        break;
    case N_CALL:
        indent(sb, level);
        strbuf_adds(sb, n->func->name);
        strbuf_adds(sb, "(\n");
        for (size_t i = 0; i < n->nargs; i++) {
            if (i)
                strbuf_adds(sb, ",\n");
            promql_pretty(n->args[i], level + 1, sb);
        }
        close_paren(sb, level);
        break;
    case N_PAREN:
        indent(sb, level);
        strbuf_adds(sb, "(\n");
        promql_pretty(n->expr, level + 1, sb);
        close_paren(sb, level);
        break;
    default:
        break;
    }
}
