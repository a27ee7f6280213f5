/*
 * symtab: string interning for label names and values. Each distinct string
 * is stored once, NUL-terminated, with a reference count; equal strings give
 * the same pointer, so interned strings compare by pointer and a label set
 * built from them costs two pointers per label.
 *
 * The TSDB head and the scrape caches hold strings from here: intern() takes
 * a reference, unref() drops one and frees the string at zero. A symtab is
 * safe to use from several threads (one mutex; interning is off the hot path
 * once a series is known). Hashing is core/hash's hash_bytes.
 */
#ifndef CAIRN_SYMTAB_H
#define CAIRN_SYMTAB_H

#include <stddef.h>

#include "metrics/labels.h"

struct symtab;

struct symtab *symtab_new(void);
/* Frees every string, referenced or not. */
void symtab_free(struct symtab *st);

/* The interned copy of s[0..n), with one more reference. */
const char *symtab_intern(struct symtab *st, const char *s, size_t n);
/* One more reference to a string returned by symtab_intern. */
const char *symtab_ref(struct symtab *st, const char *sym);
/* Drop a reference to a string returned by symtab_intern or symtab_ref. */
void symtab_unref(struct symtab *st, const char *sym);

/*
 * Intern every name and value of ls into a new array (xmalloc'd, free with
 * symtab_unref_labels). Returns the interned set.
 */
struct labels symtab_intern_labels(struct symtab *st, const struct labels *ls);
/* Drop the references of a set from symtab_intern_labels and free its array. */
void symtab_unref_labels(struct symtab *st, struct labels *ls);

/* Distinct strings held, and their bytes (for self-metrics). */
size_t symtab_count(const struct symtab *st);
size_t symtab_bytes(const struct symtab *st);

#endif
