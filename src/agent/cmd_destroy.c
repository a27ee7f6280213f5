#include "agent/apply.h"
#include "agent/cli.h"
#include "agent/engine.h"

#include <stdio.h>

int cmd_destroy_run(const struct cli_global *g, int argc, char **argv)
{
    struct cli_stack_args a;
    struct apply_result r;
    struct engine e;
    int yes = cli_take_flag(&argc, argv, "--yes"), ret = 1;
    int parallel = cli_take_parallel(&argc, argv);
    struct apply_options ao = {parallel, stdout, NULL};

    if (parallel < 0)
        return 1;
    if (cli_parse_stack_args("destroy", argc, argv, 0, &a) < 0)
        return 1;
    engine_init(&e);
    if (engine_prepare(&e, g, &a, 1) < 0)
        goto out;
    plan_print(&e.plan, stdout, engine_color(g));
    if (!plan_has_changes(&e.plan)) {
        printf("Nothing to destroy: AWS holds nothing tagged cairn:stack=%s.\n", e.stack.name);
        ret = 0;
        goto out;
    }
    if (!cli_confirm("Delete everything above?", yes))
        goto out;
    ao.so = &e.options;
    ret = apply_plan(e.session, &e.stack, &e.plan, &ao, &r, &e.diag) == 0 ? 0 : 1;
    session_stats_add(&e.session->stats, &r.stats);
    printf("Destroy %s: %zu deleted%s.\n", ret ? "incomplete" : "complete", r.done[PLAN_DELETE],
           ret ? " (run destroy again once the errors are fixed)" : "");
out:
    engine_release(&e, g);
    cli_stack_args_release(&a);
    return ret;
}
