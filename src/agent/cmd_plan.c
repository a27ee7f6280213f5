#include "agent/cli.h"
#include "agent/engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Types in the stack whose AWS calls are not written yet: their plan is always "create". */
static void warn_unreadable(const struct stack *s)
{
    const char *seen[64];
    size_t n = 0;

    for (size_t i = 0; i < s->nres && n < 64; i++) {
        const struct restype *t = s->res[i]->type;
        size_t j;
        if (t->ops && t->ops->read)
            continue;
        for (j = 0; j < n && strcmp(seen[j], t->name) != 0; j++)
            ;
        if (j == n)
            seen[n++] = t->name;
    }
    if (!n)
        return;
    fputs("cairn: warning: cairn cannot read these types from AWS yet, so they plan as "
          "creates:",
          stderr);
    for (size_t j = 0; j < n; j++)
        fprintf(stderr, " %s", seen[j]);
    fputc('\n', stderr);
}

int cmd_plan_run(const struct cli_global *g, int argc, char **argv)
{
    struct cli_stack_args a;
    struct engine e;
    int detailed = cli_take_flag(&argc, argv, "--detailed-exitcode"), ret = 1;

    if (cli_parse_stack_args("plan", argc, argv, 1, &a) < 0)
        return 1;
    engine_init(&e);
    e.partial_ok = 1;
    if (engine_prepare(&e, g, &a, 0) < 0)
        goto out;
    if (a.json) {
        json_t *j = plan_json(&e.plan);
        json_dumpf(j, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(j);
    } else {
        warn_unreadable(&e.stack);
        plan_print(&e.plan, stdout, engine_color(g));
    }
    ret = e.read_failed ? 1 : detailed && plan_has_changes(&e.plan) ? 2 : 0;
out:
    engine_release(&e, g);
    cli_stack_args_release(&a);
    return ret;
}
