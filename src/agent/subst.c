#include "agent/subst.h"
#include "agent/interp.h"
#include "core/strbuf.h"

#include <errno.h>

#include <string.h>

struct srcloc subst_loc(const struct ynode *n, size_t off)
{
    struct srcloc loc = n->loc;

    /* A file's text maps exactly; a quoted scalar's location is its opening quote; other
     * multi-line scalars lost their indentation, so they keep their start. */
    if (n->quoted == YDOC_VERBATIM) {
        for (size_t i = 0; i < off && i < n->len; i++) {
            if (n->str[i] == '\n') {
                loc.line++;
                loc.col = 1;
            } else {
                loc.col++;
            }
        }
    } else if (!memchr(n->str, '\n', n->len)) {
        loc.col += (unsigned)off + (n->quoted ? 1 : 0);
    }
    return loc;
}

struct ynode *subst_copy(struct arena *a, const struct ynode *n)
{
    struct ynode *c;

    if (n->kind == YNODE_SCALAR)
        return ydoc_new_scalar(a, n->str, n->len, n->quoted, &n->loc);
    c = n->kind == YNODE_MAP ? ydoc_new_map(a, &n->loc) : ydoc_new_seq(a, &n->loc);
    for (size_t i = 0; i < n->n; i++)
        ydoc_append(a, c, n->kind == YNODE_MAP ? subst_copy(a, n->keys[i]) : NULL,
                    subst_copy(a, n->vals[i]));
    return c;
}

static struct ynode *subst_scalar(struct arena *a, const struct ynode *n,
                                  const struct subst_ops *ops, struct diag *d)
{
    struct strbuf why = STRBUF_INIT, out = STRBUF_INIT;
    struct interp in;
    struct ynode *res = NULL;
    size_t off = 0;
    int changed = 0;

    if (!interp_has_expr(n->str))
        return subst_copy(a, n);
    if (interp_parse(a, n->str, &in, &off, &why) < 0) {
        struct srcloc loc = subst_loc(n, off);
        diag_error(d, &loc, "%s", why.buf);
        res = subst_copy(a, n);
        goto out;
    }
    for (size_t i = 0; i < in.n; i++) {
        const struct interp_part *p = &in.parts[i];
        const struct ynode *val = NULL;
        struct srcloc loc;
        enum subst_action act;

        if (!p->is_expr) {
            /* Literal text, with "$${" already turned into "${": write it back escaped. */
            for (const char *c = p->text; *c; c++) {
                if (c[0] == '$' && c[1] == '{')
                    strbuf_addc(&out, '$');
                strbuf_addc(&out, *c);
            }
            continue;
        }
        loc = subst_loc(n, p->offset);
        act = ops->resolve(ops->ctx, p->text, &loc, &val, d);
        if (act == SUBST_REPLACE && in.n == 1) {
            res = subst_copy(a, val);
            goto out;
        }
        if (act == SUBST_REPLACE && val->kind != YNODE_SCALAR) {
            diag_error(d, &loc,
                       "${%s} is %s; only a string, number or boolean can be part of a string",
                       p->text, ydoc_kind_name(val));
            act = SUBST_ERROR;
        }
        if (act == SUBST_REPLACE) {
            strbuf_add(&out, val->str, val->len);
            changed = 1;
        } else {
            strbuf_addf(&out, "${%s}", p->text);
        }
    }
    /* A string built from parts is a string, whatever it looks like. */
    res = ydoc_new_scalar(a, out.buf, out.len, changed ? 1 : n->quoted, &n->loc);
out:
    strbuf_release(&why);
    strbuf_release(&out);
    return res;
}

struct ynode *subst_tree(struct arena *a, const struct ynode *n, const struct subst_ops *ops,
                         struct diag *d)
{
    struct ynode *c;

    if (n->kind == YNODE_SCALAR)
        return subst_scalar(a, n, ops, d);
    c = n->kind == YNODE_MAP ? ydoc_new_map(a, &n->loc) : ydoc_new_seq(a, &n->loc);
    for (size_t i = 0; i < n->n; i++) {
        struct ynode *nv = subst_tree(a, n->vals[i], ops, d);
        /* A null value (~) means the key is not there: "key: ${param.x}" with x null is how a
         * template makes a property optional. */
        if (n->kind == YNODE_MAP && ydoc_is_null(nv))
            continue;
        ydoc_append(a, c, n->kind == YNODE_MAP ? subst_copy(a, n->keys[i]) : NULL, nv);
    }
    return c;
}

struct ynode *subst_file(struct arena *a, const char *dir, const char *name,
                         const struct srcloc *loc, const struct subst_ops *ops, int depth,
                         struct diag *d)
{
    struct strbuf text;
    struct ynode *raw, *res = NULL;
    char *path;

    if (!*name || strstr(name, "..") || name[0] == '.') {
        diag_error(d, loc, "${file.%s}: a file is named by its name in %s/files", name, dir);
        return NULL;
    }
    if (depth > 4) {
        diag_error(d, loc, "${file.%s}: files include each other too deeply (a loop?)", name);
        return NULL;
    }
    path = arena_printf(a, "%s/files/%s", dir, name);
    strbuf_init(&text, SUBST_FILE_MAX);
    if (strbuf_read_file(&text, path) < 0) {
        diag_error(d, loc, "${file.%s}: cannot read '%s': %s", name, path,
                   errno == EFBIG ? "larger than 256 KiB" : strerror(errno));
        goto out;
    }
    diag_add_source(d, path, text.buf, text.len);
    raw = ydoc_new_scalar(a, text.buf, text.len, YDOC_VERBATIM, &(struct srcloc){path, 1, 1});
    res = subst_scalar(a, raw, ops, d);
out:
    strbuf_release(&text);
    return res;
}
