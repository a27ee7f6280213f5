/*
 * expo_text: the Prometheus text format 0.0.4, accepting what Prometheus
 * 2.42's promparse accepts ("Exposition formats" in the Prometheus
 * documentation; the lexer rules of pkg/textparse/promlex.l):
 *
 *   line     = [ws] ( sample | "#" [ws ("HELP"|"TYPE") ws name [text]] comment | "" ) "\n"
 *   sample   = name [ws] ["{" [ws] { lname [ws] "=" [ws] lvalue [ws] [","] [ws] } "}"] [ws]
 *              value [ws timestamp] [ws]
 *   ws       = 1*( " " / "\t" )
 *   lvalue   = '"' *( "\" any / not-'"' ) '"'   (raw newlines allowed; \\ \" \n unescaped)
 *   value    = Go float (no hex, no "_"); timestamp = 1*DIGIT (milliseconds)
 *
 * Quirks kept on purpose, since targets rely on them: the comma between labels
 * is optional and may trail, the final newline may be missing, a NUL byte at
 * the start of a line ends the input, the TYPE/HELP text starts one byte
 * after the name, and any other "#" line is a comment.
 */
#include "metrics/expo_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *skip_ws(const char *s, const char *e)
{
    while (s < e && (*s == ' ' || *s == '\t'))
        s++;
    return s;
}

static const char *line_end(const char *s, const char *e)
{
    const char *nl = memchr(s, '\n', (size_t)(e - s));
    return nl ? nl : e;
}

/* Past the end of the line at s (its newline, if any); the next line starts there. */
static void next_line(struct expo_parser *p, const char *s)
{
    if (s < p->end && *s == '\n') {
        s++;
        p->line++;
        p->ls = s;
    }
    p->pos = s;
}

static enum expo_entry meta(struct expo_parser *p, const char *s, const char *e, int help)
{
    const char *n = expo_scan_name(s, e, 1);
    if (n == s)
        return expo_fail(p, s, "expected metric name after %s", help ? "HELP" : "TYPE");
    p->name_off = expo_put(p, s, (size_t)(n - s));
    p->name_len = (size_t)(n - s);
    const char *le = line_end(n, e);
    /* promparse drops the byte after the name, whatever it is. */
    const char *t = n < le ? n + 1 : le;
    if (help) {
        if (!expo_utf8_valid(t, (size_t)(le - t)))
            return expo_fail(p, t, "help text is not valid UTF-8");
        size_t off = expo_put(p, NULL, 0);
        for (const char *q = t; q < le; q++) {
            if (*q == '\\' && q + 1 < le && (q[1] == '\\' || q[1] == 'n')) {
                expo_putc(p, q[1] == 'n' ? '\n' : '\\');
                q++;
            } else {
                expo_putc(p, *q);
            }
        }
        p->text = expo_str(p, off);
        p->text_len = strlen(p->text);
        next_line(p, le);
        return EXPO_HELP;
    }
    static const struct {
        const char *word;
        enum expo_mtype type;
    } types[] = {{"counter", EXPO_COUNTER},
                 {"gauge", EXPO_GAUGE},
                 {"histogram", EXPO_HISTOGRAM},
                 {"summary", EXPO_SUMMARY},
                 {"untyped", EXPO_UNKNOWN}};
    size_t tl = (size_t)(le - t);
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        if (strlen(types[i].word) == tl && memcmp(types[i].word, t, tl) == 0) {
            p->type = types[i].type;
            p->text = types[i].word;
            p->text_len = tl;
            expo_note_type(p);
            next_line(p, le);
            return EXPO_TYPE;
        }
    }
    return expo_fail(p, t, "invalid metric type \"%.*s\"", (int)(tl > 40 ? 40 : tl), t);
}

static enum expo_entry comment(struct expo_parser *p, const char *s, const char *e)
{
    const char *hash = s;
    s++;
    if (s < e && (*s == ' ' || *s == '\t')) {
        const char *k = skip_ws(s, e);
        if ((size_t)(e - k) > 4 && (memcmp(k, "HELP", 4) == 0 || memcmp(k, "TYPE", 4) == 0) &&
            (k[4] == ' ' || k[4] == '\t'))
            return meta(p, skip_ws(k + 4, e), e, k[0] == 'H');
    }
    const char *le = line_end(s, e);
    p->text = hash;
    p->text_len = (size_t)(le - hash);
    next_line(p, le);
    return EXPO_COMMENT;
}

static enum expo_entry labels(struct expo_parser *p, const char *s, const char *e,
                              const char **after)
{
    s++; /* '{' */
    for (;;) {
        s = skip_ws(s, e);
        if (s < e && *s == '}') {
            *after = s + 1;
            return EXPO_SERIES;
        }
        const char *n = expo_scan_name(s, e, 0);
        if (n == s)
            return expo_fail(p, s, "expected label name or '}'");
        size_t name = expo_put(p, s, (size_t)(n - s));
        s = skip_ws(n, e);
        if (s >= e || *s != '=')
            return expo_fail(p, s, "expected '=' after label name");
        s = skip_ws(s + 1, e);
        if (s >= e || *s != '"')
            return expo_fail(p, s, "expected label value in double quotes");
        const char *start = s;
        size_t value;
        s = expo_scan_lvalue(p, s, 1, &value);
        if (!s)
            return expo_fail(p, start, "label value not terminated by '\"'");
        if (!expo_utf8_valid(start + 1, (size_t)(s - start - 2)))
            return expo_fail(p, start, "invalid UTF-8 label value");
        expo_push_pair(p, 0, name, value);
        s = skip_ws(s, e);
        if (s < e && *s == ',')
            s++;
    }
}

