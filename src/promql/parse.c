/*
 * parse: a recursive-descent parser for PromQL with Prometheus 2.42's
 * grammar (promql/parser/generated_parser.y) and its checks (parse.go
 * checkAST), giving its error texts at its positions.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/hex.h"
#include "core/xmalloc.h"
#include "promql/ast.h"
#include "promql/funcs.h"
#include "promql/lex.h"

/* Deeper nesting is refused: the recursion must not exhaust the stack. */
#define PQ_MAX_DEPTH 400

struct parser {
    struct arena *a;
    const char *q;
    size_t qlen;
    struct pq_token *t;
    size_t nt, i;
    int depth;
    int failed;
    unsigned errpos;
    char *errmsg;
    struct pq_node **vs; /* every selector built, to free its regexes on failure */
    size_t nvs, avs;
};

static const struct pq_token *cur(struct parser *p)
{
    return &p->t[p->i];
}
static const struct pq_token *peek_at(struct parser *p, size_t k)
{
    return p->i + k < p->nt ? &p->t[p->i + k] : &p->t[p->nt - 1];
}
static int is(struct parser *p, enum pq_tok t)
{
    return cur(p)->type == t;
}
static void next(struct parser *p)
{
    if (p->i + 1 < p->nt)
        p->i++;
}

static void errat(struct parser *p, unsigned pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void errat(struct parser *p, unsigned pos, const char *fmt, ...)
{
    if (p->failed)
        return;
    va_list ap;
    va_start(ap, fmt);
    p->errmsg = arena_vprintf(p->a, fmt, ap);
    va_end(ap);
    p->errpos = pos;
    p->failed = 1;
}

/* Prometheus's p.unexpected(context, expected). */
static void unexpected(struct parser *p, const char *context, const char *expected)
{
    const struct pq_token *t = cur(p);
    if (t->type == T_ERROR) {
        errat(p, t->pos, "%s", t->err);
        return;
    }
    struct strbuf sb = STRBUF_INIT;
    strbuf_addf(&sb, "unexpected %s", pq_token_desc(p->a, p->q, t));
    if (context && *context)
        strbuf_addf(&sb, " in %s", context);
    if (expected && *expected)
        strbuf_addf(&sb, ", expected %s", expected);
    errat(p, t->pos, "%s", sb.buf);
    strbuf_release(&sb);
}

static struct pq_node *node(struct parser *p, enum pq_kind k, unsigned pos)
{
    struct pq_node *n = arena_alloc(p->a, sizeof(*n));
    n->kind = k;
    n->pos = pos;
    n->end = pos;
    return n;
}

static const char *tok_text(struct parser *p, const struct pq_token *t)
{
    return arena_strndup(p->a, p->q + t->pos, t->len);
}

/* ---- types ---- */

const char *pq_type_name(enum pq_type t)
{
    switch (t) {
    case PQ_SCALAR:
        return "scalar";
    case PQ_VECTOR:
        return "instant vector";
    case PQ_MATRIX:
        return "range vector";
    case PQ_STRING:
        return "string";
    default:
        return "none";
    }
}

static const char *raw_type_name(enum pq_type t)
{
    switch (t) {
    case PQ_SCALAR:
        return "scalar";
    case PQ_VECTOR:
        return "vector";
    case PQ_MATRIX:
        return "matrix";
    case PQ_STRING:
        return "string";
    default:
        return "none";
    }
}

enum pq_type pq_node_type(const struct pq_node *n)
{
    switch (n->kind) {
    case N_NUM:
        return PQ_SCALAR;
    case N_STR:
        return PQ_STRING;
    case N_VS:
        return PQ_VECTOR;
    case N_MS:
    case N_SUBQ:
        return PQ_MATRIX;
    case N_CALL:
        return n->func->ret;
    case N_AGG:
        return PQ_VECTOR;
    case N_BIN: {
        enum pq_type l = pq_node_type(n->lhs), r = pq_node_type(n->rhs);
        return l == PQ_SCALAR && r == PQ_SCALAR ? PQ_SCALAR : PQ_VECTOR;
    }
    case N_UNARY:
    case N_PAREN:
        return pq_node_type(n->expr);
    }
    return PQ_NONE;
}

/* ---- literals ---- */

/* Go's model.Duration units, largest first: both the parser and the printer walk them. */
const struct pq_duration_unit pq_duration_units[PQ_DURATION_UNITS] = {
    {"y", 365LL * 86400000}, {"w", 7LL * 86400000}, {"d", 86400000LL}, {"h", 3600000LL},
    {"m", 60000LL},          {"s", 1000LL},         {"ms", 1LL}};

int pq_parse_duration(const char *s, size_t n, int64_t *ms)
{
    size_t i = 0, last = 0;
    int64_t total = 0;
    if (n == 0)
        return -1;
    while (i < n) {
        size_t d = i;
        int64_t v = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            if (v > INT64_MAX / 10)
                return -1;
            v = v * 10 + (s[i] - '0');
            i++;
        }
        if (i == d)
            return -1;
        size_t u = i;
        while (i < n && s[i] >= 'a' && s[i] <= 'z' && !(s[i] >= '0' && s[i] <= '9'))
            i++;
        size_t k;
        for (k = 0; k < PQ_DURATION_UNITS; k++)
            if (strlen(pq_duration_units[k].u) == i - u &&
                !memcmp(pq_duration_units[k].u, s + u, i - u))
                break;
        if (k == PQ_DURATION_UNITS || k + 1 <= last)
            return -1;
        last = k + 1;
        if (v > (INT64_MAX - total) / pq_duration_units[k].mul)
            return -1;
        total += v * pq_duration_units[k].mul;
    }
    *ms = total;
    return 0;
}

