/* labels: see labels.h. */
#include "metrics/labels.h"
#include "core/hash.h"
#include "core/xmalloc.h"

#include <stdlib.h>
#include <string.h>

/* Separator between strings in a hash, as Prometheus uses 0xff (never in UTF-8). */
static const unsigned char sep = 0xff;

int labels_cmp(const struct labels *a, const struct labels *b)
{
    size_t n = a->n < b->n ? a->n : b->n;
    for (size_t i = 0; i < n; i++) {
        int c = strcmp(a->v[i].name, b->v[i].name);
        if (c == 0)
            c = strcmp(a->v[i].value, b->v[i].value);
        if (c != 0)
            return c < 0 ? -1 : 1;
    }
    return a->n < b->n ? -1 : a->n > b->n ? 1 : 0;
}

int labels_equal(const struct labels *a, const struct labels *b)
{
    return a->n == b->n && labels_cmp(a, b) == 0;
}

static uint64_t hash_from(const struct labels *ls, int skip_name)
{
    uint64_t h = 0x6c62272e07bb0142ull;
    for (size_t i = 0; i < ls->n; i++) {
        if (skip_name && strcmp(ls->v[i].name, LABELS_METRIC_NAME) == 0)
            continue;
        h = hash_mix(h, hash_bytes(ls->v[i].name, strlen(ls->v[i].name), sep));
        h = hash_mix(h, hash_bytes(ls->v[i].value, strlen(ls->v[i].value), sep));
    }
    return h;
}

uint64_t labels_hash(const struct labels *ls)
{
    return hash_from(ls, 0);
}

uint64_t labels_hash_without_name(const struct labels *ls)
{
    return hash_from(ls, 1);
}

const char *labels_get(const struct labels *ls, const char *name)
{
    size_t lo = 0, hi = ls->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(ls->v[mid].name, name);
        if (c == 0)
            return ls->v[mid].value;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

struct labels labels_dup(struct arena *a, const struct labels *ls)
{
    struct label *v = arena_alloc(a, (ls->n ? ls->n : 1) * sizeof(*v));
    for (size_t i = 0; i < ls->n; i++) {
        v[i].name = arena_strdup(a, ls->v[i].name);
        v[i].value = arena_strdup(a, ls->v[i].value);
    }
    return (struct labels){v, ls->n};
}

/* Length of the UTF-8 sequence at s (1 for an invalid byte), and its code point. */
static size_t utf8_next(const unsigned char *s, size_t n, unsigned *cp)
{
    unsigned c = s[0];
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || len > n)
        return *cp = 0xfffd, 1;
    unsigned v = len == 1 ? c : c & (0x7f >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return *cp = 0xfffd, 1;
        v = (v << 6) | (s[i] & 0x3f);
    }
    static const unsigned min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (v < min[len] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return *cp = 0xfffd, 1;
    *cp = v;
    return len;
}

int labels_quote(struct strbuf *sb, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    int rc = strbuf_addc(sb, '"');
    for (size_t i = 0; i < n && rc == 0;) {
        unsigned cp;
        size_t len = utf8_next(s + i, n - i, &cp);
        if (cp == 0xfffd && len == 1 && s[i] >= 0x80) {
            rc = strbuf_addf(sb, "\\x%02x", s[i]); /* invalid byte, as Go */
        } else if (cp == '"' || cp == '\\') {
            rc = strbuf_addc(sb, '\\') || strbuf_addc(sb, (char)cp);
        } else if (cp >= 0x20 && cp != 0x7f) {
            rc = strbuf_add(sb, s + i, len); /* printable (Go's IsPrint, approximately) */
        } else {
            static const char esc[] = "\a\b\f\n\r\t\v";
            static const char name[] = "abfnrtv";
            const char *e = cp ? strchr(esc, (int)cp) : NULL;
            rc = e ? strbuf_addc(sb, '\\') || strbuf_addc(sb, name[e - esc])
                   : strbuf_addf(sb, "\\x%02x", cp);
        }
        i += len;
    }
    return rc || strbuf_addc(sb, '"') ? -1 : 0;
}

int labels_format(const struct labels *ls, struct strbuf *sb)
{
    int rc = strbuf_addc(sb, '{');
    for (size_t i = 0; i < ls->n && rc == 0; i++) {
        if (i > 0)
            rc |= strbuf_adds(sb, ", ");
        rc |= strbuf_adds(sb, ls->v[i].name);
        rc |= strbuf_addc(sb, '=');
        rc |= labels_quote(sb, ls->v[i].value, strlen(ls->v[i].value));
    }
    return rc || strbuf_addc(sb, '}') ? -1 : 0;
}

static int valid(const char *s, size_t n, int colon)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                 (colon && c == ':') || (i > 0 && c >= '0' && c <= '9');
        if (!ok)
            return 0;
    }
    return 1;
}

int labels_valid_name(const char *s, size_t n)
{
    return valid(s, n, 0);
}

int labels_valid_metric_name(const char *s, size_t n)
{
    return valid(s, n, 1);
}

void labels_builder_init(struct labels_builder *b)
{
    memset(b, 0, sizeof(*b));
}

void labels_builder_release(struct labels_builder *b)
{
    free(b->v);
    memset(b, 0, sizeof(*b));
}

void labels_builder_push(struct labels_builder *b, const char *name, const char *value)
{
    if (b->n == b->alloc) {
        b->alloc = b->alloc ? 2 * b->alloc : 16;
        b->v = xrealloc(b->v, b->alloc * sizeof(*b->v));
    }
    b->v[b->n++] = (struct label){name, value};
}

void labels_builder_reset(struct labels_builder *b, const struct labels *base)
{
    b->n = 0;
    for (size_t i = 0; base && i < base->n; i++)
        labels_builder_push(b, base->v[i].name, base->v[i].value);
}

void labels_builder_del(struct labels_builder *b, const char *name)
{
    size_t j = 0;
    for (size_t i = 0; i < b->n; i++)
        if (strcmp(b->v[i].name, name) != 0)
            b->v[j++] = b->v[i];
    b->n = j;
}

void labels_builder_set(struct labels_builder *b, const char *name, const char *value)
{
    for (size_t i = 0; i < b->n; i++) {
        if (strcmp(b->v[i].name, name) == 0) {
            b->v[i].value = value;
            return;
        }
    }
    labels_builder_push(b, name, value);
}

static int by_name(const void *x, const void *y)
{
    return strcmp(((const struct label *)x)->name, ((const struct label *)y)->name);
}

int labels_builder_finish(struct labels_builder *b, struct labels *out, const char **dup)
{
    size_t j = 0;
    for (size_t i = 0; i < b->n; i++)
        if (b->v[i].value[0] != '\0')
            b->v[j++] = b->v[i];
    b->n = j;
    /* Parsers push in source order, which is usually sorted already. */
    int sorted = 1;
    for (size_t i = 1; i < b->n && sorted; i++)
        sorted = strcmp(b->v[i - 1].name, b->v[i].name) < 0;
    if (!sorted)
        qsort(b->v, b->n, sizeof(*b->v), by_name);
    *out = (struct labels){b->v, b->n};
    for (size_t i = 1; i < b->n; i++) {
        if (strcmp(b->v[i - 1].name, b->v[i].name) == 0) {
            if (dup)
                *dup = b->v[i].name;
            return -1;
        }
    }
    return 0;
}
