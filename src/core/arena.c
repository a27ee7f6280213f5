#include "arena.h"
#include "xmalloc.h"

#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_CHUNK 8192

struct arena_chunk {
    struct arena_chunk *next;
    size_t used, size;
    alignas(max_align_t) unsigned char data[];
};

void arena_init(struct arena *a)
{
    a->head = NULL;
    a->total = 0;
}

void arena_release(struct arena *a)
{
    struct arena_chunk *c = a->head, *next;

    for (; c; c = next) {
        next = c->next;
        free(c);
    }
    a->head = NULL;
    a->total = 0;
}

void *arena_alloc(struct arena *a, size_t n)
{
    const size_t align = alignof(max_align_t);
    struct arena_chunk *c = a->head;
    size_t need = (n + align - 1) & ~(align - 1);
    void *p;

    if (need < n)
        need = n; /* overflow: let xmalloc abort on the absurd size below */
    if (!c || c->size - c->used < need) {
        size_t size = need > ARENA_CHUNK / 2 ? need : ARENA_CHUNK;
        if (size != ARENA_CHUNK) {
            /* Oversized: zeroed by calloc, which skips the work for fresh pages (a query's
             * value arrays run to megabytes); kept behind the current chunk so that chunk's
             * free space stays usable. */
            c = xcalloc(1, sizeof(*c) + size);
            c->size = c->used = size;
            if (a->head) {
                c->next = a->head->next;
                a->head->next = c;
            } else {
                c->next = NULL;
                a->head = c;
            }
            a->total += n;
            return c->data;
        }
        c = xmalloc(sizeof(*c) + size);
        c->size = size;
        c->used = 0;
        c->next = a->head;
        a->head = c;
    }
    p = c->data + c->used;
    c->used += need;
    a->total += n;
    memset(p, 0, n);
    return p;
}

void *arena_memdup(struct arena *a, const void *p, size_t n)
{
    void *q = arena_alloc(a, n);
    if (n)
        memcpy(q, p, n);
    return q;
}

void *arena_grow(struct arena *a, void *v, size_t n, size_t *alloc, size_t size, size_t first)
{
    void *nv;

    if (n < *alloc)
        return v;
    *alloc = *alloc ? *alloc * 2 : first;
    nv = arena_alloc(a, *alloc * size);
    if (n)
        memcpy(nv, v, n * size);
    return nv;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
    return s ? arena_strndup(a, s, strlen(s)) : NULL;
}

char *arena_vprintf(struct arena *a, const char *fmt, va_list ap)
{
    va_list cp;
    int n;
    char *p;

    va_copy(cp, ap);
    n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n < 0)
        n = 0;
    p = arena_alloc(a, (size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
    va_list ap;
    char *p;

    va_start(ap, fmt);
    p = arena_vprintf(a, fmt, ap);
    va_end(ap);
    return p;
}