static int parse_number(const char *s, size_t n, double *out)
{
    char buf[128];
    if (n >= sizeof(buf))
        return -1;
    memcpy(buf, s, n);
    buf[n] = 0;
    char *end;
    if (n > 1 && buf[0] == '0' && (buf[1] == 'x' || buf[1] == 'X')) {
        errno = 0;
        unsigned long long v = strtoull(buf, &end, 16);
        if (*end || errno || v > INT64_MAX)
            return -1;
        *out = (double)v;
        return 0;
    }
    errno = 0;
    *out = strtod(buf, &end);
    if (*end)
        return -1;
    return 0;
}

static void add_utf8(struct strbuf *sb, unsigned long r)
{
    if (r < 0x80) {
        strbuf_addc(sb, (char)r);
    } else if (r < 0x800) {
        strbuf_addc(sb, (char)(0xc0 | (r >> 6)));
        strbuf_addc(sb, (char)(0x80 | (r & 0x3f)));
    } else if (r < 0x10000) {
        strbuf_addc(sb, (char)(0xe0 | (r >> 12)));
        strbuf_addc(sb, (char)(0x80 | ((r >> 6) & 0x3f)));
        strbuf_addc(sb, (char)(0x80 | (r & 0x3f)));
    } else {
        strbuf_addc(sb, (char)(0xf0 | (r >> 18)));
        strbuf_addc(sb, (char)(0x80 | ((r >> 12) & 0x3f)));
        strbuf_addc(sb, (char)(0x80 | ((r >> 6) & 0x3f)));
        strbuf_addc(sb, (char)(0x80 | (r & 0x3f)));
    }
}

/* Go's strconv.Unquote for "...", '...' and `...`; NULL when invalid. */
static char *unquote(struct parser *p, const struct pq_token *t)
{
    const char *s = p->q + t->pos;
    size_t n = t->len;
    char q = s[0];
    if (q == '`')
        return arena_strndup(p->a, s + 1, n - 2);
    struct strbuf sb = STRBUF_INIT;
    char *res = NULL;
    for (size_t i = 1; i + 1 < n; i++) {
        if (s[i] != '\\') {
            strbuf_addc(&sb, s[i]);
            continue;
        }
        char c = s[++i];
        int nd = 0;
        switch (c) {
        case 'a':
            strbuf_addc(&sb, '\a');
            break;
        case 'b':
            strbuf_addc(&sb, '\b');
            break;
        case 'f':
            strbuf_addc(&sb, '\f');
            break;
        case 'n':
            strbuf_addc(&sb, '\n');
            break;
        case 'r':
            strbuf_addc(&sb, '\r');
            break;
        case 't':
            strbuf_addc(&sb, '\t');
            break;
        case 'v':
            strbuf_addc(&sb, '\v');
            break;
        case '\\':
            strbuf_addc(&sb, '\\');
            break;
        case '\'':
        case '"':
            if (c != q)
                goto bad;
            strbuf_addc(&sb, c);
            break;
        case 'x':
            nd = 2; /* fallthrough */
        case 'u':
            if (!nd)
                nd = 4; /* fallthrough */
        case 'U': {
            if (!nd)
                nd = 8;
            unsigned long v = 0;
            for (int k = 0; k < nd; k++) {
                if (i + 1 >= n - 1 || hex_digit(s[i + 1]) < 0)
                    goto bad;
                v = v * 16 + (unsigned long)hex_digit(s[++i]);
            }
            if (c == 'x')
                strbuf_addc(&sb, (char)v);
            else if (v > 0x10ffff || (v >= 0xd800 && v < 0xe000))
                goto bad;
            else
                add_utf8(&sb, v);
            break;
        }
        default:
            if (c >= '0' && c <= '7') {
                unsigned v = 0;
                i--;
                for (int k = 0; k < 3; k++) {
                    if (i + 1 >= n - 1 || s[i + 1] < '0' || s[i + 1] > '7')
                        goto bad;
                    v = v * 8 + (unsigned)(s[++i] - '0');
                }
                if (v > 255)
                    goto bad;
                strbuf_addc(&sb, (char)v);
                break;
            }
            goto bad;
        }
    }
    res = arena_strndup(p->a, sb.buf, sb.len);
bad:
    if (!res)
        errat(p, t->pos, "error unquoting string %s: invalid syntax",
              pq_token_desc(p->a, p->q, t) + 7);
    strbuf_release(&sb);
    return res;
}

