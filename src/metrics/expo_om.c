/*
 * expo_om: the OpenMetrics 1.0 text format ("OpenMetrics" specification
 * 1.0.0, section "Text format", its ABNF), line by line:
 *
 *   exposition = *metricfamily "# EOF" [LF]
 *   metadata   = "# " ("HELP" / "TYPE" / "UNIT") SP metricname SP text LF
 *   sample     = metricname [labels] SP number [SP timestamp] [exemplar] LF
 *   labels     = "{" [label *("," label)] "}"     label = name "=" DQUOTE escaped DQUOTE
 *   exemplar   = SP "#" SP labels SP number [SP timestamp]
 *   timestamp  = realnumber, seconds since the epoch (NaN and Inf refused)
 *
 * Exactly one space between tokens, no blank lines, no other comments, and
 * nothing after "# EOF". Label values may not hold a raw newline; \\, \" and
 * \n are unescaped, other escapes are kept as written (as Prometheus does).
 * The family rules are applied by expo_omcheck.c when the parser is strict;
 * otherwise, as Prometheus 2.42, exemplars are allowed on _total and
 * _bucket samples only and the rest is left to the scrape.
 */
#include "metrics/expo_int.h"

#include <math.h>
#include <string.h>

static const char *line_end(const char *s, const char *e)
{
    const char *nl = memchr(s, '\n', (size_t)(e - s));
    return nl ? nl : e;
}

static void next_line(struct expo_parser *p, const char *nl)
{
    p->pos = nl + 1;
    p->line++;
    p->ls = p->pos;
}

static const char *token_end(const char *s, const char *e)
{
    while (s < e && *s != ' ' && *s != '\n')
        s++;
    return s;
}

static int64_t to_ms(double sec)
{
    double ms = sec * 1000.0;
    if (ms >= 9.2e18)
        return INT64_MAX;
    if (ms <= -9.2e18)
        return INT64_MIN;
    return (int64_t)ms;
}

static enum expo_entry meta(struct expo_parser *p, const char *s, const char *e)
{
    static const struct {
        const char *word;
        enum expo_mtype type;
    } types[] = {{"counter", EXPO_COUNTER},     {"gauge", EXPO_GAUGE},
                 {"histogram", EXPO_HISTOGRAM}, {"gaugehistogram", EXPO_GAUGEHISTOGRAM},
                 {"summary", EXPO_SUMMARY},     {"info", EXPO_INFO},
                 {"stateset", EXPO_STATESET},   {"unknown", EXPO_UNKNOWN}};
    const char *le = line_end(s, e);
    enum expo_entry kind;
    s += 2; /* "# " */
    if (le - s >= 3 && memcmp(s, "EOF", 3) == 0 && s + 3 == le) {
        if (le < e && le + 1 < e)
            return expo_fail(p, le + 1, "unexpected data after # EOF");
        if (p->strict && expo_omcheck_eof(p, s) < 0)
            return EXPO_ERROR;
        p->pos = e;
        return EXPO_EOF;
    }
    if (le - s >= 5 && memcmp(s, "HELP ", 5) == 0)
        kind = EXPO_HELP;
    else if (le - s >= 5 && memcmp(s, "TYPE ", 5) == 0)
        kind = EXPO_TYPE;
    else if (le - s >= 5 && memcmp(s, "UNIT ", 5) == 0)
        kind = EXPO_UNIT;
    else
        return expo_fail(p, s, "expected HELP, TYPE, UNIT or EOF after '# '");
    s += 5;
    const char *n = expo_scan_name(s, le, 1);
    if (n == s)
        return expo_fail(p, s, "expected metric name");
    p->name_off = expo_put(p, s, (size_t)(n - s));
    p->name_len = (size_t)(n - s);
    if (n >= le || *n != ' ')
        return expo_fail(p, n, "expected a space and text after the metric name");
    if (le >= e)
        return expo_fail(p, le, "data does not end with # EOF");
    const char *t = n + 1;
    size_t tl = (size_t)(le - t);
    if (kind == EXPO_HELP) {
        if (!expo_utf8_valid(t, tl))
            return expo_fail(p, t, "help text is not valid UTF-8");
        size_t off = expo_put(p, NULL, 0);
        for (const char *q = t; q < le; q++) {
            if (*q == '\\' && q + 1 < le && (q[1] == '\\' || q[1] == 'n' || q[1] == '"')) {
                expo_putc(p, q[1] == 'n' ? '\n' : q[1]);
                q++;
            } else {
                expo_putc(p, *q);
            }
        }
        p->text = expo_str(p, off);
        p->text_len = strlen(p->text);
    } else if (kind == EXPO_TYPE) {
        size_t i, nt = sizeof(types) / sizeof(types[0]);
        for (i = 0; i < nt; i++)
            if (strlen(types[i].word) == tl && memcmp(types[i].word, t, tl) == 0)
                break;
        if (i == nt)
            return expo_fail(p, t, "invalid metric type \"%.*s\"", (int)(tl > 40 ? 40 : tl), t);
        p->type = types[i].type;
        p->text = types[i].word;
        p->text_len = tl;
    } else {
        size_t off = expo_put(p, t, tl);
        p->text = expo_str(p, off);
        p->text_len = tl;
        if (tl && (p->name_len < tl + 1 || memcmp(s + p->name_len - tl, t, tl) != 0 ||
                   s[p->name_len - tl - 1] != '_'))
            return expo_fail(p, t, "unit \"%.*s\" is not a suffix of metric \"%.*s\"",
                             (int)(tl > 40 ? 40 : tl), t, (int)p->name_len, s);
    }
    if (p->strict && expo_omcheck_meta(p, kind, s - 7) < 0)
        return EXPO_ERROR;
    if (kind == EXPO_TYPE)
        expo_note_type(p);
    next_line(p, le);
    return kind;
}

