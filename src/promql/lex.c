/* PromQL lexer: see lex.h. */
#include "promql/lex.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/xmalloc.h"
#include "metrics/labels.h"

const char *const pq_tok_text[T_NTOKENS] = {
    [T_EOF] = "EOF",
    [T_LPAREN] = "(",
    [T_RPAREN] = ")",
    [T_LBRACE] = "{",
    [T_RBRACE] = "}",
    [T_LBRACKET] = "[",
    [T_RBRACKET] = "]",
    [T_COMMA] = ",",
    [T_EQL] = "=",
    [T_COLON] = ":",
    [T_AT] = "@",
    [T_EQL_REGEX] = "=~",
    [T_NEQ_REGEX] = "!~",
    [T_ADD] = "+",
    [T_SUB] = "-",
    [T_MUL] = "*",
    [T_DIV] = "/",
    [T_MOD] = "%",
    [T_POW] = "^",
    [T_ATAN2] = "atan2",
    [T_EQLC] = "==",
    [T_NEQ] = "!=",
    [T_LSS] = "<",
    [T_GTR] = ">",
    [T_LTE] = "<=",
    [T_GTE] = ">=",
    [T_LAND] = "and",
    [T_LOR] = "or",
    [T_LUNLESS] = "unless",
    [T_SUM] = "sum",
    [T_AVG] = "avg",
    [T_COUNT] = "count",
    [T_MIN] = "min",
    [T_MAX] = "max",
    [T_GROUP] = "group",
    [T_STDDEV] = "stddev",
    [T_STDVAR] = "stdvar",
    [T_TOPK] = "topk",
    [T_BOTTOMK] = "bottomk",
    [T_COUNT_VALUES] = "count_values",
    [T_QUANTILE] = "quantile",
    [T_OFFSET] = "offset",
    [T_BY] = "by",
    [T_WITHOUT] = "without",
    [T_ON] = "on",
    [T_IGNORING] = "ignoring",
    [T_GROUP_LEFT] = "group_left",
    [T_GROUP_RIGHT] = "group_right",
    [T_BOOL] = "bool",
    [T_START] = "start",
    [T_END] = "end",
};

struct lexer {
    struct arena *a;
    const char *s;
    size_t len, pos;
    int paren_depth, brace_open, bracket_open, got_colon;
    struct pq_token *v;
    size_t n, alloc;
};

static int is_alpha(int c)
{
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}
static int is_alnum(int c)
{
    return is_alpha(c) || is_digit(c);
}
static int peek(struct lexer *l, size_t off)
{
    return l->pos + off < l->len ? (unsigned char)l->s[l->pos + off] : -1;
}

static void emit(struct lexer *l, enum pq_tok t, size_t start)
{
    if (l->n == l->alloc) {
        l->alloc = l->alloc ? l->alloc * 2 : 32;
        l->v = xrealloc(l->v, l->alloc * sizeof(*l->v));
    }
    l->v[l->n].type = t;
    l->v[l->n].pos = (unsigned)start;
    l->v[l->n].len = (unsigned)(l->pos - start);
    l->v[l->n].err = NULL;
    l->n++;
}

static int fail(struct lexer *l, size_t start, const char *msg)
{
    emit(l, T_ERROR, start);
    l->v[l->n - 1].err = msg;
    return -1;
}

static int accept(struct lexer *l, const char *set)
{
    int c = peek(l, 0);
    if (c > 0 && strchr(set, c)) {
        l->pos++;
        return 1;
    }
    return 0;
}

static void accept_run(struct lexer *l, const char *set)
{
    while (accept(l, set))
        ;
}

/* lex.go scanNumber: true when a number ends here (not followed by a letter). */
static int scan_number(struct lexer *l)
{
    const char *digits = "0123456789";
    if (accept(l, "0") && accept(l, "xX"))
        digits = "0123456789abcdefABCDEF";
    accept_run(l, digits);
    if (accept(l, "."))
        accept_run(l, digits);
    if (accept(l, "eE")) {
        accept(l, "+-");
        accept_run(l, "0123456789");
    }
    return !is_alnum(peek(l, 0));
}

