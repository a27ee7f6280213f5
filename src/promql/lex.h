/*
 * lex: PromQL's lexer (promql/parser/lex.go of Prometheus 2.42), context
 * sensitive as upstream's: inside braces words are label names, inside
 * brackets numbers are durations, keywords are case-insensitive, "Inf" and
 * "NaN" are numbers, '#' starts a comment to the end of the line.
 */
#ifndef CAIRN_PROMQL_LEX_H
#define CAIRN_PROMQL_LEX_H

#include <stddef.h>

#include "core/arena.h"
#include "promql/ast.h"

struct pq_token {
    enum pq_tok type;
    unsigned pos, len;
    const char *err; /* T_ERROR: the message */
};

/*
 * Tokenize query into an arena array ending with T_EOF or T_ERROR (whose
 * message says what and whose pos says where). Returns the token count.
 */
size_t pq_lex(struct arena *a, const char *query, size_t len, struct pq_token **out);

/* Prometheus's Item.desc(): `identifier "foo"`, "<op:+>", "end of input", "\"(\"". */
const char *pq_token_desc(struct arena *a, const char *query, const struct pq_token *t);

#endif