/* ---- expressions ---- */

static struct pq_node *parse_expr(struct parser *p, int minprec);

static int binop_prec(int t)
{
    switch (t) {
    case T_LOR:
        return 1;
    case T_LAND:
    case T_LUNLESS:
        return 2;
    case T_EQLC:
    case T_NEQ:
    case T_LTE:
    case T_LSS:
    case T_GTE:
    case T_GTR:
        return 3;
    case T_ADD:
    case T_SUB:
        return 4;
    case T_MUL:
    case T_DIV:
    case T_MOD:
    case T_ATAN2:
        return 5;
    case T_POW:
        return 6;
    }
    return 0;
}

/* A word usable as a label name: identifiers and every keyword. */
static int is_label_word(const struct pq_token *t)
{
    return t->type == T_IDENT ||
           (t->type >= T_ATAN2 && t->type < T_NTOKENS && (t->type < T_EQLC || t->type > T_GTE));
}

static int is_metric_word(const struct pq_token *t)
{
    return t->type == T_METRIC_IDENT || is_label_word(t);
}

static void strlist_push(struct parser *p, struct pq_strlist *l, const char *s)
{
    char **v = arena_alloc(p->a, (l->n + 1) * sizeof(*v));
    if (l->n)
        memcpy(v, l->v, l->n * sizeof(*v));
    v[l->n++] = (char *)s;
    l->v = v;
}

/* "(" label, ... [","] ")" */
static int parse_grouping(struct parser *p, struct pq_strlist *out, const char *context)
{
    if (!is(p, T_LPAREN)) {
        unexpected(p, context, "\"(\"");
        return -1;
    }
    next(p);
    out->v = arena_alloc(p->a, sizeof(char *));
    out->n = 0;
    for (;;) {
        if (is(p, T_RPAREN))
            break;
        if (!is_label_word(cur(p))) {
            unexpected(p, context, "label");
            return -1;
        }
        strlist_push(p, out, tok_text(p, cur(p)));
        next(p);
        if (is(p, T_COMMA)) {
            next(p);
            continue;
        }
        if (!is(p, T_RPAREN)) {
            unexpected(p, context, "\",\" or \")\"");
            return -1;
        }
    }
    next(p);
    return 0;
}

/* RE2's error text in Go regexp/syntax's words: "missing closing ): `^(?:()$`". */
static const char *go_regexp_error(struct parser *p, const char *msg)
{
    static const char *const map[][2] = {
        {"missing )", "missing closing )"},
        {"missing ]", "missing closing ]"},
        {"unexpected )", "unexpected )"},
        {"trailing \\", "trailing backslash at end of expression"},
        {"invalid escape sequence", "invalid escape sequence"},
        {"invalid character class range", "invalid character class range"},
        {"invalid character class", "invalid character class"},
        {"invalid repetition size", "invalid repeat count"},
        {"bad repetition operator", "invalid nested repetition operator"},
        {"no argument for repetition operator", "missing argument to repetition operator"},
        {"invalid named capture group", "invalid named capture"},
        {"invalid perl operator", "invalid or unsupported Perl syntax"},
        {"invalid UTF-8", "invalid UTF-8"},
    };
    const char *pre = "error parsing regexp: ";
    const char *s = strstr(msg, pre);
    if (!s)
        return msg;
    s += strlen(pre);
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        size_t n = strlen(map[i][0]);
        if (!strncmp(s, map[i][0], n) && s[n] == ':' && s[n + 1] == ' ')
            return arena_printf(p->a, "error parsing regexp: %s: `%s`", map[i][1], s + n + 2);
    }
    return msg;
}

