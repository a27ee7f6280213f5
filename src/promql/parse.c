/*
 * parse: a recursive-descent parser for PromQL with Prometheus 2.42's
 * grammar (promql/parser/generated_parser.y) and its checks (parse.go
 * checkAST), giving its error texts at its positions.
 */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "promql/ast.h"
#include "promql/funcs.h"
#include "promql/lex.h"
#include "promql/parse_impl.h"

void parse_errat(struct parser *p, unsigned pos, const char *fmt, ...)
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

void parse_unexpected(struct parser *p, const char *context, const char *expected)
{
    const struct pq_token *t = parse_cur(p);
    if (t->type == T_ERROR) {
        parse_errat(p, t->pos, "%s", t->err);
        return;
    }
    struct strbuf sb = STRBUF_INIT;
    strbuf_addf(&sb, "unexpected %s", pq_token_desc(p->a, p->q, t));
    if (context && *context)
        strbuf_addf(&sb, " in %s", context);
    if (expected && *expected)
        strbuf_addf(&sb, ", expected %s", expected);
    parse_errat(p, t->pos, "%s", sb.buf);
    strbuf_release(&sb);
}

struct pq_node *parse_node(struct parser *p, enum pq_kind k, unsigned pos)
{
    struct pq_node *n = arena_alloc(p->a, sizeof(*n));
    n->kind = k;
    n->pos = pos;
    n->end = pos;
    return n;
}

const char *parse_tok_text(struct parser *p, const struct pq_token *t)
{
    return arena_strndup(p->a, p->q + t->pos, t->len);
}

/* ---- types ---- */

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