/* labels at s ('{'); exemplar selects the list. Returns the position after '}' or NULL. */
static const char *labels(struct expo_parser *p, const char *s, const char *le, int exemplar)
{
    s++;
    if (s < le && *s == '}')
        return s + 1;
    for (;;) {
        const char *n = expo_scan_name(s, le, 0);
        if (n == s) {
            expo_fail(p, s, "expected label name");
            return NULL;
        }
        size_t name = expo_put(p, s, (size_t)(n - s));
        if (n >= le || *n != '=') {
            expo_fail(p, n, "expected '=' after label name");
            return NULL;
        }
        s = n + 1;
        if (s >= le || *s != '"') {
            expo_fail(p, s, "expected label value in double quotes");
            return NULL;
        }
        const char *start = s;
        size_t value;
        s = expo_scan_lvalue(p, s, 0, &value);
        if (!s || s > le) {
            expo_fail(p, start, "label value not terminated by '\"'");
            return NULL;
        }
        if (!expo_utf8_valid(start + 1, (size_t)(s - start - 2))) {
            expo_fail(p, start, "invalid UTF-8 label value");
            return NULL;
        }
        expo_push_pair(p, exemplar, name, value);
        if (s < le && *s == '}')
            return s + 1;
        if (s >= le || *s != ',') {
            expo_fail(p, s, "expected ',' or '}' after label value");
            return NULL;
        }
        s++;
    }
}

static int number(struct expo_parser *p, const char **sp, const char *le, const char *what,
                  double *v)
{
    const char *s = *sp, *t = token_end(s, le);
    if (t == s) {
        expo_fail(p, s, "expected %s", what);
        return -1;
    }
    if (expo_parse_float(s, (size_t)(t - s), v) < 0) {
        expo_fail(p, s, "invalid %s \"%.*s\"", what, (int)(t - s > 40 ? 40 : t - s), s);
        return -1;
    }
    *sp = t;
    return 0;
}

static int timestamp(struct expo_parser *p, const char **sp, const char *le, double *sec)
{
    const char *s = *sp;
    if (number(p, sp, le, "timestamp", sec) < 0)
        return -1;
    if (isnan(*sec) || isinf(*sec)) {
        expo_fail(p, s, "invalid timestamp");
        return -1;
    }
    return 0;
}

