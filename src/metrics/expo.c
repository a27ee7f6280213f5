/* expo: the parser state, accessors, shared lexing and expo_check (see expo.h). */
#include "metrics/expo.h"
#include "metrics/expo_int.h"
#include "metrics/sample.h"
#include "core/xmalloc.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const mtype_names[] = {"unknown",        "counter", "gauge", "histogram",
                                          "gaugehistogram", "summary", "info",  "stateset"};

const char *expo_mtype_name(enum expo_mtype t)
{
    return (unsigned)t < sizeof(mtype_names) / sizeof(mtype_names[0]) ? mtype_names[t] : "unknown";
}

void expo_parser_init(struct expo_parser *p, const char *buf, size_t len, enum expo_format format)
{
    memset(p, 0, sizeof(*p));
    p->buf = p->pos = p->ls = buf;
    p->end = buf + len;
    p->format = format;
    p->line = 1;
    p->state = EXPO_EOF;
    labels_builder_init(&p->lb);
    labels_builder_init(&p->eb);
    p->scratch_alloc = 256;
    p->scratch = xmalloc(p->scratch_alloc);
}

void expo_parser_release(struct expo_parser *p)
{
    expo_omcheck_free(p);
    labels_builder_release(&p->lb);
    labels_builder_release(&p->eb);
    free(p->scratch);
    free(p->pairs);
    free(p->epairs);
    free(p->last_type_name);
    memset(p, 0, sizeof(*p));
}

void expo_parser_set_strict(struct expo_parser *p, int strict)
{
    p->strict = strict;
}

void expo_parser_set_lazy(struct expo_parser *p, int lazy)
{
    p->lazy = lazy && p->format == EXPO_TEXT;
}

const char *expo_series(const struct expo_parser *p, size_t *len)
{
    *len = p->series_len;
    return p->series;
}

int expo_series_labels(struct expo_parser *p)
{
    if (p->state != EXPO_SERIES)
        return p->state == EXPO_ERROR ? -1 : 0;
    if (expo_text_series_labels(p) < 0)
        return -1;
    return 0;
}

enum expo_entry expo_next(struct expo_parser *p)
{
    if (p->state == EXPO_ERROR || p->done)
        return p->state;
    p->scratch_len = 0;
    p->npairs = p->nepairs = 0;
    p->labels = (struct labels){NULL, 0};
    p->name_off = p->name_len = 0;
    p->text = "";
    p->text_len = 0;
    p->has_ts = p->has_ex = p->created = 0;
    p->value = 0;
    memset(&p->ex, 0, sizeof(p->ex));
    p->series = p->pending_labels = NULL;
    p->series_len = 0;
    p->state = p->format == EXPO_OPENMETRICS ? expo_om_next(p) : expo_text_next(p);
    if (p->state == EXPO_EOF)
        p->done = 1;
    return p->state;
}

enum expo_entry expo_fail(struct expo_parser *p, const char *at, const char *fmt, ...)
{
    va_list ap;
    if (at < p->ls)
        at = p->ls;
    p->err_line = p->line;
    p->err_col = (unsigned)(at - p->ls) + 1;
    int n = snprintf(p->err, sizeof(p->err), "%u:%u: ", p->err_line, p->err_col);
    va_start(ap, fmt);
    vsnprintf(p->err + n, sizeof(p->err) - (size_t)n, fmt, ap);
    va_end(ap);
    p->state = EXPO_ERROR;
    return EXPO_ERROR;
}

static void scratch_reserve(struct expo_parser *p, size_t n)
{
    if (p->scratch_len + n <= p->scratch_alloc)
        return;
    while (p->scratch_len + n > p->scratch_alloc)
        p->scratch_alloc *= 2;
    p->scratch = xrealloc(p->scratch, p->scratch_alloc);
}

size_t expo_put(struct expo_parser *p, const char *s, size_t n)
{
    scratch_reserve(p, n + 1);
    size_t off = p->scratch_len;
    if (n)
        memcpy(p->scratch + off, s, n);
    p->scratch[off + n] = '\0';
    p->scratch_len += n + 1;
    return off;
}

void expo_putc(struct expo_parser *p, char c)
{
    /* The string under construction ends with its NUL at scratch_len - 1. */
    scratch_reserve(p, 1);
    p->scratch[p->scratch_len - 1] = c;
    p->scratch[p->scratch_len++] = '\0';
}