static struct pq_node *parse_selector(struct parser *p, const struct pq_token *name)
{
    unsigned pos = name ? name->pos : cur(p)->pos;
    struct pq_node *n = node(p, N_VS, pos);
    n->str = name ? (char *)tok_text(p, name) : "";
    struct matcher *ms = NULL;
    size_t nms = 0, alloc = 0;
    int ok = 0;
    if (is(p, T_LBRACE)) {
        next(p);
        for (;;) {
            if (is(p, T_RBRACE))
                break;
            if (!is_label_word(cur(p))) {
                unexpected(p, "label matching", "identifier or \"}\"");
                goto out;
            }
            const char *lname = tok_text(p, cur(p));
            unsigned lpos = cur(p)->pos;
            next(p);
            enum matcher_type mt;
            switch (cur(p)->type) {
            case T_EQL:
                mt = MATCH_EQ;
                break;
            case T_NEQ:
                mt = MATCH_NE;
                break;
            case T_EQL_REGEX:
                mt = MATCH_RE;
                break;
            case T_NEQ_REGEX:
                mt = MATCH_NRE;
                break;
            default:
                unexpected(p, "label matching", "label matching operator");
                goto out;
            }
            next(p);
            if (!is(p, T_STRING)) {
                unexpected(p, "label matching", "string");
                goto out;
            }
            const struct pq_token *st = cur(p);
            char *val = unquote(p, st);
            if (!val)
                goto out;
            next(p);
            if (nms == alloc) {
                alloc = alloc ? alloc * 2 : 4;
                ms = xrealloc(ms, (alloc + 1) * sizeof(*ms));
            }
            struct diag d;
            diag_init(&d);
            if (matcher_init(&ms[nms], mt, lname, val, &d) < 0) {
                errat(p, lpos, "%s", go_regexp_error(p, diag_last(&d)));
                diag_release(&d);
                goto out;
            }
            diag_release(&d);
            nms++;
            if (is(p, T_COMMA)) {
                next(p);
                continue;
            }
            if (!is(p, T_RBRACE)) {
                unexpected(p, "label matching", "\",\" or \"}\"");
                goto out;
            }
        }
        n->end = cur(p)->pos + 1;
        next(p);
    } else {
        n->end = name->pos + name->len;
    }
    if (name) {
        for (size_t i = 0; i < nms; i++) {
            if (!strcmp(ms[i].name, LABELS_METRIC_NAME)) {
                errat(p, pos, "metric name must not be set twice: \"%s\" or \"%s\"", n->str,
                      ms[i].value);
                goto out;
            }
        }
        if (nms == alloc) {
            alloc = alloc ? alloc * 2 : 1;
            ms = xrealloc(ms, alloc * sizeof(*ms));
        }
        struct diag d;
        diag_init(&d);
        matcher_init(&ms[nms++], MATCH_EQ, LABELS_METRIC_NAME, n->str, &d);
        diag_release(&d);
    }
    int nonempty = 0;
    for (size_t i = 0; i < nms; i++)
        if (!matcher_matches_empty(&ms[i]))
            nonempty = 1;
    if (!nonempty) {
        errat(p, pos, "vector selector must contain at least one non-empty matcher");
        goto out;
    }
    ok = 1;
out:
    if (p->nvs == p->avs) {
        p->avs = p->avs ? p->avs * 2 : 8;
        p->vs = xrealloc(p->vs, p->avs * sizeof(*p->vs));
    }
    p->vs[p->nvs++] = n;
    n->ms = arena_alloc(p->a, (nms + 1) * sizeof(*ms));
    if (nms)
        memcpy(n->ms, ms, nms * sizeof(*ms));
    n->nms = nms;
    free(ms);
    return ok ? n : NULL;
}

static struct pq_node **parse_args(struct parser *p, size_t *nargs, int is_call)
{
    struct pq_node **v = NULL;
    size_t n = 0;
    /* cur is "(" */
    next(p);
    if (!is(p, T_RPAREN)) {
        for (;;) {
            struct pq_node *e = parse_expr(p, 1);
            if (!e)
                return NULL;
            struct pq_node **nv = arena_alloc(p->a, (n + 1) * sizeof(*nv));
            if (n)
                memcpy(nv, v, n * sizeof(*nv));
            nv[n++] = e;
            v = nv;
            if (is(p, T_COMMA)) {
                next(p);
                if (is(p, T_RPAREN) && is_call) {
                    errat(p, cur(p)->pos - 1, "trailing commas not allowed in function call args");
                    return NULL;
                }
                continue;
            }
            if (!is(p, T_RPAREN)) {
                unexpected(p, is_call ? "" : "aggregation", "\",\" or \")\"");
                return NULL;
            }
            break;
        }
    }
    next(p);
    *nargs = n;
    return v ? v : arena_alloc(p->a, sizeof(*v));
}

