#include "agent/stack.h"
#include "core/xmalloc.h"

#include <stdlib.h>
#include <string.h>

void stack_init(struct stack *s)
{
    memset(s, 0, sizeof(*s));
    arena_init(&s->arena);
}

void stack_release(struct stack *s)
{
    for (size_t i = 0; i < s->ndocs; i++)
        ydoc_release(&s->docs[i]);
    free(s->docs);
    for (size_t i = 0; i < s->nres; i++)
        free(s->res[i]->deps);
    free(s->res);
    free(s->templates);
    free(s->broken_instances);
    arena_release(&s->arena);
    memset(s, 0, sizeof(*s));
}

/* The array of documents may move as it grows; nodes live
 * in each document's arena chunks, which never move, so pointers into trees stay valid. */
struct ydoc *stack_add_doc(struct stack *s, const char *path, const char *text, size_t len,
                           struct diag *d)
{
    struct ydoc *y;
    int r;

    XGROW(s->docs, s->adocs, s->ndocs + 1);
    y = &s->docs[s->ndocs];
    ydoc_init(y);
    r = text ? ydoc_load_buf(y, path, text, len, d) : ydoc_load_file(y, path, d);
    if (r < 0) {
        ydoc_release(y);
        return NULL;
    }
    s->ndocs++;
    return y;
}

struct ydoc *stack_load_doc(struct stack *s, const char *path, struct diag *d)
{
    return stack_add_doc(s, path, NULL, 0, d);
}

struct stack_res *stack_find(const struct stack *s, const char *name)
{
    for (size_t i = 0; i < s->nres; i++)
        if (strcmp(s->res[i]->name, name) == 0)
            return s->res[i];
    return NULL;
}

size_t stack_names(const struct stack *s, const char **names, size_t max)
{
    size_t n = 0;

    for (; n < s->nres && n < max; n++)
        names[n] = s->res[n]->name;
    return n;
}

struct stack_res *stack_add(struct stack *s, const char *name, const struct restype *type,
                            struct ynode *props, const struct srcloc *loc)
{
    struct stack_res *r = arena_alloc(&s->arena, sizeof(*r));

    r->name = name;
    r->type = type;
    r->props = props;
    r->loc = *loc;
    XGROW(s->res, s->ares, s->nres + 1);
    s->res[s->nres++] = r;
    return r;
}
