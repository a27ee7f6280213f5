/*
 * cairn status: how the stack's objects are doing right now, as AWS sees them. The
 * plan's read finds the objects; each type with a status hook (restype_ops.status: a
 * target group's target health) is asked about each of its objects the file declares.
 * Read-only, like drift. Exit 0 when every answer is ok, 2 when one is not, 1 on error.
 */
#include "agent/cli.h"
#include "agent/engine.h"
#include "agent/resources/registry.h"
#include "core/printable.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

/* Ask every object of type t that the file declares; append {"resource", "type", "id", ...}
 * to all. -1 when a call failed (the reason in e->diag). */
static int ask_type(struct engine *e, const struct restype *t, json_t *all)
{
    int ret = 0;

    for (size_t i = 0; i < e->plan.n; i++) {
        const struct plan_action *a = &e->plan.v[i];
        json_t *o = NULL;
        if (!a->res || !a->live || a->live->type != t || a->kind == PLAN_DELETE)
            continue;
        if (t->ops->status(e->session, a->live, &o, &e->diag) < 0) {
            ret = -1;
            continue;
        }
        json_object_set_new(o, "resource", json_string(a->res->name));
        json_object_set_new(o, "type", json_string(t->name));
        json_object_set_new(o, "id", json_string(a->live->id ? a->live->id : ""));
        json_object_set_new(o, "heading", json_string(t->ops->status_heading));
        json_array_append_new(all, o);
    }
    return ret;
}

static void print_text(const json_t *all, FILE *out)
{
    const char *heading = NULL;
    size_t i, k;
    json_t *o, *line;

    if (!json_array_size(all))
        fputs("Nothing in the stack reports a status (target groups do).\n", out);
    json_array_foreach(all, i, o)
    {
        const char *h = json_string_value(json_object_get(o, "heading"));
        int ok = json_is_true(json_object_get(o, "ok"));
        if (!heading || strcmp(heading, h) != 0)
            fprintf(out, "%s%s:\n", heading ? "\n" : "", h);
        heading = h;
        fprintf(out, "  %s %s: ", ok ? "ok" : "!!",
                json_string_value(json_object_get(o, "resource")));
        printable_fputs(json_string_value(json_object_get(o, "summary")), PRINTABLE_MAX, out);
        fputc('\n', out);
        json_array_foreach(json_object_get(o, "details"), k, line)
        {
            fputs("      ", out);
            printable_fputs(json_string_value(line), PRINTABLE_MAX, out); /* from AWS: escaped */
            fputc('\n', out);
        }
    }
}

int cmd_status_run(const struct cli_global *g, int argc, char **argv)
{
    struct cli_stack_args a;
    struct engine e;
    json_t *all = json_array();
    int json = cli_take_flag(&argc, argv, "--json"), failed = 0, ret = 1;
    size_t i;
    json_t *o;

    if (cli_parse_stack_args("status", argc, argv, 0, &a) < 0)
        goto early;
    engine_init(&e);
    if (engine_prepare(&e, g, &a, 0) < 0)
        goto out;
    for (const struct restype *const *t = registry_types; *t; t++)
        if ((*t)->ops && (*t)->ops->status && ask_type(&e, *t, all) < 0)
            failed = 1;
    if (json) {
        json_array_foreach(all, i, o) json_object_del(o, "heading");
        json_dumpf(all, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        fputc('\n', stdout);
    } else {
        print_text(all, stdout);
    }
    ret = failed ? 1 : 0;
    json_array_foreach(all, i, o) if (!failed && !json_is_true(json_object_get(o, "ok"))) ret = 2;
out:
    fflush(stdout);
    engine_release(&e, g);
    cli_stack_args_release(&a);
early:
    json_decref(all);
    return ret;
}
