/*
 * libFuzzer target for the YAML loader: any bytes in, either a tree or
 * diagnostics out, never a crash, a leak or a sanitizer report. A tree that
 * loads is walked completely so every node the loader made is touched.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/ydoc.h"
#include "core/diag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t sink;
static FILE *devnull;
static unsigned max_line; /* of the input being loaded */

static void walk(const struct ynode *n, unsigned depth)
{
    if (!n)
        return;
    /* The loader promises this much; a broken promise is a crash here. */
    if ((n->kind != YNODE_SCALAR && depth > YDOC_MAX_DEPTH) || !n->loc.file || !n->loc.line ||
        n->loc.line > max_line || !n->loc.col)
        __builtin_trap();
    sink += n->loc.line + n->loc.col + strlen(ydoc_kind_name(n));
    switch (n->kind) {
    case YNODE_SCALAR:
        if (!n->str || n->str[n->len] != '\0' || n->n)
            __builtin_trap();
        sink += n->len + (size_t)ydoc_is_null(n);
        break;
    case YNODE_MAP:
        for (size_t i = 0; i < n->n; i++) {
            const struct ynode *k = n->keys[i];
            if (!k || k->kind != YNODE_SCALAR)
                __builtin_trap();
            /* Keys are unique, so looking one up finds its own value (unless it holds a NUL). */
            if (strlen(k->str) == k->len && ydoc_get(n, k->str) != n->vals[i])
                __builtin_trap();
            walk(n->vals[i], depth + 1);
        }
        sink += ydoc_get(n, "resources") != NULL;
        break;
    case YNODE_SEQ:
        for (size_t i = 0; i < n->n; i++)
            walk(n->vals[i], depth + 1);
        break;
    }
}

/* Lines as libyaml counts them: ended by \n, \r\n, \r, NEL, LS or PS. */
static unsigned count_lines(const uint8_t *s, size_t n)
{
    unsigned lines = 1;

    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n' || (s[i] == '\r' && (i + 1 == n || s[i + 1] != '\n')))
            lines++;
        else if (s[i] == 0xc2 && i + 1 < n && s[i + 1] == 0x85)
            lines++;
        else if (s[i] == 0xe2 && i + 2 < n && s[i + 1] == 0x80 && (s[i + 2] & 0xfe) == 0xa8)
            lines++;
    }
    return lines;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ydoc y;
    struct diag d;

    max_line = count_lines(data, size);
    ydoc_init(&y);
    diag_init(&d);
    diag_add_source(&d, "fuzz.yaml", (const char *)data, size);
    if (ydoc_load_buf(&y, "fuzz.yaml", (const char *)data, size, &d) == 0) {
        if (diag_has_errors(&d))
            __builtin_trap();
        walk(y.root, 1);
    } else if (!diag_has_errors(&d) || y.root) {
        __builtin_trap();
    }
    /* Every position is inside the text. */
    for (size_t i = 0; i < d.n; i++)
        if (d.v[i].loc.line > max_line || d.v[i].loc.col > size + 1)
            __builtin_trap();
    /* Printing shows source lines with carets at the loader's positions: exercise that too. */
    if (!devnull)
        devnull = fopen("/dev/null", "w");
    if (devnull)
        diag_print(&d, devnull, "fuzz");
    ydoc_release(&y);
    diag_release(&d);
    return 0;
}
