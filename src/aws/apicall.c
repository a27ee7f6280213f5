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

static void set_param(struct apicall *c, const char *name, const char *value)
{
    for (size_t i = 0; i < c->nparams; i++) {
        if (strcmp(c->params[i].name, name) == 0) {
            c->params[i].value = arena_strdup(&c->arena, value);
            return;
        }
    }
    apicall_param(c, name, value);
}

int apicall_next_page(struct apicall *c, const char *in_name, const char *out_path)
{
    const char *token = NULL;

    if (c->xml)
        token = xdoc_text(c->xml->root, out_path);
    else if (c->out)
        token = json_string_value(json_object_get(c->out, out_path));
    if (!token || !*token)
        return 0;
    if (c->svc->proto == PROTO_JSON) {
        if (!c->body)
            c->body = json_object();
        json_object_set_new(c->body, in_name, json_string(token));
    } else {
        set_param(c, in_name, token);
    }
    return 1;
}