static int is_name_start(unsigned char c, int metric)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (metric && c == ':');
}

const char *expo_scan_name(const char *s, const char *end, int metric)
{
    if (s >= end || !is_name_start((unsigned char)*s, metric))
        return s;
    s++;
    while (s < end && (is_name_start((unsigned char)*s, metric) || (*s >= '0' && *s <= '9')))
        s++;
    return s;
}

const char *expo_scan_lvalue(struct expo_parser *p, const char *s, int newline_ok, size_t *off)
{
    const char *e = p->end;
    s++; /* the opening quote */
    *off = expo_put(p, NULL, 0);
    while (s < e && *s != '"') {
        const char *run = s;
        while (s < e && *s != '"' && *s != '\\' && *s != '\n')
            s++;
        if (s > run) {
            scratch_reserve(p, (size_t)(s - run));
            memcpy(p->scratch + p->scratch_len - 1, run, (size_t)(s - run));
            p->scratch_len += (size_t)(s - run);
            p->scratch[p->scratch_len - 1] = '\0';
        }
        if (s >= e || *s == '"')
            break;
        if (*s == '\n') {
            if (!newline_ok)
                return NULL;
            expo_putc(p, '\n');
            s++;
            p->line++;
            p->ls = s;
            continue;
        }
        /* A backslash: the next byte is taken whatever it is. */
        if (s + 1 >= e)
            return NULL;
        char c = s[1];
        if (c == '\n' && !newline_ok)
            return NULL;
        if (c == 'n') {
            expo_putc(p, '\n');
        } else if (c == '\\' || c == '"') {
            expo_putc(p, c);
        } else {
            expo_putc(p, '\\');
            expo_putc(p, c);
        }
        if (c == '\n') {
            p->line++;
            p->ls = s + 2;
        }
        s += 2;
    }
    if (s >= e)
        return NULL;
    return s + 1;
}

static size_t ci_prefix(const char *s, size_t n, const char *word)
{
    size_t i = 0;
    while (i < n && word[i] && (s[i] | 0x20) == word[i])
        i++;
    return i;
}

/*
 * Clinger's fast path for a syntax already checked: a decimal of at most 19
 * digits whose value m is below 2^53, times 10^e with |e| <= 22. Both m and
 * 10^e are exact doubles, so one multiplication or division rounds once, as
 * strtod does. 0 when the number is not of that form (strtod decides).
 */
static int fast_float(const char *s, size_t n, double *v)
{
    static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    const char *q = s, *e = s + n;
    uint64_t m = 0;
    int digits = 0, frac = 0, neg = 0;
    long ex = 0;
    double d;

    if (*q == '+' || *q == '-')
        neg = *q++ == '-';
    for (; q < e && *q >= '0' && *q <= '9'; q++, digits++)
        m = m * 10 + (uint64_t)(*q - '0');
    if (q < e && *q == '.')
        for (q++; q < e && *q >= '0' && *q <= '9'; q++, digits++, frac++)
            m = m * 10 + (uint64_t)(*q - '0');
    if (digits > 19 || m > (1ull << 53))
        return 0;
    if (q < e) { /* 'e' or 'E', checked by the caller */
        int eneg = 0, ed = 0;
        q++;
        if (*q == '+' || *q == '-')
            eneg = *q++ == '-';
        for (; q < e; q++, ed++) {
            if (ed == 4) /* 1e99999 is not a fast-path number anyway */
                return 0;
            ex = ex * 10 + (*q - '0');
        }
        if (eneg)
            ex = -ex;
    }
    ex -= frac;
    if (ex < -22 || ex > 22)
        return 0;
    d = (double)m;
    d = ex < 0 ? d / pow10[-ex] : d * pow10[ex];
    *v = neg ? -d : d;
    return 1;
}

