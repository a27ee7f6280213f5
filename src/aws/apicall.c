#include "aws/apicall.h"
#include "core/xmalloc.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void apicall_init(struct apicall *c, const struct service *svc, const char *op)
{
    memset(c, 0, sizeof(*c));
    arena_init(&c->arena);
    c->svc = svc;
    c->op = op;
}

void apicall_reset_result(struct apicall *c)
{
    json_decref(c->out);
    c->out = NULL;
    xdoc_free(c->xml);
    c->xml = NULL;
    c->status = 0;
    c->attempts = 0;
    memset(&c->err, 0, sizeof(c->err));
}

void apicall_release(struct apicall *c)
{
    apicall_reset_result(c);
    json_decref(c->body);
    free(c->params);
    arena_release(&c->arena);
    memset(c, 0, sizeof(*c));
}

void apicall_param(struct apicall *c, const char *name, const char *value)
{
    XGROW(c->params, c->aparams, c->nparams + 1);
    c->params[c->nparams].name = arena_strdup(&c->arena, name);
    c->params[c->nparams].value = arena_strdup(&c->arena, value);
    c->nparams++;
}

void apicall_paramf(struct apicall *c, const char *value, const char *namefmt, ...)
{
    va_list ap;
    char *name;

    va_start(ap, namefmt);
    name = arena_vprintf(&c->arena, namefmt, ap);
    va_end(ap);
    XGROW(c->params, c->aparams, c->nparams + 1);
    c->params[c->nparams].name = name;
    c->params[c->nparams].value = arena_strdup(&c->arena, value);
    c->nparams++;
}

void apicall_rest(struct apicall *c, const char *method, const char *pathfmt, ...)
{
    va_list ap;

    va_start(ap, pathfmt);
    c->path = arena_vprintf(&c->arena, pathfmt, ap);
    va_end(ap);
    c->method = method;
}

void apicall_json(struct apicall *c, json_t *body)
{
    json_decref(c->body);
    c->body = body;
}

const char *apicall_escape(struct apicall *c, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(s);
    char *out = arena_alloc(&c->arena, n * 3 + 1), *p = out;

    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '_' || ch == '.' || ch == '~') {
            *p++ = (char)ch;
        } else {
            *p++ = '%';
            *p++ = hex[ch >> 4];
            *p++ = hex[ch & 15];
        }
    }
    *p = '\0';
    return out;
}