static const char *exemplar(struct expo_parser *p, const char *s, const char *le)
{
    /* s is at "# {". */
    const char *at = s;
    if (le - s < 3 || s[1] != ' ' || s[2] != '{') {
        expo_fail(p, s, "expected '# {' to start an exemplar");
        return NULL;
    }
    s = labels(p, s + 2, le, 1);
    if (!s)
        return NULL;
    size_t chars = 0;
    for (size_t i = 0; i < p->nepairs; i++) {
        const char *n = expo_str(p, p->epairs[i].name), *v = expo_str(p, p->epairs[i].value);
        chars += expo_utf8_len(n, strlen(n)) + expo_utf8_len(v, strlen(v));
    }
    if (chars > 128) {
        expo_fail(p, at, "exemplar labels have %zu characters, more than 128", chars);
        return NULL;
    }
    if (s >= le || *s != ' ') {
        expo_fail(p, s, "expected a space and the exemplar's value");
        return NULL;
    }
    s++;
    if (number(p, &s, le, "exemplar value", &p->ex.value) < 0)
        return NULL;
    if (s < le && *s == ' ') {
        double sec;
        s++;
        if (timestamp(p, &s, le, &sec) < 0)
            return NULL;
        p->ex.has_ts = 1;
        p->ex.ts_ms = to_ms(sec);
    }
    p->has_ex = 1;
    return s;
}

static int has_suffix(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

static enum expo_entry sample(struct expo_parser *p, const char *s, const char *e)
{
    const char *line = s, *le = line_end(s, e);
    const char *n = expo_scan_name(s, le, 1);
    p->name_off = expo_put(p, s, (size_t)(n - s));
    p->name_len = (size_t)(n - s);
    s = n;
    if (s < le && *s == '{') {
        s = labels(p, s, le, 0);
        if (!s)
            return EXPO_ERROR;
    }
    if (s >= le || *s != ' ')
        return expo_fail(p, s, "expected a space and the value");
    s++;
    if (number(p, &s, le, "value", &p->value) < 0)
        return EXPO_ERROR;
    if (s < le && s[0] == ' ' && s + 1 < le && s[1] != '#') {
        s++;
        if (timestamp(p, &s, le, &p->ts_raw) < 0)
            return EXPO_ERROR;
        p->has_ts = 1;
        p->ts_ms = to_ms(p->ts_raw);
    }
    if (s < le && s[0] == ' ' && s + 1 < le && s[1] == '#') {
        const char *ex = s + 1;
        if (!p->strict && !has_suffix(line, p->name_len, "_total") &&
            !has_suffix(line, p->name_len, "_bucket"))
            return expo_fail(p, ex, "metric name %.*s does not support exemplars", (int)p->name_len,
                             line);
        s = exemplar(p, ex, le);
        if (!s)
            return EXPO_ERROR;
    }
    if (s < le)
        return expo_fail(p, s, "expected end of line");
    if (le >= e)
        return expo_fail(p, le, "data does not end with # EOF");
    if (expo_build_labels(p, line) < 0)
        return EXPO_ERROR;
    expo_classify(p);
    if (p->strict && expo_omcheck_sample(p, line) < 0)
        return EXPO_ERROR;
    next_line(p, le);
    return EXPO_SERIES;
}

enum expo_entry expo_om_next(struct expo_parser *p)
{
    const char *s = p->pos, *e = p->end;
    p->entry_line = p->line;
    if (s >= e)
        return expo_fail(p, s, "data does not end with # EOF");
    if (*s == '#') {
        if (e - s < 2 || s[1] != ' ')
            return expo_fail(p, s, "expected '# ' to start a metadata line or # EOF");
        return meta(p, s, e);
    }
    if (expo_scan_name(s, e, 1) != s)
        return sample(p, s, e);
    if (*s == '\n')
        return expo_fail(p, s, "blank lines are not allowed");
    return expo_fail(p, s, "expected metric name or '#'");
}