static int expect_type(struct parser *p, struct pq_node *n, enum pq_type want, const char *ctx)
{
    enum pq_type t = pq_node_type(n);
    if (t != want) {
        errat(p, n->pos, "expected type %s in %s, got %s", pq_type_name(want), ctx,
              pq_type_name(t));
        return -1;
    }
    return 0;
}

static struct pq_node *parse_call(struct parser *p, const struct pq_token *name)
{
    const struct pq_func *f = pq_func_lookup(p->q + name->pos, name->len);
    if (!f) {
        errat(p, name->pos, "unknown function with name \"%.*s\"", (int)name->len,
              p->q + name->pos);
        return NULL;
    }
    struct pq_node *n = node(p, N_CALL, name->pos);
    n->func = f;
    n->args = parse_args(p, &n->nargs, 1);
    if (!n->args)
        return NULL;
    n->end = p->t[p->i - 1].pos + 1;
    int na = f->nargs;
    if (f->variadic == 0) {
        if ((size_t)na != n->nargs) {
            errat(p, n->pos, "expected %d argument(s) in call to \"%s\", got %zu", na, f->name,
                  n->nargs);
            return NULL;
        }
    } else {
        if ((size_t)(na - 1) > n->nargs) {
            errat(p, n->pos, "expected at least %d argument(s) in call to \"%s\", got %zu", na - 1,
                  f->name, n->nargs);
            return NULL;
        }
        if (f->variadic > 0 && (size_t)(na - 1 + f->variadic) < n->nargs) {
            errat(p, n->pos, "expected at most %d argument(s) in call to \"%s\", got %zu",
                  na - 1 + f->variadic, f->name, n->nargs);
            return NULL;
        }
    }
    char *ctx = arena_printf(p->a, "call to function \"%s\"", f->name);
    for (size_t i = 0; i < n->nargs; i++) {
        size_t k = i;
        if (k >= (size_t)na) {
            if (f->variadic == 0)
                break;
            k = (size_t)na - 1;
        }
        if (expect_type(p, n->args[i], f->argt[k], ctx) < 0)
            return NULL;
    }
    return n;
}

static struct pq_node *parse_aggr(struct parser *p)
{
    struct pq_node *n = node(p, N_AGG, cur(p)->pos);
    n->op = cur(p)->type;
    next(p);
    int have_group = 0;
    if (is(p, T_BY) || is(p, T_WITHOUT)) {
        n->without = is(p, T_WITHOUT);
        next(p);
        if (parse_grouping(p, &n->grouping, "grouping opts") < 0)
            return NULL;
        have_group = 1;
    }
    if (!is(p, T_LPAREN)) {
        unexpected(p, "aggregation", "\"(\"");
        return NULL;
    }
    size_t nargs;
    struct pq_node **args = parse_args(p, &nargs, 0);
    if (!args)
        return NULL;
    n->end = p->t[p->i - 1].pos + 1;
    if (!have_group && (is(p, T_BY) || is(p, T_WITHOUT))) {
        n->without = is(p, T_WITHOUT);
        next(p);
        if (parse_grouping(p, &n->grouping, "grouping opts") < 0)
            return NULL;
        n->end = p->t[p->i - 1].pos + 1;
    }
    int param =
        n->op == T_TOPK || n->op == T_BOTTOMK || n->op == T_COUNT_VALUES || n->op == T_QUANTILE;
    if (nargs == 0) {
        errat(p, n->pos, "no arguments for aggregate expression provided");
        return NULL;
    }
    if ((size_t)(param ? 2 : 1) != nargs) {
        errat(p, n->pos,
              "wrong number of arguments for aggregate expression provided, expected %d, got %zu",
              param ? 2 : 1, nargs);
        return NULL;
    }
    n->expr = args[nargs - 1];
    if (param)
        n->param = args[0];
    if (expect_type(p, n->expr, PQ_VECTOR, "aggregation expression") < 0)
        return NULL;
    if (param && expect_type(p, n->param, n->op == T_COUNT_VALUES ? PQ_STRING : PQ_SCALAR,
                             "aggregation parameter") < 0)
        return NULL;
    if (n->op == T_COUNT_VALUES && n->param->kind == N_STR &&
        !labels_valid_name(n->param->str, strlen(n->param->str))) {
        /* Checked at evaluation in 2.42, as an execution error; keep parsing. */
    }
    return n;
}

