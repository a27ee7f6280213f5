/*
 * ydoc: a YAML document as a tree of nodes that remember where they came
 * from (file:line:col), loaded with libyaml. Only what a stack file needs:
 * one document; maps, sequences and scalars; no anchors, aliases or custom
 * tags (each is a clear error, since they hide where a value came from).
 * Duplicate keys are errors. Everything lives in the document's arena.
 */
#ifndef CAIRN_YDOC_H
#define CAIRN_YDOC_H

#include <stddef.h>

#include "core/arena.h"
#include "core/diag.h"

enum ynode_kind { YNODE_SCALAR, YNODE_MAP, YNODE_SEQ };

#define YDOC_VERBATIM 2 /* value of ynode.quoted for text read verbatim from a file */

struct ynode {
    enum ynode_kind kind;
    struct srcloc loc; /* first character of the node (for a map value: the value) */
    /* Scalars. */
    const char *str; /* NUL-terminated text as written, after YAML unescaping */
    size_t len;      /* may hold NULs when quoted with \0; len is authoritative */
    int quoted;      /* '…', "…", | or >: always a string, never a number, bool or null;
                      * YDOC_VERBATIM: a file's whole text, so offsets map to line:col */
    /* Maps: keys[i] (scalar nodes) -> vals[i]. Sequences: vals[i]. In source order. */
    struct ynode **keys;
    struct ynode **vals;
    size_t n;
    size_t alloc; /* room in keys/vals; ydoc_append() grows them (0 is fine for any n) */
};

struct ydoc {
    struct arena arena;
    const char *file;   /* name used in locations */
    struct ynode *root; /* NULL for an empty document */
};

#define YDOC_MAX_BYTES (4u << 20) /* larger stack files are refused */
#define YDOC_MAX_DEPTH 64

void ydoc_init(struct ydoc *y);
void ydoc_release(struct ydoc *y);

/* Parse text (len bytes) named file. On a syntax error, d gets file:line:col and -1 returns. */
int ydoc_load_buf(struct ydoc *y, const char *file, const char *text, size_t len, struct diag *d);
/* Read and parse a file (capped at YDOC_MAX_BYTES); also registers its text with d for carets. */
int ydoc_load_file(struct ydoc *y, const char *path, struct diag *d);

/* Value of key in a map node, or NULL (also when m is not a map). */
struct ynode *ydoc_get(const struct ynode *m, const char *key);
/* Scalar that YAML 1.2 core schema reads as null: unquoted "", "~", "null", "Null", "NULL". */
int ydoc_is_null(const struct ynode *n);
/* Node kind as a word for messages: "a map", "a list", "a string". */
const char *ydoc_kind_name(const struct ynode *n);

/* New nodes in y's arena (template expansion builds trees with these). */
struct ynode *ydoc_new_scalar(struct arena *a, const char *s, size_t len, int quoted,
                              const struct srcloc *loc);
struct ynode *ydoc_new_map(struct arena *a, const struct srcloc *loc);
struct ynode *ydoc_new_seq(struct arena *a, const struct srcloc *loc);
/* Append to a map (key is a scalar node) or a sequence (key NULL). */
void ydoc_append(struct arena *a, struct ynode *parent, struct ynode *key, struct ynode *val);

#endif