static int accept_remaining_duration(struct lexer *l)
{
    if (!accept(l, "smhdwy"))
        return 0;
    accept(l, "s");
    while (accept(l, "0123456789")) {
        accept_run(l, "0123456789");
        if (!accept(l, "smhdwy"))
            return 0;
        accept(l, "s");
    }
    return !is_alnum(peek(l, 0));
}

/* %#U of Go: U+0071 'q'. */
static const char *go_rune(struct lexer *l, int c)
{
    if (c < 0)
        return "U+FFFD '\xef\xbf\xbd'";
    if (c < 0x20 || c == 0x7f)
        return arena_printf(l->a, "U+%04X", c);
    return arena_printf(l->a, "U+%04X '%c'", c, c);
}

static int is_hex(int c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* lex.go lexEscape: what may follow a backslash in a quoted string. */
static int lex_escape(struct lexer *l, size_t start, int q)
{
    int c = peek(l, 0);
    int n = 0, base = 16;
    if (c < 0 || c == '\n')
        return fail(l, start, "escape sequence not terminated");
    l->pos++;
    if (strchr("abfnrtv\\", c) || c == q)
        return 0;
    if (c >= '0' && c <= '7') {
        n = 2;
        base = 8;
    } else if (c == 'x') {
        n = 2;
    } else if (c == 'u') {
        n = 4;
    } else if (c == 'U') {
        n = 8;
    } else {
        return fail(l, start, arena_printf(l->a, "unknown escape sequence %s", go_rune(l, c)));
    }
    unsigned long v = base == 8 ? (unsigned long)(c - '0') : 0;
    for (int i = 0; i < n; i++) {
        int d = peek(l, 0);
        if (d < 0 || d == '\n')
            return fail(l, start, "escape sequence not terminated");
        if (base == 8 ? !(d >= '0' && d <= '7') : !is_hex(d))
            return fail(
                l, start,
                arena_printf(l->a, "illegal character %s in escape sequence", go_rune(l, d)));
        v = v * (unsigned long)base + (unsigned long)(d <= '9' ? d - '0' : (d | 0x20) - 'a' + 10);
        l->pos++;
    }
    if ((base == 8 && v > 255) ||
        (c != 'x' && base == 16 && (v > 0x10ffff || (v >= 0xd800 && v < 0xe000))))
        return fail(l, start, "escape sequence is an invalid Unicode code point");
    return 0;
}

static int lex_string(struct lexer *l, size_t start, int q)
{
    for (;;) {
        int c = peek(l, 0);
        if (c < 0 || (c == '\n' && q != '`'))
            return fail(l, start,
                        q == '`' ? "unterminated raw string" : "unterminated quoted string");
        l->pos++;
        if (c == '\\' && q != '`') {
            if (lex_escape(l, start, q) < 0)
                return -1;
            continue;
        }
        if (c == q)
            break;
    }
    emit(l, T_STRING, start);
    return 0;
}

static char *errf(struct lexer *l, const char *fmt, size_t start)
{
    return arena_printf(l->a, fmt, (int)(l->pos - start), l->s + start);
}

static int lex_word(struct lexer *l, size_t start, int in_braces)
{
    while (is_alnum(peek(l, 0)) || (!in_braces && peek(l, 0) == ':'))
        l->pos++;
    size_t n = l->pos - start;
    if (in_braces) {
        emit(l, T_IDENT, start);
        return 0;
    }
    char w[16];
    if (n < sizeof(w)) {
        for (size_t i = 0; i < n; i++)
            w[i] = (char)tolower((unsigned char)l->s[start + i]);
        w[n] = 0;
        if (!strcmp(w, "inf") || !strcmp(w, "nan")) {
            emit(l, T_NUMBER, start);
            return 0;
        }
        for (int t = T_ATAN2; t < T_NTOKENS; t++) {
            if (t >= T_EQLC && t <= T_GTE)
                continue;
            if (pq_tok_text[t] && !strcmp(pq_tok_text[t], w)) {
                emit(l, (enum pq_tok)t, start);
                return 0;
            }
        }
    }
    emit(l, memchr(l->s + start, ':', n) ? T_METRIC_IDENT : T_IDENT, start);
    return 0;
}

static int lex_inside_braces(struct lexer *l)
{
    size_t start = l->pos;
    int c = peek(l, 0);
    if (c < 0)
        return fail(l, start, "unexpected end of input inside braces");
    l->pos++;
    if (is_alpha(c))
        return lex_word(l, start, 1);
    switch (c) {
    case ',':
        emit(l, T_COMMA, start);
        return 0;
    case '"':
    case '\'':
    case '`':
        return lex_string(l, start, c);
    case '=':
        if (accept(l, "~"))
            emit(l, T_EQL_REGEX, start);
        else
            emit(l, T_EQL, start);
        return 0;
    case '!':
        if (accept(l, "~"))
            emit(l, T_NEQ_REGEX, start);
        else if (accept(l, "="))
            emit(l, T_NEQ, start);
        else
            return fail(l, start,
                        arena_printf(l->a, "unexpected character after '!' inside braces: '%c'",
                                     peek(l, 0) < 0 ? ' ' : peek(l, 0)));
        return 0;
    case '{':
        return fail(l, start, "unexpected left brace '{'");
    case '}':
        l->brace_open = 0;
        emit(l, T_RBRACE, start);
        return 0;
    }
    return fail(l, start, arena_printf(l->a, "unexpected character inside braces: '%c'", c));
}

/* The operators that are one character whatever follows them (T_EOF, 0: not one). */
static const enum pq_tok single_char[128] = {
    [','] = T_COMMA, ['*'] = T_MUL, ['/'] = T_DIV, ['%'] = T_MOD,
    ['+'] = T_ADD,   ['-'] = T_SUB, ['^'] = T_POW, ['@'] = T_AT,
};

static int lex_statement(struct lexer *l)
{
    size_t start = l->pos;
    int c = peek(l, 0);
    if (c < 0) {
        if (l->paren_depth)
            return fail(l, start, "unclosed left parenthesis");
        if (l->bracket_open)
            return fail(l, start, "unclosed left bracket");
        emit(l, T_EOF, start);
        return 1;
    }
    l->pos++;
    if (is_digit(c) || (c == '.' && is_digit(peek(l, 0)))) {
        l->pos = start;
        if (l->bracket_open) {
            if (scan_number(l))
                return fail(l, start, "missing unit character in duration");
            if (!accept_remaining_duration(l))
                return fail(l, start, errf(l, "bad duration syntax: \"%.*s\"", start));
            emit(l, T_DURATION, start);
            return 0;
        }
        if (scan_number(l)) {
            emit(l, T_NUMBER, start);
            return 0;
        }
        if (accept_remaining_duration(l)) {
            emit(l, T_DURATION, start);
            return 0;
        }
        return fail(l, start, errf(l, "bad number or duration syntax: \"%.*s\"", start));
    }
    if (is_alpha(c) || c == ':') {
        if (l->bracket_open && c == ':') {
            if (l->got_colon)
                return fail(l, start, "unexpected colon ':'");
            l->got_colon = 1;
            emit(l, T_COLON, start);
            return 0;
        }
        if (l->bracket_open)
            return fail(l, start, arena_printf(l->a, "unexpected character: '%c'", c));
        return lex_word(l, start, 0);
    }
    if (c < 128 && single_char[c]) {
        emit(l, single_char[c], start);
        return 0;
    }
    switch (c) {
    case ' ':
    case '\t':
    case '\n':
    case '\r':
        return 0;
    case '#':
        while (peek(l, 0) >= 0 && peek(l, 0) != '\n')
            l->pos++;
        return 0;
    case '=':
        if (accept(l, "="))
            emit(l, T_EQLC, start);
        else if (peek(l, 0) == '~')
            return fail(l, start, "unexpected character after '=': '~'");
        else
            emit(l, T_EQL, start);
        return 0;
    case '!':
        if (accept(l, "="))
            emit(l, T_NEQ, start);
        else
            return fail(l, start,
                        arena_printf(l->a, "unexpected character after '!': '%s'",
                                     peek(l, 0) < 0 ? "\xef\xbf\xbd"
                                                    : arena_strndup(l->a, l->s + l->pos, 1)));
        return 0;
    case '<':
        emit(l, accept(l, "=") ? T_LTE : T_LSS, start);
        return 0;
    case '>':
        emit(l, accept(l, "=") ? T_GTE : T_GTR, start);
        return 0;
    case '"':
    case '\'':
    case '`':
        return lex_string(l, start, c);
    case '(':
        l->paren_depth++;
        emit(l, T_LPAREN, start);
        return 0;
    case ')':
        if (l->paren_depth == 0)
            return fail(l, start + 1, "unexpected right parenthesis ')'");
        l->paren_depth--;
        emit(l, T_RPAREN, start);
        return 0;
    case '{':
        l->brace_open = 1;
        emit(l, T_LBRACE, start);
        return 0;
    case '}':
        return fail(l, start, "unexpected character: '}'");
    case '[':
        if (l->bracket_open)
            return fail(l, start, "unexpected left bracket '['");
        l->bracket_open = 1;
        l->got_colon = 0;
        emit(l, T_LBRACKET, start);
        return 0;
    case ']':
        if (!l->bracket_open)
            return fail(l, start, "unexpected right bracket ']'");
        l->bracket_open = 0;
        emit(l, T_RBRACKET, start);
        return 0;
    }
    return fail(l, start, arena_printf(l->a, "unexpected character: '%c'", c));
}

size_t pq_lex(struct arena *a, const char *query, size_t len, struct pq_token **out)
{
    struct lexer l = {.a = a, .s = query, .len = len};
    for (;;) {
        int r;
        if (l.brace_open) {
            int c = peek(&l, 0);
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
                l.pos++;
                continue;
            }
            if (c == '#') {
                while (peek(&l, 0) >= 0 && peek(&l, 0) != '\n')
                    l.pos++;
                continue;
            }
            r = lex_inside_braces(&l);
        } else {
            r = lex_statement(&l);
        }
        if (r)
            break;
    }
    *out = arena_memdup(a, l.v, l.n * sizeof(*l.v));
    size_t n = l.n;
    free(l.v);
    return n;
}