/* A string token's text (pq_unquote), or NULL after an error as Prometheus words it. */
char *parse_unquote(struct parser *p, const struct pq_token *t)
{
    char *s = pq_unquote(p->a, p->q + t->pos, t->len);

    if (!s)
        parse_errat(p, t->pos, "error unquoting string %s: invalid syntax",
                    pq_token_desc(p->a, p->q, t) + 7);
    return s;
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
int parse_is_label_word(const struct pq_token *t)
{
    return t->type == T_IDENT ||
           (t->type >= T_ATAN2 && t->type < T_NTOKENS && (t->type < T_EQLC || t->type > T_GTE));
}

static int is_metric_word(const struct pq_token *t)
{
    return t->type == T_METRIC_IDENT || parse_is_label_word(t);
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
    if (!parse_is(p, T_LPAREN)) {
        parse_unexpected(p, context, "\"(\"");
        return -1;
    }
    parse_next(p);
    out->v = arena_alloc(p->a, sizeof(char *));
    out->n = 0;
    for (;;) {
        if (parse_is(p, T_RPAREN))
            break;
        if (!parse_is_label_word(parse_cur(p))) {
            parse_unexpected(p, context, "label");
            return -1;
        }
        strlist_push(p, out, parse_tok_text(p, parse_cur(p)));
        parse_next(p);
        if (parse_is(p, T_COMMA)) {
            parse_next(p);
            continue;
        }
        if (!parse_is(p, T_RPAREN)) {
            parse_unexpected(p, context, "\",\" or \")\"");
            return -1;
        }
    }
    parse_next(p);
    return 0;
}

static struct pq_node **parse_args(struct parser *p, size_t *nargs, int is_call)
{
    struct pq_node **v = NULL;
    size_t n = 0;
    /* cur is "(" */
    parse_next(p);
    if (!parse_is(p, T_RPAREN)) {
        for (;;) {
            struct pq_node *e = parse_expr(p, 1);
            if (!e)
                return NULL;
            struct pq_node **nv = arena_alloc(p->a, (n + 1) * sizeof(*nv));
            if (n)
                memcpy(nv, v, n * sizeof(*nv));
            nv[n++] = e;
            v = nv;
            if (parse_is(p, T_COMMA)) {
                parse_next(p);
                if (parse_is(p, T_RPAREN) && is_call) {
                    parse_errat(p, parse_cur(p)->pos - 1,
                                "trailing commas not allowed in function call args");
                    return NULL;
                }
                continue;
            }
            if (!parse_is(p, T_RPAREN)) {
                parse_unexpected(p, is_call ? "" : "aggregation", "\",\" or \")\"");
                return NULL;
            }
            break;
        }
    }
    parse_next(p);
    *nargs = n;
    return v ? v : arena_alloc(p->a, sizeof(*v));
}

static int expect_type(struct parser *p, struct pq_node *n, enum pq_type want, const char *ctx)
{
    enum pq_type t = pq_node_type(n);
    if (t != want) {
        parse_errat(p, n->pos, "expected type %s in %s, got %s", pq_type_name(want), ctx,
                    pq_type_name(t));
        return -1;
    }
    return 0;
}

static struct pq_node *parse_call(struct parser *p, const struct pq_token *name)
{
    const struct pq_func *f = pq_func_lookup(p->q + name->pos, name->len);
    if (!f) {
        parse_errat(p, name->pos, "unknown function with name \"%.*s\"", (int)name->len,
                    p->q + name->pos);
        return NULL;
    }
    struct pq_node *n = parse_node(p, N_CALL, name->pos);
    n->func = f;
    n->args = parse_args(p, &n->nargs, 1);
    if (!n->args)
        return NULL;
    n->end = p->t[p->i - 1].pos + 1;
    int na = f->nargs;
    if (f->variadic == 0) {
        if ((size_t)na != n->nargs) {
            parse_errat(p, n->pos, "expected %d argument(s) in call to \"%s\", got %zu", na,
                        f->name, n->nargs);
            return NULL;
        }
    } else {
        if ((size_t)(na - 1) > n->nargs) {
            parse_errat(p, n->pos, "expected at least %d argument(s) in call to \"%s\", got %zu",
                        na - 1, f->name, n->nargs);
            return NULL;
        }
        if (f->variadic > 0 && (size_t)(na - 1 + f->variadic) < n->nargs) {
            parse_errat(p, n->pos, "expected at most %d argument(s) in call to \"%s\", got %zu",
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
    struct pq_node *n = parse_node(p, N_AGG, parse_cur(p)->pos);
    n->op = parse_cur(p)->type;
    parse_next(p);
    int have_group = 0;
    if (parse_is(p, T_BY) || parse_is(p, T_WITHOUT)) {
        n->without = parse_is(p, T_WITHOUT);
        parse_next(p);
        if (parse_grouping(p, &n->grouping, "grouping opts") < 0)
            return NULL;
        have_group = 1;
    }
    if (!parse_is(p, T_LPAREN)) {
        parse_unexpected(p, "aggregation", "\"(\"");
        return NULL;
    }
    size_t nargs;
    struct pq_node **args = parse_args(p, &nargs, 0);
    if (!args)
        return NULL;
    n->end = p->t[p->i - 1].pos + 1;
    if (!have_group && (parse_is(p, T_BY) || parse_is(p, T_WITHOUT))) {
        n->without = parse_is(p, T_WITHOUT);
        parse_next(p);
        if (parse_grouping(p, &n->grouping, "grouping opts") < 0)
            return NULL;
        n->end = p->t[p->i - 1].pos + 1;
    }
    int param =
        n->op == T_TOPK || n->op == T_BOTTOMK || n->op == T_COUNT_VALUES || n->op == T_QUANTILE;
    if (nargs == 0) {
        parse_errat(p, n->pos, "no arguments for aggregate expression provided");
        return NULL;
    }
    if ((size_t)(param ? 2 : 1) != nargs) {
        parse_errat(
            p, n->pos,
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
    const struct pq_token *t = parse_cur(p);
    switch (t->type) {
    case T_NUMBER: {
        struct pq_node *n = parse_node(p, N_NUM, t->pos);
        if (pq_parse_number(p->q + t->pos, t->len, &n->num) < 0) {
            parse_errat(
                p, t->pos,
                "error parsing number: strconv.ParseFloat: parsing \"%.*s\": invalid syntax",
                (int)t->len, p->q + t->pos);
            return NULL;
        }
        n->end = t->pos + t->len;
        parse_next(p);
        return n;
    }
    case T_STRING: {
        struct pq_node *n = parse_node(p, N_STR, t->pos);
        n->str = parse_unquote(p, t);
        if (!n->str)
            return NULL;
        n->end = t->pos + t->len;
        parse_next(p);
        return n;
    }
    case T_LPAREN: {
        struct pq_node *n = parse_node(p, N_PAREN, t->pos);
        parse_next(p);
        n->expr = parse_expr(p, 1);
        if (!n->expr)
            return NULL;
        if (!parse_is(p, T_RPAREN)) {
            parse_unexpected(p, "paren expression", "\")\"");
            return NULL;
        }
        n->end = parse_cur(p)->pos + 1;
        parse_next(p);
        return n;
    }
    case T_LBRACE:
        return parsesel_selector(p, NULL);
    case T_ADD:
    case T_SUB: {
        struct pq_node *n = parse_node(p, N_UNARY, t->pos);
        n->op = t->type;
        parse_next(p);
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
            parse_errat(
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
        int nt = parse_peek(p, 1)->type;
        if (nt == T_LPAREN || nt == T_BY || nt == T_WITHOUT)
            return parse_aggr(p);
    }
    if (t->type == T_IDENT && parse_peek(p, 1)->type == T_LPAREN) {
        parse_next(p);
        return parse_call(p, t);
    }
    if (is_metric_word(t) && t->type != T_BOOL && t->type != T_ON && t->type != T_IGNORING &&
        t->type != T_GROUP_LEFT && t->type != T_GROUP_RIGHT && t->type != T_ATAN2) {
        parse_next(p);
        return parsesel_selector(p, t);
    }
    parse_unexpected(p, "", "");
    return NULL;
}

static int check_binary(struct parser *p, struct pq_node *n, unsigned oppos)
{
    enum pq_type lt = pq_node_type(n->lhs), rt = pq_node_type(n->rhs);
    if (n->return_bool && !pq_tok_is_comparison(n->op)) {
        parse_errat(p, oppos, "bool modifier can only be used on comparison operators");
        return -1;
    }
    if (pq_tok_is_comparison(n->op) && !n->return_bool && lt == PQ_SCALAR && rt == PQ_SCALAR) {
        parse_errat(p, oppos, "comparisons between scalars must use BOOL modifier");
        return -1;
    }
    if (pq_tok_is_setop(n->op) && n->card == CARD_ONE_TO_ONE)
        n->card = CARD_MANY_TO_MANY;
    if (n->on)
        for (size_t i = 0; i < n->match_labels.n; i++)
            for (size_t j = 0; j < n->include.n; j++)
                if (!strcmp(n->match_labels.v[i], n->include.v[j])) {
                    parse_errat(p, oppos,
                                "label \"%s\" must not occur in ON and GROUP clause at once",
                                n->include.v[j]);
                    return -1;
                }
    if (lt != PQ_SCALAR && lt != PQ_VECTOR) {
        parse_errat(p, n->lhs->pos,
                    "binary expression must contain only scalar and instant vector types");
        return -1;
    }
    if (rt != PQ_SCALAR && rt != PQ_VECTOR) {
        parse_errat(p, n->rhs->pos,
                    "binary expression must contain only scalar and instant vector types");
        return -1;
    }
    if (lt != PQ_VECTOR || rt != PQ_VECTOR) {
        if (n->match_labels.n > 0) {
            parse_errat(p, n->pos, "vector matching only allowed between instant vectors");
            return -1;
        }
        n->has_matching = 0;
    } else if (pq_tok_is_setop(n->op)) {
        if (n->card == CARD_ONE_TO_MANY || n->card == CARD_MANY_TO_ONE) {
            parse_errat(p, n->pos, "no grouping allowed for \"%s\" operation", pq_tok_text[n->op]);
            return -1;
        }
    }
    if ((lt == PQ_SCALAR || rt == PQ_SCALAR) && pq_tok_is_setop(n->op)) {
        parse_errat(p, n->pos, "set operator \"%s\" not allowed in binary scalar expression",
                    pq_tok_text[n->op]);
        return -1;
    }
    return 0;
}

static struct pq_node *parse_expr(struct parser *p, int minprec)
{
    if (++p->depth > PQ_MAX_DEPTH) {
        parse_errat(p, parse_cur(p)->pos, "expression nesting too deep (more than %d levels)",
                    PQ_MAX_DEPTH);
        p->depth--;
        return NULL;
    }
    struct pq_node *lhs = parse_primary(p);
    if (lhs)
        lhs = parsesel_postfix(p, lhs);
    while (lhs) {
        int op = parse_cur(p)->type;
        int prec = binop_prec(op);
        if (!prec || prec < minprec)
            break;
        unsigned oppos = parse_cur(p)->pos;
        parse_next(p);
        struct pq_node *n = parse_node(p, N_BIN, lhs->pos);
        n->op = op;
        n->lhs = lhs;
        if (parse_is(p, T_BOOL)) {
            n->return_bool = 1;
            parse_next(p);
        }
        if (parse_is(p, T_ON) || parse_is(p, T_IGNORING)) {
            n->on = parse_is(p, T_ON);
            n->has_matching = 1;
            parse_next(p);
            if (parse_grouping(p, &n->match_labels, "grouping opts") < 0) {
                lhs = NULL;
                break;
            }
            if (parse_is(p, T_GROUP_LEFT) || parse_is(p, T_GROUP_RIGHT)) {
                n->card = parse_is(p, T_GROUP_LEFT) ? CARD_MANY_TO_ONE : CARD_ONE_TO_MANY;
                parse_next(p);
                if (parse_is(p, T_LPAREN) && parse_grouping(p, &n->include, "grouping opts") < 0) {
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

struct pq_node *promql_parse(struct arena *a, const char *query, size_t len, struct strbuf *err)
{
    struct parser p = {.a = a, .q = query, .qlen = len};
    p.nt = pq_lex(a, query, len, &p.t);
    struct pq_node *n = NULL;
    if (p.t[0].type == T_EOF) {
        parse_errat(&p, 0, "no expression found in input");
    } else {
        n = parse_expr(&p, 1);
        if (n && !parse_is(&p, T_EOF))
            parse_unexpected(&p, "", "");
    }
    if (p.failed) {
        /* Matchers already built own regexes: free every selector's. */
        for (size_t i = 0; i < p.nvs; i++)
            pq_node_release(p.vs[i]);
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
