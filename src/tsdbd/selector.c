/* selector: parse a series selector into label matchers (see selector.h). */
#include "tsdbd/selector.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hex.h"
#include "core/strbuf.h"
#include "core/xmalloc.h"

struct lex {
    const char *s, *p;
    struct diag *d;
};

static void skip_ws(struct lex *l)
{
    while (*l->p == ' ' || *l->p == '\t' || *l->p == '\n' || *l->p == '\r')
        l->p++;
}

static int fail(struct lex *l, const char *what)
{
    diag_error(l->d, NULL, "1:%d: parse error: %s", (int)(l->p - l->s) + 1, what);
    return -1;
}

static int ident(struct lex *l, struct strbuf *out, int metric)
{
    const char *b = l->p;
    while (isalnum((unsigned char)*l->p) || *l->p == '_' || (metric && *l->p == ':'))
        l->p++;
    if (l->p == b || isdigit((unsigned char)*b))
        return -1;
    strbuf_add(out, b, (size_t)(l->p - b));
    return 0;
}

static void put_utf8(struct strbuf *o, unsigned cp)
{
    if (cp < 0x80) {
        strbuf_addc(o, (char)cp);
    } else if (cp < 0x800) {
        strbuf_addc(o, (char)(0xc0 | cp >> 6));
        strbuf_addc(o, (char)(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
        strbuf_addc(o, (char)(0xe0 | cp >> 12));
        strbuf_addc(o, (char)(0x80 | ((cp >> 6) & 0x3f)));
        strbuf_addc(o, (char)(0x80 | (cp & 0x3f)));
    } else {
        strbuf_addc(o, (char)(0xf0 | cp >> 18));
        strbuf_addc(o, (char)(0x80 | ((cp >> 12) & 0x3f)));
        strbuf_addc(o, (char)(0x80 | ((cp >> 6) & 0x3f)));
        strbuf_addc(o, (char)(0x80 | (cp & 0x3f)));
    }
}

static int string(struct lex *l, struct strbuf *o)
{
    char q = *l->p;
    if (q != '"' && q != '\'' && q != '`') {
        /* Prometheus's parser names the token it found. */
        if (!q)
            return fail(l, "unexpected end of input inside braces");
        if (strchr("{}(),", q)) {
            char msg[64];
            snprintf(msg, sizeof msg, "unexpected \"%c\" in label matching, expected string", q);
            return fail(l, msg);
        }
        return fail(l, "unexpected character, expected string");
    }
    l->p++;
    while (*l->p && *l->p != q) {
        if (*l->p == '\\' && q != '`') {
            l->p++;
            char c = *l->p++;
            int n = 0;
            switch (c) {
            case 'n':
                strbuf_addc(o, '\n');
                break;
            case 't':
                strbuf_addc(o, '\t');
                break;
            case 'r':
                strbuf_addc(o, '\r');
                break;
            case 'a':
                strbuf_addc(o, '\a');
                break;
            case 'b':
                strbuf_addc(o, '\b');
                break;
            case 'f':
                strbuf_addc(o, '\f');
                break;
            case 'v':
                strbuf_addc(o, '\v');
                break;
            case '\\':
            case '"':
            case '\'':
                strbuf_addc(o, c);
                break;
            case 'x':
                n = 2;
                break;
            case 'u':
                n = 4;
                break;
            case 'U':
                n = 8;
                break;
            default:
                if (c >= '0' && c <= '7' && l->p[0] >= '0' && l->p[0] <= '7' && l->p[1] >= '0' &&
                    l->p[1] <= '7') {
                    strbuf_addc(o, (char)((c - '0') * 64 + (l->p[0] - '0') * 8 + l->p[1] - '0'));
                    l->p += 2;
                    break;
                }
                return fail(l, "unknown escape sequence");
            }
            if (n) {
                unsigned v = 0;
                for (int i = 0; i < n; i++) {
                    if (!isxdigit((unsigned char)l->p[i]))
                        return fail(l, "invalid escape sequence");
                    v = v * 16 + (unsigned)hex_digit(l->p[i]);
                }
                l->p += n;
                if (c == 'x')
                    strbuf_addc(o, (char)v);
                else
                    put_utf8(o, v);
            }
            continue;
        }
        strbuf_addc(o, *l->p++);
    }
    if (*l->p != q)
        return fail(l, "unterminated quoted string");
    l->p++;
    return 0;
}

static int add(struct selector *s, enum matcher_type t, const char *name, const char *value,
               struct diag *d)
{
    xgrow((void **)&s->m, &s->alloc, s->n + 1, sizeof *s->m);
    if (matcher_init(&s->m[s->n], t, name, value, d) != 0)
        return -1;
    s->n++;
    return 0;
}

int selector_parse(struct selector *s, const char *text, struct diag *d)
{
    struct lex l = {text, text, d};
    struct strbuf name, lname, val;
    int rc = -1, has_name = 0;
    memset(s, 0, sizeof *s);
    strbuf_init(&name, 4096);
    strbuf_init(&lname, 4096);
    strbuf_init(&val, 1 << 20);
    skip_ws(&l);
    if (*l.p != '{') {
        if (ident(&l, &name, 1) != 0) {
            fail(&l, "unexpected character in selector");
            goto out;
        }
        has_name = 1;
        if (add(s, MATCH_EQ, "__name__", name.buf, d) != 0)
            goto out;
        skip_ws(&l);
    }
    if (*l.p == '{') {
        l.p++;
        for (;;) {
            skip_ws(&l);
            if (*l.p == '}')
                break;
            strbuf_reset(&lname);
            strbuf_reset(&val);
            if (ident(&l, &lname, 0) != 0) {
                fail(&l, *l.p ? "unexpected character inside braces, expected label name"
                              : "unexpected end of input inside braces");
                goto out;
            }
            skip_ws(&l);
            enum matcher_type t;
            if (!strncmp(l.p, "=~", 2))
                t = MATCH_RE, l.p += 2;
            else if (!strncmp(l.p, "!~", 2))
                t = MATCH_NRE, l.p += 2;
            else if (!strncmp(l.p, "!=", 2))
                t = MATCH_NE, l.p += 2;
            else if (*l.p == '=')
                t = MATCH_EQ, l.p++;
            else {
                fail(&l,
                     *l.p ? "unexpected character inside braces, expected label matching operator"
                          : "unexpected end of input inside braces");
                goto out;
            }
            skip_ws(&l);
            if (string(&l, &val) != 0)
                goto out;
            if (has_name && !strcmp(lname.buf, "__name__")) {
                diag_error(d, NULL, "1:%d: parse error: metric name must not be set twice",
                           (int)(l.p - l.s));
                goto out;
            }
            if (add(s, t, lname.buf, val.buf, d) != 0)
                goto out;
            skip_ws(&l);
            if (*l.p == ',') {
                l.p++;
                continue;
            }
            if (*l.p != '}') {
                fail(&l, *l.p ? "unexpected character inside braces, expected comma or '}'"
                              : "unexpected end of input inside braces");
                goto out;
            }
            break;
        }
        l.p++;
    }
    skip_ws(&l);
    if (*l.p) {
        fail(&l, "unexpected character after selector");
        goto out;
    }
    if (s->n == 0) {
        diag_error(d, NULL, "1:1: parse error: unexpected end of input");
        goto out;
    }
    rc = 0;
out:
    if (rc != 0)
        selector_release(s);
    strbuf_release(&name);
    strbuf_release(&lname);
    strbuf_release(&val);
    return rc;
}

void selector_release(struct selector *s)
{
    for (size_t i = 0; i < s->n; i++)
        matcher_release(&s->m[i]);
    free(s->m);
    memset(s, 0, sizeof *s);
}
