/*
 * ast: the PromQL syntax tree of Prometheus 2.42 (promql/parser/ast.go), the
 * lexer's tokens, the parser and the printer that writes an expression back
 * as Prometheus's String() does (what /api/v1/format_query returns).
 *
 * Nodes live in the arena given to promql_parse(); times are milliseconds.
 */
#ifndef CAIRN_PROMQL_AST_H
#define CAIRN_PROMQL_AST_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/strbuf.h"
#include "metrics/matcher.h"

enum pq_type { PQ_NONE, PQ_SCALAR, PQ_VECTOR, PQ_MATRIX, PQ_STRING };

/* Token types; the operators' order is their table order in lex.c. */
enum pq_tok {
    T_EOF,
    T_ERROR,
    T_IDENT,
    T_METRIC_IDENT,
    T_NUMBER,
    T_DURATION,
    T_STRING,
    T_LPAREN,
    T_RPAREN,
    T_LBRACE,
    T_RBRACE,
    T_LBRACKET,
    T_RBRACKET,
    T_COMMA,
    T_EQL,
    T_COLON,
    T_AT,
    T_EQL_REGEX,
    T_NEQ_REGEX,
    /* binary operators */
    T_ADD,
    T_SUB,
    T_MUL,
    T_DIV,
    T_MOD,
    T_POW,
    T_ATAN2,
    T_EQLC,
    T_NEQ,
    T_LSS,
    T_GTR,
    T_LTE,
    T_GTE,
    T_LAND,
    T_LOR,
    T_LUNLESS,
    /* aggregators */
    T_SUM,
    T_AVG,
    T_COUNT,
    T_MIN,
    T_MAX,
    T_GROUP,
    T_STDDEV,
    T_STDVAR,
    T_TOPK,
    T_BOTTOMK,
    T_COUNT_VALUES,
    T_QUANTILE,
    /* keywords */
    T_OFFSET,
    T_BY,
    T_WITHOUT,
    T_ON,
    T_IGNORING,
    T_GROUP_LEFT,
    T_GROUP_RIGHT,
    T_BOOL,
    T_START,
    T_END,
    T_NTOKENS
};

/* Token text as Prometheus spells it ("+", "sum", "group_left"). */
extern const char *const pq_tok_text[T_NTOKENS];

static inline int pq_tok_is_comparison(int t)
{
    return t >= T_EQLC && t <= T_GTE;
}
static inline int pq_tok_is_setop(int t)
{
    return t >= T_LAND && t <= T_LUNLESS;
}
static inline int pq_tok_is_aggr(int t)
{
    return t >= T_SUM && t <= T_QUANTILE;
}

enum pq_kind { N_NUM, N_STR, N_VS, N_MS, N_SUBQ, N_CALL, N_AGG, N_BIN, N_UNARY, N_PAREN };
enum pq_at { AT_NONE, AT_TS, AT_START, AT_END };
enum pq_card { CARD_ONE_TO_ONE, CARD_MANY_TO_ONE, CARD_ONE_TO_MANY, CARD_MANY_TO_MANY };

struct pq_func;

struct pq_strlist {
    char **v;
    size_t n;
};

struct pq_node {
    enum pq_kind kind;
    unsigned pos, end; /* byte range in the query */
    double num;        /* N_NUM */
    char *str;         /* N_STR value; N_VS metric name ("" when none) */
    /* N_VS: matchers (with the name's __name__= matcher); offset and @ on N_VS and N_SUBQ */
    struct matcher *ms;
    size_t nms;
    int64_t offset;
    enum pq_at at_mode;
    int64_t at;           /* AT_TS; start()/end() are resolved into it before evaluation */
    int64_t range, step;  /* N_MS, N_SUBQ */
    struct pq_node *expr; /* N_MS (its N_VS), N_SUBQ, N_AGG, N_UNARY, N_PAREN */
    struct pq_node *lhs, *rhs, *param;
    int op; /* N_BIN, N_AGG, N_UNARY */
    const struct pq_func *func;
    struct pq_node **args;
    size_t nargs;
    /* N_AGG */
    struct pq_strlist grouping;
    int without;
    /* N_BIN */
    int return_bool;
    int has_matching; /* on/ignoring written, or vector matching implied */
    int on;
    enum pq_card card;
    struct pq_strlist match_labels, include;
};

/* The static type of an expression (parse.c). */
enum pq_type pq_node_type(const struct pq_node *n);
/* A type as parse errors name it ("instant vector"), and as raw errors do ("vector")
 * (ast.c). */
const char *pq_type_name(enum pq_type t);
const char *pq_type_raw_name(enum pq_type t);

/*
 * Parse query (len bytes). Returns the tree, or NULL with Prometheus's error
 * text ("1:6: parse error: unexpected ...") in err. Matchers own regexes:
 * release with pq_node_release().
 */
struct pq_node *promql_parse(struct arena *a, const char *query, size_t len, struct strbuf *err);
void pq_node_release(struct pq_node *n);

/* Prometheus's Expr.String(). */
void promql_print(const struct pq_node *n, struct strbuf *out);
/*
 * Prometheus's Pretty(level) (what format_query returns): String() where it
 * fits in 100 bytes, else split over lines indented by two spaces a level.
 */
void promql_pretty(const struct pq_node *n, int level, struct strbuf *out);

/* Go's model.Duration String(): 1h30m, 5m, 1d, 0s, 500ms. */
void pq_fmt_duration(struct strbuf *sb, int64_t ms);

/* A duration's units (y w d h m s ms) and their milliseconds, largest first. */
#define PQ_DURATION_UNITS 7
struct pq_duration_unit {
    const char *u;
    int64_t mul;
};
extern const struct pq_duration_unit pq_duration_units[PQ_DURATION_UNITS];
/*
 * Go's float formatting: 'v' as fmt.Sprint (%v: shortest, exponent past 1e21),
 * 'f' as strconv.FormatFloat(v, 'f', -1, 64), both with +Inf, -Inf, NaN.
 */
void pq_fmt_float(struct strbuf *sb, double v, char mode);
/* The same into buf (no NUL); its length. 'f' of 1e308 is 309 digits. */
#define PQ_FLOAT_MAX 400
size_t pq_fmt_float_buf(char *buf, double v, char mode);

/* Literals (literal.c). A PromQL duration ("1h30m", "5m"); 0, or -1 when malformed. */
int pq_parse_duration(const char *s, size_t n, int64_t *ms);
/* A number token (decimal, hexadecimal, Inf, NaN); 0, or -1 when malformed. */
int pq_parse_number(const char *s, size_t n, double *out);
/* A string token of n bytes with its quotes, unquoted as Go's strconv.Unquote does (in a);
 * NULL when invalid. */
char *pq_unquote(struct arena *a, const char *s, size_t n);

#endif
