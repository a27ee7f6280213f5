/*
 * parse_impl: the parser's state and token helpers, shared by parse.c (expressions, calls,
 * aggregations, binary operators) and parsesel.c (selectors and the modifiers after an
 * expression: offset, @, [range], [range:step]).
 */
#ifndef CAIRN_PROMQL_PARSE_IMPL_H
#define CAIRN_PROMQL_PARSE_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "promql/ast.h"
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

static inline const struct pq_token *parse_cur(struct parser *p)
{
    return &p->t[p->i];
}
static inline const struct pq_token *parse_peek(struct parser *p, size_t k)
{
    return p->i + k < p->nt ? &p->t[p->i + k] : &p->t[p->nt - 1];
}
static inline int parse_is(struct parser *p, enum pq_tok t)
{
    return parse_cur(p)->type == t;
}
static inline void parse_next(struct parser *p)
{
    if (p->i + 1 < p->nt)
        p->i++;
}

/* The first error wins: its text and position; later ones are dropped. */
void parse_errat(struct parser *p, unsigned pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prometheus's p.unexpected(context, expected). */
void parse_unexpected(struct parser *p, const char *context, const char *expected);
/* A new node of kind k at pos (in the parser's arena). */
struct pq_node *parse_node(struct parser *p, enum pq_kind k, unsigned pos);
/* A token's text (in the arena). */
const char *parse_tok_text(struct parser *p, const struct pq_token *t);
/* A string token's text (pq_unquote), or NULL after an error as Prometheus words it. */
char *parse_unquote(struct parser *p, const struct pq_token *t);
/* Whether a token may be a label name: an identifier or a keyword. */
int parse_is_label_word(const struct pq_token *t);

/* parsesel.c: a vector selector (name: its metric name token, or NULL before '{'), and the
 * modifiers that may follow expression e; NULL after an error. */
struct pq_node *parsesel_selector(struct parser *p, const struct pq_token *name);
struct pq_node *parsesel_postfix(struct parser *p, struct pq_node *e);

#endif
