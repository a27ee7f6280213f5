#include "diag.h"
#include "printable.h"
#include "strbuf.h"
#include "xmalloc.h"

#include <stdlib.h>
#include <string.h>

void diag_init(struct diag *d)
{
    memset(d, 0, sizeof(*d));
    d->max_errors = DIAG_DEFAULT_MAX_ERRORS;
}

void diag_clear(struct diag *d)
{
    for (size_t i = 0; i < d->n; i++) {
        free(d->v[i].file);
        free(d->v[i].msg);
    }
    d->n = 0;
    d->nerrors = 0;
    d->nraised = 0;
    d->dropped = 0;
}

void diag_release(struct diag *d)
{
    diag_clear(d);
    free(d->v);
    for (size_t i = 0; i < d->nsrc; i++) {
        free(d->src[i].name);
        free(d->src[i].text);
    }
    free(d->src);
    diag_init(d);
}

/* The same message at the same place says nothing new (a template used twice). */
static int seen(const struct diag *d, enum diag_severity sev, const struct srcloc *loc,
                const char *msg)
{
    for (size_t i = 0; i < d->n; i++) {
        const struct diag_entry *e = &d->v[i];
        if (e->severity == sev && strcmp(e->msg, msg) == 0 &&
            (e->file == NULL) == (!loc || !loc->file) &&
            (!e->file || (strcmp(e->file, loc->file) == 0 && e->loc.line == loc->line &&
                          e->loc.col == loc->col)))
            return 1;
    }
    return 0;
}

void diag_vadd(struct diag *d, enum diag_severity sev, const struct srcloc *loc, const char *fmt,
               va_list ap)
{
    struct strbuf sb = STRBUF_INIT;
    struct diag_entry *e;

    strbuf_vaddf(&sb, fmt, ap);
    if (sev == DIAG_ERROR)
        d->nraised++;
    if (seen(d, sev, loc, sb.buf)) {
        strbuf_release(&sb);
        return;
    }
    if (sev == DIAG_ERROR && d->nerrors++ >= d->max_errors) {
        d->dropped++;
        strbuf_release(&sb);
        return;
    }
    XGROW(d->v, d->alloc, d->n + 1);
    e = &d->v[d->n++];
    e->severity = sev;
    e->msg = strbuf_detach(&sb, NULL);
    e->file = loc && loc->file ? xstrdup(loc->file) : NULL;
    e->loc.file = e->file;
    e->loc.line = loc ? loc->line : 0;
    e->loc.col = loc ? loc->col : 0;
}

#define DIAG_FN(name, sev)                                                    \
    void name(struct diag *d, const struct srcloc *loc, const char *fmt, ...) \
    {                                                                         \
        va_list ap;                                                           \
        va_start(ap, fmt);                                                    \
        diag_vadd(d, sev, loc, fmt, ap);                                      \
        va_end(ap);                                                           \
    }

DIAG_FN(diag_error, DIAG_ERROR)
DIAG_FN(diag_warn, DIAG_WARNING)
DIAG_FN(diag_note, DIAG_NOTE)

int diag_has_errors(const struct diag *d)
{
    return d->nerrors > 0;
}

const char *diag_last(const struct diag *d)
{
    for (size_t i = d->n; i > 0; i--)
        if (d->v[i - 1].severity == DIAG_ERROR)
            return d->v[i - 1].msg;
    return "";
}

void diag_add_source(struct diag *d, const char *name, const char *text, size_t len)
{
    struct diag_source *s;

    XGROW(d->src, d->asrc, d->nsrc + 1);
    s = &d->src[d->nsrc++];
    s->name = xstrdup(name);
    s->text = xmalloc(len + 1);
    memcpy(s->text, text, len);
    s->text[len] = '\0';
    s->len = len;
}

static const char *severity_name(enum diag_severity sev)
{
    switch (sev) {
    case DIAG_ERROR:
        return "error";
    case DIAG_WARNING:
        return "warning";
    default:
        return "note";
    }
}

/* Find line (1-based) of a registered source; sets *len. */
static const char *source_line(const struct diag *d, const char *file, unsigned line, size_t *len)
{
    for (size_t i = 0; i < d->nsrc; i++) {
        const char *p, *end;
        unsigned n = 1;

        if (strcmp(d->src[i].name, file) != 0)
            continue;
        p = d->src[i].text;
        end = p + d->src[i].len;
        while (n < line && p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            if (!nl)
                return NULL;
            p = nl + 1;
            n++;
        }
        if (n != line || p > end)
            return NULL;
        *len = strcspn(p, "\r\n");
        return p;
    }
    return NULL;
}

/* The message escaped (it may quote AWS's error text or a value from the file) and cut. */
static void print_msg(const char *msg, FILE *out)
{
    struct strbuf sb = STRBUF_INIT;

    strbuf_add_printable(&sb, msg, DIAG_MSG_MAX);
    fprintf(out, "%s\n", sb.buf);
    strbuf_release(&sb);
}

static void print_entry(const struct diag *d, const struct diag_entry *e, FILE *out,
                        const char *prog)
{
    struct strbuf sb = STRBUF_INIT;
    const char *line;
    size_t len, col, from = 0;

    if (e->loc.file) {
        fprintf(out, "%s:", e->loc.file);
        if (e->loc.line)
            fprintf(out, "%u:", e->loc.line);
        if (e->loc.line && e->loc.col)
            fprintf(out, "%u:", e->loc.col);
        fprintf(out, " %s: ", severity_name(e->severity));
        print_msg(e->msg, out);
    } else {
        fprintf(out, "%s: %s: ", prog, severity_name(e->severity));
        print_msg(e->msg, out);
        return;
    }
    if (!e->loc.line || !(line = source_line(d, e->loc.file, e->loc.line, &len)))
        return;
    /* A column past the end (a NUL ends the line early) points just after it. */
    col = e->loc.col <= len ? e->loc.col : len + 1;
    /* A long line is shown as a window around the column, each cut end marked. */
    if (col > DIAG_SOURCE_MAX / 2 && len > DIAG_SOURCE_MAX)
        from = col - 1 - DIAG_SOURCE_MAX / 4;
    if (from + DIAG_SOURCE_MAX < len)
        len = from + DIAG_SOURCE_MAX;
    /* The user's own line: tabs kept for the caret, other control bytes shown as '?'. */
    strbuf_add(&sb, line + from, len - from);
    for (size_t i = 0; i < sb.len; i++)
        if (((unsigned char)sb.buf[i] < 0x20 && sb.buf[i] != '\t') || sb.buf[i] == 0x7F)
            sb.buf[i] = '?';
    fprintf(out, " %5u | %s%s", e->loc.line, from ? "..." : "", sb.buf);
    fputs(len < strcspn(line, "\r\n") ? "...\n" : "\n", out);
    if (e->loc.col) {
        fprintf(out, "       | %s", from ? "   " : "");
        /* Keep tabs so the caret lines up under tab-indented text. */
        for (size_t c = from + 1; c < col; c++)
            fputc(line[c - 1] == '\t' ? '\t' : ' ', out);
        fputs("^\n", out);
    }
    strbuf_release(&sb);
}

void diag_print(const struct diag *d, FILE *out, const char *prog)
{
    for (size_t i = 0; i < d->n; i++)
        print_entry(d, &d->v[i], out, prog);
    if (d->dropped)
        fprintf(out, "%s: note: %zu more error%s not shown\n", prog, d->dropped,
                d->dropped == 1 ? "" : "s");
}
