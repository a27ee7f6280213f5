/*
 * Rewriting ${...} in a YAML tree. subst_tree() copies a tree and asks a
 * resolver about every expression it meets: keep it as it is (a reference
 * the engine resolves at apply time), replace it (a parameter, the stack's
 * name), or fail. Template expansion and the stack pass are two resolvers.
 */
#ifndef CAIRN_SUBST_H
#define CAIRN_SUBST_H

#include "core/ydoc.h"
#include "core/arena.h"
#include "core/diag.h"

enum subst_action { SUBST_KEEP, SUBST_REPLACE, SUBST_ERROR };

struct subst_ops {
    /* expr: the text inside ${}; loc: where it is written. On SUBST_REPLACE, *out is the value
     * (copied into the new tree; a non-scalar is only allowed when the scalar is exactly the
     * one expression). On SUBST_ERROR the resolver has put the reason in d. */
    enum subst_action (*resolve)(void *ctx, const char *expr, const struct srcloc *loc,
                                 const struct ynode **out, struct diag *d);
    void *ctx;
};

/* Copy n into a with expressions resolved. Returns the copy (also when some expressions
 * failed: errors are in d, and the failed ones are kept as written). */
struct ynode *subst_tree(struct arena *a, const struct ynode *n, const struct subst_ops *ops,
                         struct diag *d);
#define SUBST_FILE_MAX (256u << 10)

/*
 * ${file.NAME}: the text of dir/files/NAME (a configuration file a daemon reads at start, for
 * example), with its own ${...} resolved by ops, the scope it is used in. NULL with an error in
 * d when the file is missing, too large or not a plain name. depth counts nested files.
 */
struct ynode *subst_file(struct arena *a, const char *dir, const char *name,
                         const struct srcloc *loc, const struct subst_ops *ops, int depth,
                         struct diag *d);

/* Deep copy without substitution. */
struct ynode *subst_copy(struct arena *a, const struct ynode *n);
/* Where byte offset off of scalar n is in the file (exact for one-line scalars). */
struct srcloc subst_loc(const struct ynode *n, size_t off);

#endif
