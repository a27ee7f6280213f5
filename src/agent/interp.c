#include "agent/interp.h"
#include "core/xmalloc.h"

#include <string.h>

int interp_has_expr(const char *s)
{
    return strstr(s, "${") != NULL;
}

int interp_valid_name(const char *s)
{
    if (!(*s >= 'a' && *s <= 'z'))
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return 0;
    return 1;
}

int interp_is_single(const struct interp *in)
{
    return in->n == 1 && in->parts[0].is_expr;
}

static int name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

/* A dotted path of non-empty names. */
static int valid_expr(const char *s, size_t len, struct strbuf *why)
{
    size_t seg = 0;

    if (len == 0) {
        strbuf_adds(why, "empty ${}");
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '.') {
            if (seg == 0)
                goto bad;
            seg = 0;
        } else if (name_char(s[i])) {
            seg++;
        } else {
            strbuf_addf(
                why, "'%c' is not allowed in ${%.*s}; write names joined by dots, as in ${vpc.id}",
                s[i], (int)len, s);
            return -1;
        }
    }
    if (seg)
        return 0;
bad:
    strbuf_addf(why, "'${%.*s}' has an empty name; write names joined by dots, as in ${vpc.id}",
                (int)len, s);
    return -1;
}

static void add_part(struct arena *a, struct interp *out, size_t *alloc, int is_expr,
                     const char *text, size_t len, size_t offset)
{
    struct interp_part *p;

    if (out->n == *alloc) {
        size_t n = *alloc ? *alloc * 2 : 4;
        struct interp_part *np = arena_alloc(a, n * sizeof(*np));
        if (out->n)
            memcpy(np, out->parts, out->n * sizeof(*np));
        out->parts = np;
        *alloc = n;
    }
    p = &out->parts[out->n++];
    p->is_expr = is_expr;
    p->text = arena_strndup(a, text, len);
    p->offset = offset;
}

int interp_parse(struct arena *a, const char *s, struct interp *out, size_t *err_offset,
                 struct strbuf *why)
{
    struct strbuf lit = STRBUF_INIT;
    size_t alloc = 0, lit_start = 0, i = 0;
    int ret = -1;

    out->parts = NULL;
    out->n = 0;
    while (s[i]) {
        if (s[i] == '$' && s[i + 1] == '$' && s[i + 2] == '{') {
            strbuf_adds(&lit, "${");
            i += 3;
        } else if (s[i] == '$' && s[i + 1] == '{') {
            const char *end = strchr(s + i + 2, '}');
            if (!end) {
                *err_offset = i;
                strbuf_adds(why, "'${' is not closed by '}' (write $${ for a literal ${)");
                goto out;
            }
            if (valid_expr(s + i + 2, (size_t)(end - s - i - 2), why) < 0) {
                *err_offset = i;
                goto out;
            }
            if (lit.len)
                add_part(a, out, &alloc, 0, lit.buf, lit.len, lit_start);
            strbuf_reset(&lit);
            add_part(a, out, &alloc, 1, s + i + 2, (size_t)(end - s - i - 2), i);
            i = (size_t)(end - s) + 1;
            lit_start = i;
        } else {
            strbuf_addc(&lit, s[i++]);
        }
    }
    if (lit.len || out->n == 0)
        add_part(a, out, &alloc, 0, lit.buf, lit.len, lit_start);
    ret = 0;
out:
    strbuf_release(&lit);
    return ret;
}