static struct pq_node *parse_primary(struct parser *p)
{
    const struct pq_token *t = cur(p);
    switch (t->type) {
    case T_NUMBER: {
        struct pq_node *n = node(p, N_NUM, t->pos);
        if (parse_number(p->q + t->pos, t->len, &n->num) < 0) {
            errat(p, t->pos,
                  "error parsing number: strconv.ParseFloat: parsing \"%.*s\": invalid syntax",
                  (int)t->len, p->q + t->pos);
            return NULL;
        }
        n->end = t->pos + t->len;
        next(p);
        return n;
    }
    case T_STRING: {
        struct pq_node *n = node(p, N_STR, t->pos);
        n->str = unquote(p, t);
        if (!n->str)
            return NULL;
        n->end = t->pos + t->len;
        next(p);
        return n;
    }
    case T_LPAREN: {
        struct pq_node *n = node(p, N_PAREN, t->pos);
        next(p);
        n->expr = parse_expr(p, 1);
        if (!n->expr)
            return NULL;
        if (!is(p, T_RPAREN)) {
            unexpected(p, "paren expression", "\")\"");
            return NULL;
        }
        n->end = cur(p)->pos + 1;
        next(p);
        return n;
    }
    case T_LBRACE:
        return parse_selector(p, NULL);
    case T_ADD:
    case T_SUB: {
        struct pq_node *n = node(p, N_UNARY, t->pos);
        n->op = t->type;
        next(p);
        struct pq_node *e = parse_expr(p, 6);
        if (!e)
            return NULL;
        if (e->kind == N_NUM) {
            if (n->op == T_SUB)
                e->num = -e->num;
            e->pos = n->pos;
            return e;
        }
        enum pq_type ty = pq_node_type(e);
        if (ty != PQ_SCALAR && ty != PQ_VECTOR) {
            errat(
                p, n->pos,
                "unary expression only allowed on expressions of type scalar or instant vector, got \"%s\"",
                pq_type_name(ty));
            return NULL;
        }
        n->expr = e;
        n->end = e->end;
        return n;
    }
    default:
        break;
    }
    if (pq_tok_is_aggr(t->type)) {
        int nt = peek_at(p, 1)->type;
        if (nt == T_LPAREN || nt == T_BY || nt == T_WITHOUT)
            return parse_aggr(p);
    }
    if (t->type == T_IDENT && peek_at(p, 1)->type == T_LPAREN) {
        next(p);
        return parse_call(p, t);
    }
    if (is_metric_word(t) && t->type != T_BOOL && t->type != T_ON && t->type != T_IGNORING &&
        t->type != T_GROUP_LEFT && t->type != T_GROUP_RIGHT && t->type != T_ATAN2) {
        next(p);
        return parse_selector(p, t);
    }
    unexpected(p, "", "");
    return NULL;
}

static int parse_duration_tok(struct parser *p, int64_t *ms, int allow_zero)
{
    const struct pq_token *t = cur(p);
    if (pq_parse_duration(p->q + t->pos, t->len, ms) < 0) {
        errat(p, t->pos, "not a valid duration string: \"%.*s\"", (int)t->len, p->q + t->pos);
        return -1;
    }
    if (!allow_zero && *ms == 0) {
        errat(p, t->pos, "duration must be greater than 0");
        return -1;
    }
    next(p);
    return 0;
}

/* The node an offset or @ modifier applies to, or NULL. */
static struct pq_node *modifier_target(struct pq_node *e)
{
    if (e->kind == N_VS || e->kind == N_SUBQ)
        return e;
    if (e->kind == N_MS)
        return e->expr;
    return NULL;
}

