#include "strbuf.h"
#include "xmalloc.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char strbuf_empty[1];

void strbuf_init(struct strbuf *sb, size_t cap)
{
    sb->buf = strbuf_empty;
    sb->len = 0;
    sb->alloc = 0;
    sb->cap = cap;
}

void strbuf_release(struct strbuf *sb)
{
    if (sb->alloc)
        free(sb->buf);
    strbuf_init(sb, sb->cap);
}

void strbuf_wipe(struct strbuf *sb)
{
    if (sb->alloc) {
        volatile char *p = sb->buf;
        for (size_t i = 0; i < sb->alloc; i++)
            p[i] = 0;
    }
    strbuf_release(sb);
}

void strbuf_reset(struct strbuf *sb)
{
    strbuf_setlen(sb, 0);
}

void strbuf_setlen(struct strbuf *sb, size_t len)
{
    if (!sb->alloc)
        return;
    if (len > sb->len)
        len = sb->len;
    sb->len = len;
    sb->buf[len] = '\0';
}

void strbuf_trim(struct strbuf *sb)
{
    size_t b = 0, e = sb->len;

    while (b < e && isspace((unsigned char)sb->buf[b]))
        b++;
    while (e > b && isspace((unsigned char)sb->buf[e - 1]))
        e--;
    if (b)
        memmove(sb->buf, sb->buf + b, e - b);
    strbuf_setlen(sb, e - b);
}

static int grow(struct strbuf *sb, size_t extra)
{
    size_t need;

    if (extra > sb->cap || sb->len > sb->cap - extra)
        return -1;
    need = sb->len + extra + 1;
    if (need <= sb->alloc)
        return 0;
    if (!sb->alloc) {
        size_t n = need < 64 ? 64 : need;
        sb->buf = xmalloc(n);
        sb->buf[0] = '\0';
        sb->alloc = n;
        return 0;
    }
    xgrow((void **)&sb->buf, &sb->alloc, need, 1);
    return 0;
}

int strbuf_reserve(struct strbuf *sb, size_t n)
{
    return grow(sb, n);
}

int strbuf_add(struct strbuf *sb, const void *data, size_t n)
{
    if (grow(sb, n) < 0)
        return -1;
    if (n)
        memcpy(sb->buf + sb->len, data, n);
    sb->len += n;
    sb->buf[sb->len] = '\0';
    return 0;
}

int strbuf_adds(struct strbuf *sb, const char *s)
{
    return strbuf_add(sb, s, strlen(s));
}

int strbuf_addc(struct strbuf *sb, char c)
{
    return strbuf_add(sb, &c, 1);
}

int strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
{
    va_list cp;
    int n;

    va_copy(cp, ap);
    n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n < 0 || grow(sb, (size_t)n) < 0)
        return -1;
    vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
    sb->len += (size_t)n;
    return 0;
}

int strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = strbuf_vaddf(sb, fmt, ap);
    va_end(ap);
    return r;
}

int strbuf_addhex(struct strbuf *sb, const unsigned char *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";

    if (n > SIZE_MAX / 2 || grow(sb, n * 2) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        sb->buf[sb->len++] = hex[p[i] >> 4];
        sb->buf[sb->len++] = hex[p[i] & 15];
    }
    sb->buf[sb->len] = '\0';
    return 0;
}

/* Length of the UTF-8 sequence at p (1-4), or 0 when it is not one. */
static size_t utf8_seq(const unsigned char *p)
{
    size_t n = p[0] >= 0xF0 && p[0] <= 0xF4 ? 4 : p[0] >= 0xE0 ? 3 : p[0] >= 0xC2 ? 2 : 0;

    if (p[0] >= 0xF5)
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

int strbuf_add_printable(struct strbuf *sb, const char *s, size_t max)
{
    const unsigned char *p = (const unsigned char *)s, *start = p;
    int ret = 0;

    for (; *p && ret == 0; p++) {
        size_t n;
        if ((size_t)(p - start) >= max)
            return strbuf_adds(sb, "...");
        if (*p == '\n')
            ret = strbuf_adds(sb, "\\n");
        else if (*p == '\r')
            ret = strbuf_adds(sb, "\\r");
        else if (*p == '\t')
            ret = strbuf_adds(sb, "\\t");
        else if (*p < 0x20 || *p == 0x7F)
            ret = strbuf_addf(sb, "\\x%02x", *p);
        else if (*p < 0x80)
            ret = strbuf_addc(sb, (char)*p);
        else if (!(n = utf8_seq(p)))
            ret = strbuf_addf(sb, "\\x%02x", *p);
        else if (n == 2 && p[0] == 0xC2 && p[1] < 0xA0) /* C1: U+0080..U+009F */
            ret = strbuf_addf(sb, "\\u%04x", p[1]), p += 1;
        else if (n == 3 && p[0] == 0xE2 && p[1] == 0x80 && (p[2] == 0xA8 || p[2] == 0xA9))
            ret = strbuf_addf(sb, "\\u20%02x", p[2] - 0x80), p += 2;
        else
            ret = strbuf_add(sb, p, n), p += n - 1;
    }
    return ret;
}

char *strbuf_detach(struct strbuf *sb, size_t *len)
{
    char *p;

    if (len)
        *len = sb->len;
    p = sb->alloc ? sb->buf : xstrdup("");
    strbuf_init(sb, sb->cap);
    return p;
}

int strbuf_read_file(struct strbuf *sb, const char *path)
{
    char chunk[8192];
    FILE *f = fopen(path, "rb");
    size_t n;
    int ret = -1, saved;

    if (!f)
        return -1;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (strbuf_add(sb, chunk, n) < 0) {
            errno = EFBIG;
            goto out;
        }
    }
    if (ferror(f)) {
        errno = EIO;
        goto out;
    }
    ret = 0;
out:
    saved = errno;
    fclose(f);
    errno = saved;
    return ret;
}
