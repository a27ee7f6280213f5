/*
 * strbuf: a growable, always NUL-terminated byte string with an optional
 * size cap. Untrusted input (HTTP bodies, files) goes through a capped
 * strbuf so a hostile peer cannot make cairn allocate without bound.
 */
#ifndef CAIRN_STRBUF_H
#define CAIRN_STRBUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define STRBUF_NOCAP SIZE_MAX

struct strbuf {
    char *buf;    /* never NULL; "" until something is added */
    size_t len;   /* bytes in use, not counting the NUL */
    size_t alloc; /* bytes allocated, 0 while buf is the shared empty string */
    size_t cap;   /* largest len allowed */
};

#define STRBUF_INIT                      \
    {                                    \
        strbuf_empty, 0, 0, STRBUF_NOCAP \
    }
extern char strbuf_empty[];

void strbuf_init(struct strbuf *sb, size_t cap);
void strbuf_release(struct strbuf *sb);
/* Forget the contents but keep the memory. */
void strbuf_reset(struct strbuf *sb);
/* Like strbuf_release() but overwrite the bytes first: for secrets. */
void strbuf_wipe(struct strbuf *sb);

/* Each add returns 0, or -1 (and adds nothing) if the cap would be exceeded. */
int strbuf_add(struct strbuf *sb, const void *data, size_t n);
int strbuf_adds(struct strbuf *sb, const char *s);
int strbuf_addc(struct strbuf *sb, char c);
int strbuf_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap);
/* Make room for n more bytes at once (one allocation for a large text): 0, or -1 past the cap. */
int strbuf_reserve(struct strbuf *sb, size_t n);
/* Lowercase hex of n bytes. */
int strbuf_addhex(struct strbuf *sb, const unsigned char *p, size_t n);

/*
 * s as text safe to print on a terminal or in a CI log: C0 and C1 control characters, DEL, the
 * Unicode line and paragraph separators and bytes that are not UTF-8 become visible escapes
 * (\n, \t, \x1b, \u0085, \u2028, \xff), so that a value from AWS or a file can neither start
 * a line of its own (a GitHub "::error::" workflow command) nor reach the terminal as an escape
 * sequence. At most max bytes of s are taken (SIZE_MAX: all); a cut adds "...".
 */
int strbuf_add_printable(struct strbuf *sb, const char *s, size_t max);

void strbuf_setlen(struct strbuf *sb, size_t len);
/* Remove leading and trailing whitespace. */
void strbuf_trim(struct strbuf *sb);
/* Hand the buffer to the caller (free() it); sb is left empty. */
char *strbuf_detach(struct strbuf *sb, size_t *len);

/* Read a whole file into sb (up to sb->cap). Returns 0, or -1 with errno set (EFBIG for cap). */
int strbuf_read_file(struct strbuf *sb, const char *path);

#endif