const char *pq_token_desc(struct arena *a, const char *q, const struct pq_token *t)
{
    int n = (int)t->len;
    const char *s = q + t->pos;
    switch (t->type) {
    case T_EOF:
        return "end of input";
    case T_ERROR:
        return t->err;
    case T_IDENT:
        return arena_printf(a, "identifier \"%.*s\"", n, s);
    case T_METRIC_IDENT:
        return arena_printf(a, "metric identifier \"%.*s\"", n, s);
    case T_NUMBER:
        return arena_printf(a, "number \"%.*s\"", n, s);
    case T_DURATION:
        return arena_printf(a, "duration \"%.*s\"", n, s);
    case T_STRING: {
        struct strbuf sb = STRBUF_INIT;
        labels_quote(&sb, s, t->len);
        const char *r = arena_printf(a, "string %s", sb.buf);
        strbuf_release(&sb);
        return r;
    }
    default:
        break;
    }
    if (t->type >= T_ADD && t->type <= T_LUNLESS)
        return arena_printf(a, "<op:%.*s>", n, s);
    if (pq_tok_is_aggr(t->type))
        return arena_printf(a, "<aggr:%.*s>", n, s);
    if (t->type >= T_OFFSET)
        return arena_printf(a, "<%.*s>", n, s);
    if (t->type == T_AT || t->type == T_EQL_REGEX || t->type == T_NEQ_REGEX)
        return arena_printf(a, "<op:%.*s>", n, s);
    return arena_printf(a, "\"%.*s\"", n, s);
}
