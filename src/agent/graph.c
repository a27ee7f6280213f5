#include "agent/graph.h"
#include "core/strbuf.h"
#include "core/xmalloc.h"

#include <stdlib.h>
#include <string.h>

void graph_add_dep(struct stack_res *r, struct stack_res *dep)
{
    if (dep == r)
        return;
    for (size_t i = 0; i < r->ndeps; i++)
        if (r->deps[i] == dep)
            return;
    XGROW(r->deps, r->adeps, r->ndeps + 1);
    r->deps[r->ndeps++] = dep;
}

static size_t index_of(const struct stack *s, const struct stack_res *r)
{
    for (size_t i = 0; i < s->nres; i++)
        if (s->res[i] == r)
            return i;
    return 0;
}

enum { WHITE, GREY, BLACK };

/* Iterative DFS so a long chain cannot overflow the C stack. */
int graph_check_cycles(struct stack *s, struct diag *d)
{
    unsigned char *color = xcalloc(s->nres ? s->nres : 1, 1);
    size_t *stack = xmalloc((s->nres + 1) * sizeof(*stack));
    size_t *next = xcalloc(s->nres ? s->nres : 1, sizeof(*next));
    int ret = 0;

    for (size_t root = 0; root < s->nres; root++) {
        size_t top = 0;
        if (color[root] != WHITE)
            continue;
        stack[top++] = root;
        color[root] = GREY;
        while (top) {
            size_t v = stack[top - 1];
            struct stack_res *r = s->res[v];
            if (next[v] == r->ndeps) {
                color[v] = BLACK;
                top--;
                continue;
            }
            size_t w = index_of(s, r->deps[next[v]++]);
            if (color[w] == WHITE) {
                color[w] = GREY;
                stack[top++] = w;
            } else if (color[w] == GREY) {
                /* The cycle is the part of the DFS stack from w to v, then back to w. */
                struct strbuf sb = STRBUF_INIT;
                size_t from = top;
                while (from > 0 && stack[from - 1] != w)
                    from--;
                for (size_t i = from - 1; i < top; i++)
                    strbuf_addf(&sb, "%s -> ", s->res[stack[i]]->name);
                strbuf_adds(&sb, s->res[w]->name);
                diag_error(d, &s->res[w]->loc, "dependency cycle: %s", sb.buf);
                strbuf_release(&sb);
                ret = -1;
            }
        }
    }
    free(color);
    free(stack);
    free(next);
    return ret;
}

struct stack_res **graph_order(struct stack *s)
{
    struct stack_res **out;
    unsigned char *done;
    size_t n = 0;

    if (s->order)
        return s->order;
    out = arena_alloc(&s->arena, (s->nres + 1) * sizeof(*out));
    done = xcalloc(s->nres ? s->nres : 1, 1);

    /* Quadratic, but a stack has tens of resources and file order breaks ties simply. */
    while (n < s->nres) {
        size_t progress = n;
        for (size_t i = 0; i < s->nres; i++) {
            struct stack_res *r = s->res[i];
            size_t j;
            if (done[i])
                continue;
            for (j = 0; j < r->ndeps; j++)
                if (!done[index_of(s, r->deps[j])])
                    break;
            if (j == r->ndeps) {
                done[i] = 1;
                out[n++] = r;
                break; /* restart so earlier resources that became ready go first */
            }
        }
        if (n == progress)
            break; /* a cycle: graph_check_cycles() has reported it */
    }
    free(done);
    return out;
}

static void dot_id(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

void graph_dot(struct stack *s, FILE *out)
{
    fputs("digraph ", out);
    dot_id(out, s->name ? s->name : "stack");
    fputs(" {\n  rankdir=RL;\n  node [shape=box, fontname=\"Helvetica\", fontsize=10];\n", out);
    for (size_t i = 0; i < s->nres; i++) {
        const struct stack_res *r = s->res[i];
        int first = !r->instance || i == 0 || !s->res[i - 1]->instance ||
                    strcmp(s->res[i - 1]->instance, r->instance) != 0;
        int last = !r->instance || i + 1 == s->nres || !s->res[i + 1]->instance ||
                   strcmp(s->res[i + 1]->instance, r->instance) != 0;
        if (r->instance && first) {
            fprintf(out, "  subgraph \"cluster_%s\" {\n    label=\"%s (%s)\";\n", r->instance,
                    r->instance, r->template_name);
        }
        fputs(r->instance ? "    " : "  ", out);
        dot_id(out, r->name);
        fprintf(out, " [label=\"%s\\n%s\"];\n", r->name, r->type->name);
        if (r->instance && last)
            fputs("  }\n", out);
    }
    for (size_t i = 0; i < s->nres; i++) {
        for (size_t j = 0; j < s->res[i]->ndeps; j++) {
            fputs("  ", out);
            dot_id(out, s->res[i]->name);
            fputs(" -> ", out);
            dot_id(out, s->res[i]->deps[j]->name);
            fputs(";\n", out);
        }
    }
    fputs("}\n", out);
}
