/*
 * xdoc: a small read-only DOM built with expat, for the XML responses of the
 * Query-protocol services. Element names lose their namespace; text is the
 * element's character data. Everything lives in the document's arena.
 */
#ifndef CAIRN_XDOC_H
#define CAIRN_XDOC_H

#include <stddef.h>

#include "core/arena.h"
#include "core/diag.h"

struct xnode {
    const char *name; /* local name */
    const char *text; /* character data directly inside this element ("" if none) */
    struct xnode *parent, *child, *next;
};

struct xdoc {
    struct arena arena;
    struct xnode *root;
};

/* NULL on malformed XML or nesting deeper than 64, with the reason in d. */
struct xdoc *xdoc_parse(const char *buf, size_t len, struct diag *d);
void xdoc_free(struct xdoc *x);

/* First child element named name. */
const struct xnode *xdoc_child(const struct xnode *n, const char *name);
/* Next sibling after n with the same name (iterating a list of <member>). */
const struct xnode *xdoc_next(const struct xnode *n);
/* Descend by a '/'-separated path of names ("GetCallerIdentityResult/Arn"),
 * first match at each step. "" returns n. */
const struct xnode *xdoc_path(const struct xnode *n, const char *path);
/* Text at path, or NULL when the element is absent. */
const char *xdoc_text(const struct xnode *n, const char *path);

#endif
