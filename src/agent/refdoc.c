#include "agent/refdoc.h"
#include "agent/resources/registry.h"
#include "agent/stack.h"
#include "agent/template.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void flags_text(const struct attr *a, char *buf, size_t n)
{
    snprintf(buf, n, "%s%s%s%s%s", (a->flags & ATTR_REQUIRED) ? "required" : "",
             (a->flags & ATTR_COMPUTED) ? "computed" : "",
             (a->flags & ATTR_REPLACE)
                 ? ((a->flags & (ATTR_REQUIRED | ATTR_COMPUTED)) ? ", replaces" : "replaces")
                 : "",
             (a->flags & ATTR_SENSITIVE) ? ", sensitive" : "",
             (a->flags & ATTR_NAME) ? ", name" : "");
    if (buf[0] == ',')
        memmove(buf, buf + 2, strlen(buf + 2) + 1);
}

static void type_text(const struct attr *a, char *buf, size_t n)
{
    if (a->type == VT_LIST && a->fields)
        snprintf(buf, n, "list of object");
    else if (a->type == VT_LIST)
        snprintf(buf, n, "list of %s", vtype_name(a->elem));
    else
        snprintf(buf, n, "%s", vtype_name(a->type));
    if (a->ref_type)
        snprintf(buf + strlen(buf), n - strlen(buf), " → %s", a->ref_type);
}

/* Text inside a table cell: pipes would end the cell, angle brackets would vanish as HTML. */
static void md_text(FILE *out, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '|')
            fputs("\\|", out);
        else if (*s == '<')
            fputs("&lt;", out);
        else if (*s == '>')
            fputs("&gt;", out);
        else if (*s == '\n')
            fputc(' ', out);
        else
            fputc(*s, out);
    }
}

/* A default value in flow style: 80, [], {}, [a, b], {k: v}. */
static void md_value(FILE *out, const struct ynode *v)
{
    if (v->kind == YNODE_SCALAR) {
        md_text(out, v->str);
        return;
    }
    fputc(v->kind == YNODE_MAP ? '{' : '[', out);
    for (size_t i = 0; i < v->n; i++) {
        if (i)
            fputs(", ", out);
        if (v->kind == YNODE_MAP) {
            md_text(out, v->keys[i]->str);
            fputs(": ", out);
        }
        md_value(out, v->vals[i]);
    }
    fputc(v->kind == YNODE_MAP ? '}' : ']', out);
}

