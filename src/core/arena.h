/*
 * Arena: bump allocation for data that lives and dies together (a loaded
 * stack, a plan, a request, a scrape). Nothing is freed individually;
 * arena_release() frees everything at once.
 */
#ifndef CAIRN_ARENA_H
#define CAIRN_ARENA_H

#include <stdarg.h>
#include <stddef.h>

struct arena_chunk;

struct arena {
    struct arena_chunk *head;
    size_t total; /* bytes handed out, for statistics */
};

void arena_init(struct arena *a);
void arena_release(struct arena *a);

/* Zeroed memory aligned for any type. */
void *arena_alloc(struct arena *a, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
void *arena_memdup(struct arena *a, const void *p, size_t n);
/*
 * Room for one more in an array v of n elements of size bytes, *alloc of them allocated: v
 * itself while n < *alloc, else a copy in a block of a twice as large (first elements the
 * first time), *alloc updated. The old block stays in the arena until it is released.
 */
void *arena_grow(struct arena *a, void *v, size_t n, size_t *alloc, size_t size, size_t first);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *arena_vprintf(struct arena *a, const char *fmt, va_list ap);

#endif
