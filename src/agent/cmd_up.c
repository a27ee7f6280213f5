#include "agent/apply.h"
#include "agent/cli.h"
#include "agent/engine.h"

#include <stdio.h>

static void summary(const struct apply_result *r)
{
    printf("Apply %s: %zu created, %zu updated, %zu replaced, %zu deleted",
           r->failed || r->skipped ? "incomplete" : "complete", r->done[PLAN_CREATE],
           r->done[PLAN_UPDATE], r->done[PLAN_REPLACE], r->done[PLAN_DELETE]);
    if (r->failed || r->skipped)
        printf("; %zu failed, %zu skipped (run up again once the errors are fixed)", r->failed,
               r->skipped);
    printf(".\n");
}

int cmd_up_run(const struct cli_global *g, int argc, char **argv)
{
    struct cli_stack_args a;
    struct apply_result r;
    struct engine e;
    int yes = cli_take_flag(&argc, argv, "--yes"), ret = 1;
    int parallel = cli_take_parallel(&argc, argv);
    struct apply_options ao = {parallel, stdout, NULL};

    if (parallel < 0)
        return 1;
    if (cli_parse_stack_args("up", argc, argv, 0, &a) < 0)
        return 1;
    engine_init(&e);
    if (engine_prepare(&e, g, &a, 0) < 0)
        goto out;
    plan_print(&e.plan, stdout, engine_color(g));
    if (!plan_has_changes(&e.plan)) {
        printf("No changes: AWS matches %s.\n", a.file);
        ret = 0;
        goto out;
    }
    if (!cli_confirm("Apply these changes?", yes))
        goto out;
    ao.so = &e.options;
    ret = apply_plan(e.session, &e.stack, &e.plan, &ao, &r, &e.diag) == 0 ? 0 : 1;
    session_stats_add(&e.session->stats, &r.stats);
    summary(&r);
out:
    engine_release(&e, g);
    cli_stack_args_release(&a);
    return ret;
}
