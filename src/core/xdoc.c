#include "core/xdoc.h"
#include "core/strbuf.h"
#include "core/xmalloc.h"

#include <expat.h>
#include <stdlib.h>
#include <string.h>

#define XDOC_MAX_DEPTH 64

struct builder {
    struct xdoc *doc;
    XML_Parser parser;
    struct xnode *cur;
    struct strbuf text[XDOC_MAX_DEPTH];
    int depth;
    int too_deep;
};

static const char *local_name(const char *name)
{
    /* With namespace processing on, expat gives "uri|local". */
    const char *bar = strrchr(name, '|');
    return bar ? bar + 1 : name;
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
    struct builder *b = ud;
    struct xnode *n, **link;

    if (b->depth >= XDOC_MAX_DEPTH) {
        b->too_deep = 1;
        XML_StopParser(b->parser, XML_FALSE);
        return;
    }
    n = arena_alloc(&b->doc->arena, sizeof(*n));
    n->name = arena_strdup(&b->doc->arena, local_name(name));
    n->text = "";
    n->parent = b->cur;
    if (b->cur) {
        for (link = &b->cur->child; *link; link = &(*link)->next)
            ;
        *link = n;
    } else {
        b->doc->root = n;
    }
    b->cur = n;
    strbuf_reset(&b->text[b->depth]);
    b->depth++;
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
    struct builder *b = ud;
    struct strbuf *t;

    b->depth--;
    t = &b->text[b->depth];
    b->cur->text = arena_strndup(&b->doc->arena, t->buf, t->len);
    b->cur = b->cur->parent;
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
    struct builder *b = ud;

    if (b->depth > 0)
        strbuf_add(&b->text[b->depth - 1], s, (size_t)len);
}

struct xdoc *xdoc_parse(const char *buf, size_t len, struct diag *d)
{
    struct builder b;
    struct xdoc *doc = xcalloc(1, sizeof(*doc));
    int ok;

    memset(&b, 0, sizeof(b));
    arena_init(&doc->arena);
    b.doc = doc;
    for (int i = 0; i < XDOC_MAX_DEPTH; i++)
        strbuf_init(&b.text[i], STRBUF_NOCAP);
    b.parser = XML_ParserCreateNS(NULL, '|');
    XML_SetUserData(b.parser, &b);
    XML_SetElementHandler(b.parser, on_start, on_end);
    XML_SetCharacterDataHandler(b.parser, on_text);
    ok = XML_Parse(b.parser, buf, (int)len, XML_TRUE) == XML_STATUS_OK;
    if (b.too_deep)
        diag_error(d, NULL, "XML response nested deeper than %d elements", XDOC_MAX_DEPTH);
    else if (!ok)
        diag_error(d, NULL, "malformed XML response at line %lu, column %lu: %s",
                   (unsigned long)XML_GetCurrentLineNumber(b.parser),
                   (unsigned long)XML_GetCurrentColumnNumber(b.parser) + 1,
                   XML_ErrorString(XML_GetErrorCode(b.parser)));
    else if (!doc->root)
        diag_error(d, NULL, "empty XML response");
    XML_ParserFree(b.parser);
    for (int i = 0; i < XDOC_MAX_DEPTH; i++)
        strbuf_release(&b.text[i]);
    if (!ok || b.too_deep || !doc->root) {
        xdoc_free(doc);
        return NULL;
    }
    return doc;
}

void xdoc_free(struct xdoc *x)
{
    if (!x)
        return;
    arena_release(&x->arena);
    free(x);
}

const struct xnode *xdoc_child(const struct xnode *n, const char *name)
{
    if (!n)
        return NULL;
    for (const struct xnode *c = n->child; c; c = c->next)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

const struct xnode *xdoc_next(const struct xnode *n)
{
    for (const struct xnode *c = n ? n->next : NULL; c; c = c->next)
        if (strcmp(c->name, n->name) == 0)
            return c;
    return NULL;
}

const struct xnode *xdoc_path(const struct xnode *n, const char *path)
{
    char name[128];

    while (n && *path) {
        size_t len = strcspn(path, "/");
        if (len >= sizeof(name))
            return NULL;
        memcpy(name, path, len);
        name[len] = '\0';
        n = xdoc_child(n, name);
        path += len;
        if (*path == '/')
            path++;
    }
    return n;
}

const char *xdoc_text(const struct xnode *n, const char *path)
{
    n = xdoc_path(n, path);
    return n ? n->text : NULL;
}