int expo_parse_float(const char *s, size_t n, double *v)
{
    const char *q = s, *e = s + n;
    int neg = 0;
    if (n == 0)
        return -1;
    if (*q == '+' || *q == '-') {
        neg = *q == '-';
        q++;
    }
    size_t rest = (size_t)(e - q);
    /* inf, infinity (any case, optional sign), nan (any case, no sign): as Go. */
    if (rest == 3 && ci_prefix(q, rest, "inf") == 3) {
        *v = neg ? -INFINITY : INFINITY;
        return 0;
    }
    if (rest == 8 && ci_prefix(q, rest, "infinity") == 8) {
        *v = neg ? -INFINITY : INFINITY;
        return 0;
    }
    if (q == s && rest == 3 && ci_prefix(q, rest, "nan") == 3) {
        *v = sample_normal_nan(); /* as Prometheus: one NaN, never the stale marker */
        return 0;
    }
    size_t digits = 0;
    while (q < e && *q >= '0' && *q <= '9')
        q++, digits++;
    if (q < e && *q == '.') {
        q++;
        while (q < e && *q >= '0' && *q <= '9')
            q++, digits++;
    }
    if (digits == 0)
        return -1;
    if (q < e && (*q == 'e' || *q == 'E')) {
        q++;
        if (q < e && (*q == '+' || *q == '-'))
            q++;
        size_t ed = 0;
        while (q < e && *q >= '0' && *q <= '9')
            q++, ed++;
        if (ed == 0)
            return -1;
    }
    if (q != e)
        return -1;
    if (fast_float(s, n, v))
        return 0;
    char small[64], *tmp = n < sizeof(small) ? small : xmalloc(n + 1);
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    errno = 0;
    double d = strtod(tmp, NULL);
    int rc = 0;
    if (errno == ERANGE && isinf(d))
        rc = -1; /* Go: out of range is an error, underflow is not */
    if (tmp != small)
        free(tmp);
    *v = d;
    return rc;
}

