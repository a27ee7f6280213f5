/*
 * cfgkeys: decoding YAML maps (core/ydoc) against tables of keys, for
 * prometheus.yml. A key is known (decoded into a field by kind, or by a
 * function), known but not implemented (an error saying so), or unknown (an
 * error at its file:line:col with a did-you-mean over the known keys).
 * Scalars: strings, Prometheus durations, booleans (true/false, yes/no,
 * on/off), unsigned integers, and byte sizes as Prometheus's
 * body_size_limit ("10MB", "512KiB"; KB means KiB as in Go's units.Base2Bytes).
 */
#ifndef CAIRN_CFGKEYS_H
#define CAIRN_CFGKEYS_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/diag.h"
#include "core/ydoc.h"
#include "metrics/labels.h"
#include "scrape/relabel.h"

struct promcfg;

struct cfgkeys_ctx {
    struct promcfg *c;
    struct arena *a;
    struct diag *d;
};

enum cfgkeys_kind {
    CFGKEYS_STR,
    CFGKEYS_DUR,
    CFGKEYS_BOOL,
    CFGKEYS_UINT,
    CFGKEYS_SIZE,
    CFGKEYS_FN,
    CFGKEYS_IGNORE,
    CFGKEYS_UNSUPPORTED
};

struct cfgkeys_key {
    const char *name;
    enum cfgkeys_kind kind;
    size_t off;
    int (*fn)(struct cfgkeys_ctx *x, const struct ynode *v, void *obj);
};

#define CFGKEYS_FIELD(type, f) offsetof(type, f)
#define CFGKEYS_N(t)           (sizeof(t) / sizeof((t)[0]))

int cfgkeys_want_scalar(struct cfgkeys_ctx *x, const struct ynode *v, const char *what);
/* v is a node of kind (or null, for maps and lists). */
int cfgkeys_want(struct cfgkeys_ctx *x, const struct ynode *v, enum ynode_kind kind,
                 const char *what);
int cfgkeys_scalar(struct cfgkeys_ctx *x, const struct ynode *k, const struct ynode *v,
                   const struct cfgkeys_key *key, void *obj);
/* Decode map m into obj by the table; where names the map in messages ("global"). */
int cfgkeys_map(struct cfgkeys_ctx *x, const struct ynode *m, const struct cfgkeys_key *keys,
                size_t n, void *obj, const char *where);
int cfgkeys_strlist(struct cfgkeys_ctx *x, const struct ynode *v, const char ***out, size_t *n,
                    const char *what);
/* A map of label names to values, validated as model.LabelSet, sorted. */
int cfgkeys_labels(struct cfgkeys_ctx *x, const struct ynode *v, struct labels *out);
/* A list of relabel_configs, validated and compiled. */
int cfgkeys_relabels(struct cfgkeys_ctx *x, const struct ynode *v, struct relabel_rule **out,
                     size_t *n, const char *what);

#endif
