/*
 * labels: a series' identity, as Prometheus's labels.Labels. A set is an
 * array of name/value pairs sorted by name with unique names; the metric name
 * is the label "__name__". A label with an empty value is the same as no
 * label at all (the builder drops it), as in Prometheus.
 *
 * Strings are borrowed: a set points at text that lives in an arena, a
 * symtab or the buffer being parsed. labels_dup() copies a set into an arena.
 */
#ifndef CAIRN_LABELS_H
#define CAIRN_LABELS_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/strbuf.h"

#define LABELS_METRIC_NAME "__name__"

struct label {
    const char *name;
    const char *value;
};

struct labels {
    const struct label *v;
    size_t n;
};

/* Prometheus's labels.Compare: pairwise by name then value; a prefix sorts first. */
int labels_cmp(const struct labels *a, const struct labels *b);
int labels_equal(const struct labels *a, const struct labels *b);
uint64_t labels_hash(const struct labels *ls);
/* Hash of the set without the metric name (for "on all but __name__" grouping). */
uint64_t labels_hash_without_name(const struct labels *ls);
/* The value of name, or NULL when absent. */
const char *labels_get(const struct labels *ls, const char *name);
struct labels labels_dup(struct arena *a, const struct labels *ls);

/* Prometheus's String(): {__name__="up", job="x"} with values quoted as Go's strconv.Quote. */
int labels_format(const struct labels *ls, struct strbuf *sb);
/* Go's strconv.Quote of s (with the quotes), as Prometheus prints label values. */
int labels_quote(struct strbuf *sb, const char *s, size_t n);

/* [a-zA-Z_][a-zA-Z0-9_]* */
int labels_valid_name(const char *s, size_t n);
/* [a-zA-Z_:][a-zA-Z0-9_:]* */
int labels_valid_metric_name(const char *s, size_t n);

/*
 * A builder collects pairs in any order, sets and deletes, then yields a
 * sorted set. The set is a view of the builder's array: valid until the
 * builder changes.
 */
struct labels_builder {
    struct label *v;
    size_t n, alloc;
};

void labels_builder_init(struct labels_builder *b);
void labels_builder_release(struct labels_builder *b);
/* Start again from base (NULL: empty). */
void labels_builder_reset(struct labels_builder *b, const struct labels *base);
/* Add or replace; an empty value deletes. */
void labels_builder_set(struct labels_builder *b, const char *name, const char *value);
void labels_builder_del(struct labels_builder *b, const char *name);
/* Append without looking for the name (for parsers; finish finds duplicates). */
void labels_builder_push(struct labels_builder *b, const char *name, const char *value);
/*
 * Sort, drop empty values, and return the set in out. Returns 0, or -1 if a
 * name occurs twice (*dup names it, when dup is not NULL).
 */
int labels_builder_finish(struct labels_builder *b, struct labels *out, const char **dup);

#endif
