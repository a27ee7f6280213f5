/*
 * ${...} in stack values. A scalar is split into literal text and
 * expressions; an expression is a dotted path of names: "vpc.id",
 * "param.port", "stack.region", "efs.prometheus_data.id". "$${" is a
 * literal "${".
 */
#ifndef CAIRN_INTERP_H
#define CAIRN_INTERP_H

#include <stddef.h>

#include "core/arena.h"
#include "core/strbuf.h"

struct interp_part {
    int is_expr;      /* 0: literal text; 1: the expression between ${ and } */
    const char *text; /* NUL-terminated, in the arena */
    size_t offset;    /* byte offset of the part in the scalar (of "${" for expressions) */
};

struct interp {
    struct interp_part *parts;
    size_t n;
};

/* Split s. Returns 0, or -1 with why filled and *err_offset set (an unclosed "${", an empty or
 * malformed expression). A scalar without "${" is one literal part. */
int interp_parse(struct arena *a, const char *s, struct interp *out, size_t *err_offset,
                 struct strbuf *why);
/* A name ${...} can refer to: a lowercase letter, then lowercase letters, digits and '_'
 * (resources, parameters). */
int interp_valid_name(const char *s);
/* Whether s contains an expression at all (cheap check before parsing). */
int interp_has_expr(const char *s);
/* The scalar is exactly one expression, nothing around it. */
int interp_is_single(const struct interp *in);

#endif