static void md_attrs(FILE *out, const struct attr *table, const char *prefix)
{
    char flags[80], type[120];

    for (const struct attr *a = table; a->name; a++) {
        flags_text(a, flags, sizeof(flags));
        type_text(a, type, sizeof(type));
        fprintf(out, "| `%s%s` | %s | %s | %s%s%s | ", prefix, a->name, type, flags,
                a->def ? "`" : "", a->def ? a->def : "", a->def ? "`" : "");
        md_text(out, a->doc);
        if (a->values) {
            fputs(" One of:", out);
            for (const char *const *v = a->values; *v; v++)
                fprintf(out, " `%s`%s", *v, v[1] ? "," : ".");
        }
        if (a->min < a->max)
            fprintf(out, " Range %lld–%lld.", a->min, a->max);
        fputs(" |\n", out);
        if (a->fields) {
            char sub[200];
            snprintf(sub, sizeof(sub), "%s%s%s.", prefix, a->name, a->type == VT_LIST ? "[]" : "");
            md_attrs(out, a->fields, sub);
        }
    }
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int md_templates(FILE *out, const char *dir, struct diag *d)
{
    DIR *dh = opendir(dir);
    struct dirent *e;
    char *names[128];
    size_t n = 0;
    int ret = 0;

    if (!dh) {
        diag_error(d, NULL, "cannot open the template folder '%s'", dir);
        return -1;
    }
    while ((e = readdir(dh)) && n < 128) {
        size_t len = strlen(e->d_name);
        if (len > 5 && strcmp(e->d_name + len - 5, ".yaml") == 0)
            names[n++] = strndup(e->d_name, len - 5);
    }
    closedir(dh);
    qsort(names, n, sizeof(names[0]), cmp_name);
    fputs("## Templates\n\n", out);
    for (size_t i = 0; i < n; i++) {
        struct stack s;
        struct stack_template *t;
        const struct ynode *desc, *res;
        stack_init(&s);
        s.template_dir = dir;
        if (!(t = template_get(&s, names[i], NULL, d))) {
            ret = -1;
        } else {
            desc = ydoc_get(t->root, "description");
            res = ydoc_get(t->root, "resources");
            fprintf(out, "### `%s`\n\n", names[i]);
            md_text(out, desc && desc->kind == YNODE_SCALAR ? desc->str : "");
            fputs("\n\n", out);
            fputs("| parameter | type | default | description |\n| --- | --- | --- | --- |\n", out);
            for (size_t j = 0; j < t->nparams; j++) {
                const struct stack_param *p = &t->params[j];
                fprintf(out, "| `%s` | %s | ", p->name, vtype_name(p->type));
                if (p->def) {
                    fputc('`', out);
                    md_value(out, p->def);
                    fputc('`', out);
                } else {
                    fputs("(required)", out);
                }
                fputs(" | ", out);
                md_text(out, p->doc);
                fputs(" |\n", out);
            }
            fputs("\nResources:", out);
            for (size_t j = 0; res && j < res->n; j++) {
                const struct ynode *ty = ydoc_get(res->vals[j], "type");
                fprintf(out, " `%s` (%s)%s", res->keys[j]->str,
                        ty && ty->kind == YNODE_SCALAR ? ty->str : "?", j + 1 < res->n ? "," : ".");
            }
            fputs("\n\n", out);
        }
        stack_release(&s);
        free(names[i]);
    }
    return ret;
}

int refdoc_markdown(FILE *out, const char *template_dir, struct diag *d)
{
    fputs("# Stack reference\n\n"
          "Generated by `cairn types --markdown` from the resource type tables in\n"
          "`src/agent/resources/` and the templates in `templates/`; do not edit by hand\n"
          "(`unit` and `integration` tests fail when this file is stale). The file format is in\n"
          "`docs/stack-format.md`.\n\n"
          "Flags: **required** (must be set), **computed** (set by AWS; only referenced, as in\n"
          "`${vpc.id}`), **replaces** (changing it replaces the resource), **sensitive** (never\n"
          "shown), **name** (takes the physical name, by default `<stack>-<logical name>`).\n"
          "Defaults are what AWS fills in when the attribute is left out. `→ type` marks a\n"
          "reference that must point at a resource of that type.\n\n"
          "## Resource types\n\n",
          out);
    for (const struct restype *const *t = registry_types; *t; t++)
        fprintf(out, "- [`%s`](#%s)\n", (*t)->name, (*t)->name);
    fputs("\n", out);
    for (const struct restype *const *t = registry_types; *t; t++) {
        fprintf(out, "### `%s`\n\n%s%s\n\n", (*t)->name, (*t)->doc,
                (*t)->taggable ? " Tagged with the stack's tags, `cairn:stack` and `cairn:id`."
                               : "");
        fputs("| attribute | type | flags | default | description |\n"
              "| --- | --- | --- | --- | --- |\n",
              out);
        md_attrs(out, (*t)->attrs, "");
        fputs("\n", out);
    }
    return md_templates(out, template_dir, d);
}

static void text_attrs(FILE *out, const struct attr *table, int indent)
{
    char flags[80], type[120];

    for (const struct attr *a = table; a->name; a++) {
        flags_text(a, flags, sizeof(flags));
        type_text(a, type, sizeof(type));
        fprintf(out, "%*s%-28s %-24s %-22s %s\n", indent, "", a->name, type, flags,
                a->def ? a->def : "");
        if (a->fields)
            text_attrs(out, a->fields, indent + 2);
    }
}

void refdoc_type_text(FILE *out, const struct restype *t)
{
    fprintf(out, "%s (%s)\n%s\n\n", t->name, t->service, t->doc);
    fprintf(out, "%-28s %-24s %-22s %s\n", "ATTRIBUTE", "TYPE", "FLAGS", "DEFAULT");
    text_attrs(out, t->attrs, 0);
}