static struct pq_node *parse_postfix(struct parser *p, struct pq_node *e)
{
    for (;;) {
        if (is(p, T_LBRACKET)) {
            unsigned lb = cur(p)->pos;
            next(p);
            if (!is(p, T_DURATION)) {
                unexpected(p, "subquery selector", "duration");
                return NULL;
            }
            int64_t range;
            if (parse_duration_tok(p, &range, 0) < 0)
                return NULL;
            if (is(p, T_RBRACKET)) {
                if (e->kind != N_VS) {
                    errat(p, lb, "ranges only allowed for vector selectors");
                    return NULL;
                }
                if (e->offset) {
                    errat(p, lb, "no offset modifiers allowed before range");
                    return NULL;
                }
                if (e->at_mode != AT_NONE) {
                    errat(p, lb, "no @ modifiers allowed before range");
                    return NULL;
                }
                struct pq_node *m = node(p, N_MS, e->pos);
                m->expr = e;
                m->range = range;
                m->end = cur(p)->pos + 1;
                next(p);
                e = m;
                continue;
            }
            if (!is(p, T_COLON)) {
                unexpected(p, "subquery or range", "\":\" or \"]\"");
                return NULL;
            }
            next(p);
            struct pq_node *s = node(p, N_SUBQ, e->pos);
            s->expr = e;
            s->range = range;
            int had_step = is(p, T_DURATION);
            if (had_step && parse_duration_tok(p, &s->step, 0) < 0)
                return NULL;
            if (!is(p, T_RBRACKET)) {
                unexpected(p, "subquery selector", had_step ? "\"]\"" : "duration or \"]\"");
                return NULL;
            }
            s->end = cur(p)->pos + 1;
            next(p);
            enum pq_type ty = pq_node_type(e);
            if (ty != PQ_VECTOR) {
                errat(p, s->pos, "subquery is only allowed on instant vector, got %s instead",
                      raw_type_name(ty));
                return NULL;
            }
            e = s;
            continue;
        }
        if (is(p, T_OFFSET)) {
            next(p);
            int neg = 0;
            if (is(p, T_SUB) || is(p, T_ADD)) {
                neg = is(p, T_SUB);
                next(p);
            }
            if (!is(p, T_DURATION)) {
                unexpected(p, "offset", "duration");
                return NULL;
            }
            int64_t off;
            if (parse_duration_tok(p, &off, 1) < 0)
                return NULL;
            struct pq_node *tg = modifier_target(e);
            if (!tg) {
                errat(
                    p, e->pos,
                    "offset modifier must be preceded by an instant vector selector or range vector selector or a subquery");
                return NULL;
            }
            if (tg->offset) {
                errat(p, e->pos, "offset may not be set multiple times");
                return NULL;
            }
            tg->offset = neg ? -off : off;
            e->end = p->t[p->i - 1].pos + p->t[p->i - 1].len;
            continue;
        }
        if (is(p, T_AT)) {
            next(p);
            enum pq_at mode = AT_TS;
            double ts = 0;
            if (is(p, T_START) || is(p, T_END)) {
                mode = is(p, T_START) ? AT_START : AT_END;
                next(p);
                if (!is(p, T_LPAREN)) {
                    unexpected(p, "@", "\"(\"");
                    return NULL;
                }
                next(p);
                if (!is(p, T_RPAREN)) {
                    unexpected(p, "@", "\")\"");
                    return NULL;
                }
                next(p);
            } else {
                int neg = 0;
                if (is(p, T_SUB) || is(p, T_ADD)) {
                    neg = is(p, T_SUB);
                    next(p);
                }
                if (!is(p, T_NUMBER)) {
                    unexpected(p, "@", "timestamp");
                    return NULL;
                }
                if (parse_number(p->q + cur(p)->pos, cur(p)->len, &ts) < 0) {
                    unexpected(p, "@", "timestamp");
                    return NULL;
                }
                if (neg)
                    ts = -ts;
                next(p);
            }
            struct pq_node *tg = modifier_target(e);
            if (!tg) {
                errat(
                    p, e->pos,
                    "@ modifier must be preceded by an instant vector selector or range vector selector or a subquery");
                return NULL;
            }
            if (tg->at_mode != AT_NONE) {
                errat(p, e->pos, "@ <timestamp> may not be set multiple times");
                return NULL;
            }
            if (mode == AT_TS) {
                /* Prometheus bounds the seconds; here the milliseconds must fit too. */
                if (isinf(ts) || isnan(ts) || ts >= 9.223372036854775e15 ||
                    ts <= -9.223372036854775e15) {
                    errat(p, e->pos, "timestamp out of bounds for @ modifier: %f", ts);
                    return NULL;
                }
                tg->at = (int64_t)llround(ts * 1000);
            }
            tg->at_mode = mode;
            e->end = p->t[p->i - 1].pos + p->t[p->i - 1].len;
            continue;
        }
        return e;
    }
}