/*
 * Lazy mode: past the '}' closing the label set at s, or NULL when the set
 * has a raw newline or no end (the eager parse then says what is wrong).
 * Escapes are skipped, not checked: expo_series_labels parses them later.
 */
static const char *skip_labels(const char *s, const char *e)
{
    int quoted = 0;
    for (s++; s < e; s++) {
        if (*s == '\n')
            return NULL;
        if (quoted) {
            if (*s == '\\' && (s + 1 >= e || s[1] == '\n'))
                return NULL; /* an escaped newline counts as a line */
            if (*s == '\\')
                s++;
            else if (*s == '"')
                quoted = 0;
        } else if (*s == '"') {
            quoted = 1;
        } else if (*s == '}') {
            return s + 1;
        }
    }
    return NULL;
}

static enum expo_entry sample_eager(struct expo_parser *p, const char *line, const char *e);

static enum expo_entry sample(struct expo_parser *p, const char *s, const char *e)
{
    const char *line = s, *lazy_labels = NULL;
    const char *n = expo_scan_name(s, e, 1);
    p->name_off = expo_put(p, s, (size_t)(n - s));
    p->name_len = (size_t)(n - s);
    p->series = line;
    p->series_len = (size_t)(n - line);
    s = skip_ws(n, e);
    if (s < e && *s == '{') {
        const char *after = p->lazy ? skip_labels(s, e) : NULL;
        if (after) {
            lazy_labels = s;
            s = after;
        } else if (labels(p, s, e, &s) == EXPO_ERROR) {
            return EXPO_ERROR;
        }
        p->series_len = (size_t)(s - line);
        s = skip_ws(s, e);
    }
    const char *v = s;
    while (s < e && *s != '{' && *s != ' ' && *s != '\t' && *s != '\n')
        s++;
    if (s == v || expo_parse_float(v, (size_t)(s - v), &p->value) < 0) {
        if (lazy_labels) /* the label set may be the first error: parse it now */
            return sample_eager(p, line, e);
        if (s == v)
            return expo_fail(p, v, "expected value after metric");
        return expo_fail(p, v, "invalid value \"%.*s\"", (int)(s - v > 40 ? 40 : s - v), v);
    }
    s = skip_ws(s, e);
    if (s < e && *s >= '0' && *s <= '9') {
        const char *t = s;
        while (s < e && *s >= '0' && *s <= '9')
            s++;
        char buf[32];
        size_t tl = (size_t)(s - t);
        errno = 0;
        if (tl < sizeof(buf)) {
            memcpy(buf, t, tl);
            buf[tl] = '\0';
            p->ts_ms = strtoll(buf, NULL, 10);
        }
        if (tl >= sizeof(buf) || errno == ERANGE)
            return lazy_labels ? sample_eager(p, line, e)
                               : expo_fail(p, t, "timestamp out of range");
        p->has_ts = 1;
        s = skip_ws(s, e);
        if (s < e && *s != '\n')
            return lazy_labels ? sample_eager(p, line, e)
                               : expo_fail(p, s, "expected end of line after timestamp");
    } else if (s < e && *s != '\n') {
        return lazy_labels ? sample_eager(p, line, e)
                           : expo_fail(p, s, "expected timestamp or end of line");
    }
    if (lazy_labels) {
        p->pending_labels = lazy_labels;
        p->pending_line = p->line;
        p->pending_ls = p->ls;
    } else if (expo_build_labels(p, line) < 0) {
        return EXPO_ERROR;
    }
    expo_classify(p);
    next_line(p, s);
    return EXPO_SERIES;
}

/* The line again without lazy labels, for the error an eager parse finds first. */
static enum expo_entry sample_eager(struct expo_parser *p, const char *line, const char *e)
{
    enum expo_entry r;

    p->scratch_len = 0;
    p->npairs = 0;
    p->has_ts = 0;
    p->lazy = 0;
    r = sample(p, line, e);
    p->lazy = 1;
    return r;
}

int expo_text_series_labels(struct expo_parser *p)
{
    const char *s = p->pending_labels, *after;
    unsigned line = p->line;
    const char *ls = p->ls;

    if (!s)
        return 0;
    p->pending_labels = NULL;
    /* Errors are located on the sample's line, as the eager parse locates them. */
    p->line = p->pending_line;
    p->ls = p->pending_ls;
    if (labels(p, s, p->end, &after) == EXPO_ERROR || expo_build_labels(p, p->series) < 0) {
        p->line = line;
        p->ls = ls;
        return -1;
    }
    p->line = line;
    p->ls = ls;
    return 0;
}

enum expo_entry expo_text_next(struct expo_parser *p)
{
    const char *e = p->end;
    for (;;) {
        const char *s = skip_ws(p->pos, e);
        p->entry_line = p->line;
        if (s >= e || *s == '\0')
            return EXPO_EOF;
        if (*s == '\n') {
            next_line(p, s);
            continue;
        }
        if (*s == '#')
            return comment(p, s, e);
        if (expo_scan_name(s, e, 1) != s)
            return sample(p, s, e);
        return expo_fail(p, s, "expected metric name, '#' or end of line");
    }
}