int expo_utf8_valid(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str, *e = s + n;
    while (s < e) {
        unsigned c = *s;
        if (c < 0x80) {
            s++;
            continue;
        }
        size_t len;
        unsigned min, cp;
        if ((c & 0xe0) == 0xc0)
            len = 2, min = 0x80, cp = c & 0x1f;
        else if ((c & 0xf0) == 0xe0)
            len = 3, min = 0x800, cp = c & 0x0f;
        else if ((c & 0xf8) == 0xf0)
            len = 4, min = 0x10000, cp = c & 0x07;
        else
            return 0;
        if ((size_t)(e - s) < len)
            return 0;
        for (size_t i = 1; i < len; i++) {
            if ((s[i] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        s += len;
    }
    return 1;
}

size_t expo_utf8_len(const char *s, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        count += ((unsigned char)s[i] & 0xc0) != 0x80;
    return count;
}

void expo_push_pair(struct expo_parser *p, int exemplar, size_t name, size_t value)
{
    struct expo_pair **v = exemplar ? &p->epairs : &p->pairs;
    size_t *n = exemplar ? &p->nepairs : &p->npairs;
    size_t *alloc = exemplar ? &p->aepairs : &p->apairs;
    if (*n == *alloc) {
        *alloc = *alloc ? *alloc * 2 : 16;
        *v = xrealloc(*v, *alloc * sizeof(**v));
    }
    (*v)[(*n)++] = (struct expo_pair){name, value};
}

int expo_build_labels(struct expo_parser *p, const char *at)
{
    const char *dup = NULL;
    labels_builder_reset(&p->lb, NULL);
    labels_builder_push(&p->lb, LABELS_METRIC_NAME, expo_str(p, p->name_off));
    for (size_t i = 0; i < p->npairs; i++)
        labels_builder_push(&p->lb, expo_str(p, p->pairs[i].name), expo_str(p, p->pairs[i].value));
    if (labels_builder_finish(&p->lb, &p->labels, &dup) < 0) {
        expo_fail(p, at, "label name \"%s\" occurs twice", dup);
        return -1;
    }
    if (p->has_ex) {
        labels_builder_reset(&p->eb, NULL);
        for (size_t i = 0; i < p->nepairs; i++)
            labels_builder_push(&p->eb, expo_str(p, p->epairs[i].name),
                                expo_str(p, p->epairs[i].value));
        if (labels_builder_finish(&p->eb, &p->ex.labels, &dup) < 0) {
            expo_fail(p, at, "exemplar label name \"%s\" occurs twice", dup);
            return -1;
        }
    }
    return 0;
}

void expo_note_type(struct expo_parser *p)
{
    free(p->last_type_name);
    p->last_type_name = xstrdup(expo_str(p, p->name_off));
    p->last_type = p->type;
}

/* Does name equal fam followed by suffix? */
static int is_fam_suffix(const char *name, size_t nlen, const char *fam, size_t flen,
                         const char *suffix)
{
    size_t slen = strlen(suffix);
    return nlen == flen + slen && memcmp(name, fam, flen) == 0 &&
           memcmp(name + flen, suffix, slen) == 0;
}

void expo_classify(struct expo_parser *p)
{
    static const char *const suffixes[] = {"",     "_total",  "_created", "_bucket", "_count",
                                           "_sum", "_gcount", "_gsum",    "_info"};
    const char *name = expo_str(p, p->name_off);
    p->type = EXPO_UNKNOWN;
    if (!p->last_type_name)
        return;
    size_t flen = strlen(p->last_type_name);
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        if (is_fam_suffix(name, p->name_len, p->last_type_name, flen, suffixes[i])) {
            p->type = p->last_type;
            p->created = p->format == EXPO_OPENMETRICS && i == 2 &&
                         (p->type == EXPO_COUNTER || p->type == EXPO_HISTOGRAM ||
                          p->type == EXPO_SUMMARY || p->type == EXPO_GAUGEHISTOGRAM);
            return;
        }
    }
}

const char *expo_name(const struct expo_parser *p, size_t *len)
{
    if (len)
        *len = p->name_len;
    return p->scratch_len ? expo_str(p, p->name_off) : "";
}

struct labels expo_labels(const struct expo_parser *p)
{
    return p->labels;
}

double expo_value(const struct expo_parser *p)
{
    return p->value;
}

int expo_timestamp(const struct expo_parser *p, int64_t *ms)
{
    if (p->has_ts && ms)
        *ms = p->ts_ms;
    return p->has_ts;
}

enum expo_mtype expo_type(const struct expo_parser *p)
{
    return p->type;
}

const char *expo_text(const struct expo_parser *p, size_t *len)
{
    if (len)
        *len = p->text_len;
    return p->text;
}

int expo_exemplar(const struct expo_parser *p, struct expo_exemplar *ex)
{
    if (p->has_ex && ex)
        *ex = p->ex;
    return p->has_ex;
}

int expo_created(const struct expo_parser *p, int64_t *ms)
{
    if (!p->created)
        return 0;
    if (ms) {
        double v = p->value * 1000.0;
        *ms = v >= 9.2e18 ? INT64_MAX : v <= -9.2e18 ? INT64_MIN : (int64_t)v;
    }
    return 1;
}

unsigned expo_line(const struct expo_parser *p)
{
    return p->entry_line;
}

const char *expo_error(const struct expo_parser *p)
{
    return p->state == EXPO_ERROR ? p->err : "";
}

void expo_error_report(const struct expo_parser *p, struct diag *d, const char *file)
{
    struct srcloc loc = {file ? file : "<input>", p->err_line, p->err_col};
    const char *msg = strchr(p->err, ' ');
    diag_error(d, &loc, "%s", msg ? msg + 1 : p->err);
}

int expo_check(const char *buf, size_t len, enum expo_format format, struct diag *d,
               const char *file)
{
    struct expo_parser p;
    enum expo_entry e;
    expo_parser_init(&p, buf, len, format);
    expo_parser_set_strict(&p, 1);
    while ((e = expo_next(&p)) != EXPO_EOF && e != EXPO_ERROR)
        ;
    if (e == EXPO_ERROR)
        expo_error_report(&p, d, file);
    expo_parser_release(&p);
    return e == EXPO_ERROR ? -1 : 0;
}

enum expo_format expo_format_from_content_type(const char *ct)
{
    static const char om[] = "application/openmetrics-text";
    if (!ct)
        return EXPO_TEXT;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    size_t n = strcspn(ct, ";");
    while (n && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
        n--;
    return n == sizeof(om) - 1 && strncasecmp(ct, om, n) == 0 ? EXPO_OPENMETRICS : EXPO_TEXT;
}

const char *expo_content_type(enum expo_format format)
{
    return format == EXPO_OPENMETRICS ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
                                      : "text/plain; version=0.0.4; charset=utf-8";
}
