/*
 * Diagnostics: the explicit carrier of "why" for every failing call.
 * Functions return 0/-1 (or an enum) and append the reason here. Each entry
 * may carry a source location; diag_print() renders GCC-style
 * "file:line:col: error: msg" with the source line and a caret.
 */
#ifndef CAIRN_DIAG_H
#define CAIRN_DIAG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

struct srcloc {
    const char *file; /* NULL: no location */
    unsigned line;    /* 1-based; 0 unknown */
    unsigned col;     /* 1-based; 0 unknown */
};

enum diag_severity { DIAG_ERROR, DIAG_WARNING, DIAG_NOTE };

/* diag_print() cuts a message after DIAG_MSG_MAX bytes and shows at most DIAG_SOURCE_MAX bytes
 * of a source line (a window around the column); values in messages are escaped. */
#define DIAG_MSG_MAX    1000
#define DIAG_SOURCE_MAX 160

struct diag_entry {
    enum diag_severity severity;
    struct srcloc loc;
    char *file; /* owned copy of loc.file */
    char *msg;
};

struct diag_source {
    char *name;
    char *text;
    size_t len;
};

struct diag {
    struct diag_entry *v;
    size_t n, alloc;
    size_t nerrors;
    size_t nraised; /* errors raised, counting repeats that were not kept: "did this step fail?" */
    size_t max_errors; /* entries past this many errors are counted, not kept */
    size_t dropped;
    struct diag_source *src;
    size_t nsrc, asrc;
};

#define DIAG_DEFAULT_MAX_ERRORS 50

void diag_init(struct diag *d);
void diag_release(struct diag *d);
/* Forget the entries (sources stay). */
void diag_clear(struct diag *d);

void diag_error(struct diag *d, const struct srcloc *loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void diag_warn(struct diag *d, const struct srcloc *loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void diag_note(struct diag *d, const struct srcloc *loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void diag_vadd(struct diag *d, enum diag_severity sev, const struct srcloc *loc, const char *fmt,
               va_list ap);

int diag_has_errors(const struct diag *d);
/* Message of the most recent error, or "" when there is none. */
const char *diag_last(const struct diag *d);

/* Register the text of a file so diag_print() can show its lines. */
void diag_add_source(struct diag *d, const char *name, const char *text, size_t len);

/* Print every entry; prog prefixes entries without a location ("cairn: error: ..."). */
void diag_print(const struct diag *d, FILE *out, const char *prog);

#endif