static int check_binary(struct parser *p, struct pq_node *n, unsigned oppos)
{
    enum pq_type lt = pq_node_type(n->lhs), rt = pq_node_type(n->rhs);
    if (n->return_bool && !pq_tok_is_comparison(n->op)) {
        errat(p, oppos, "bool modifier can only be used on comparison operators");
        return -1;
    }
    if (pq_tok_is_comparison(n->op) && !n->return_bool && lt == PQ_SCALAR && rt == PQ_SCALAR) {
        errat(p, oppos, "comparisons between scalars must use BOOL modifier");
        return -1;
    }
    if (pq_tok_is_setop(n->op) && n->card == CARD_ONE_TO_ONE)
        n->card = CARD_MANY_TO_MANY;
    if (n->on)
        for (size_t i = 0; i < n->match_labels.n; i++)
            for (size_t j = 0; j < n->include.n; j++)
                if (!strcmp(n->match_labels.v[i], n->include.v[j])) {
                    errat(p, oppos, "label \"%s\" must not occur in ON and GROUP clause at once",
                          n->include.v[j]);
                    return -1;
                }
    if (lt != PQ_SCALAR && lt != PQ_VECTOR) {
        errat(p, n->lhs->pos,
              "binary expression must contain only scalar and instant vector types");
        return -1;
    }
    if (rt != PQ_SCALAR && rt != PQ_VECTOR) {
        errat(p, n->rhs->pos,
              "binary expression must contain only scalar and instant vector types");
        return -1;
    }
    if (lt != PQ_VECTOR || rt != PQ_VECTOR) {
        if (n->match_labels.n > 0) {
            errat(p, n->pos, "vector matching only allowed between instant vectors");
            return -1;
        }
        n->has_matching = 0;
    } else if (pq_tok_is_setop(n->op)) {
        if (n->card == CARD_ONE_TO_MANY || n->card == CARD_MANY_TO_ONE) {
            errat(p, n->pos, "no grouping allowed for \"%s\" operation", pq_tok_text[n->op]);
            return -1;
        }
    }
    if ((lt == PQ_SCALAR || rt == PQ_SCALAR) && pq_tok_is_setop(n->op)) {
        errat(p, n->pos, "set operator \"%s\" not allowed in binary scalar expression",
              pq_tok_text[n->op]);
        return -1;
    }
    return 0;
}

static struct pq_node *parse_expr(struct parser *p, int minprec)
{
    if (++p->depth > PQ_MAX_DEPTH) {
        errat(p, cur(p)->pos, "expression nesting too deep (more than %d levels)", PQ_MAX_DEPTH);
        p->depth--;
        return NULL;
    }
    struct pq_node *lhs = parse_primary(p);
    if (lhs)
        lhs = parse_postfix(p, lhs);
    while (lhs) {
        int op = cur(p)->type;
        int prec = binop_prec(op);
        if (!prec || prec < minprec)
            break;
        unsigned oppos = cur(p)->pos;
        next(p);
        struct pq_node *n = node(p, N_BIN, lhs->pos);
        n->op = op;
        n->lhs = lhs;
        if (is(p, T_BOOL)) {
            n->return_bool = 1;
            next(p);
        }
        if (is(p, T_ON) || is(p, T_IGNORING)) {
            n->on = is(p, T_ON);
            n->has_matching = 1;
            next(p);
            if (parse_grouping(p, &n->match_labels, "grouping opts") < 0) {
                lhs = NULL;
                break;
            }
            if (is(p, T_GROUP_LEFT) || is(p, T_GROUP_RIGHT)) {
                n->card = is(p, T_GROUP_LEFT) ? CARD_MANY_TO_ONE : CARD_ONE_TO_MANY;
                next(p);
                if (is(p, T_LPAREN) && parse_grouping(p, &n->include, "grouping opts") < 0) {
                    lhs = NULL;
                    break;
                }
            }
        }
        n->rhs = parse_expr(p, op == T_POW ? prec : prec + 1);
        if (!n->rhs) {
            lhs = NULL;
            break;
        }
        n->end = n->rhs->end;
        if (check_binary(p, n, oppos) < 0) {
            lhs = NULL;
            break;
        }
        lhs = n;
    }
    p->depth--;
    return lhs;
}

static void release(struct pq_node *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->nms; i++)
        matcher_release(&n->ms[i]);
    n->nms = 0;
    release(n->expr);
    release(n->lhs);
    release(n->rhs);
    release(n->param);
    for (size_t i = 0; i < n->nargs; i++)
        release(n->args[i]);
}

void pq_node_release(struct pq_node *n)
{
    release(n);
}

struct pq_node *promql_parse(struct arena *a, const char *query, size_t len, struct strbuf *err)
{
    struct parser p = {.a = a, .q = query, .qlen = len};
    p.nt = pq_lex(a, query, len, &p.t);
    struct pq_node *n = NULL;
    if (p.t[0].type == T_EOF) {
        errat(&p, 0, "no expression found in input");
    } else {
        n = parse_expr(&p, 1);
        if (n && !is(&p, T_EOF))
            unexpected(&p, "", "");
    }
    if (p.failed) {
        /* Matchers already built own regexes: free every selector's. */
        for (size_t i = 0; i < p.nvs; i++)
            release(p.vs[i]);
        unsigned line = 1, col;
        size_t last = (size_t)-1;
        for (size_t i = 0; i < p.errpos && i < len; i++)
            if (query[i] == '\n') {
                line++;
                last = i;
            }
        col = (unsigned)(p.errpos - last);
        strbuf_addf(err, "%u:%u: parse error: %s", line, col, p.errmsg);
        free(p.vs);
        return NULL;
    }
    free(p.vs);
    return n;
}
