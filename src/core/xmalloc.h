/* Allocation wrappers that abort on out-of-memory, so callers never check. */
#ifndef CAIRN_XMALLOC_H
#define CAIRN_XMALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Grow *p (holding *alloc elements of size) to at least need elements. */
void xgrow(void **p, size_t *alloc, size_t need, size_t size);

#define XGROW(p, alloc, need) xgrow((void **)&(p), &(alloc), (need), sizeof(*(p)))

#endif
