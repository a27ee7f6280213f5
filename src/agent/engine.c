#include "agent/engine.h"
#include "agent/apply.h"
#include "aws/session.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

void engine_init(struct engine *e)
{
    memset(e, 0, sizeof(*e));
    stack_init(&e->stack);
    live_set_init(&e->live);
    plan_init(&e->plan);
    diag_init(&e->diag);
}

void engine_release(struct engine *e, const struct cli_global *g)
{
    if (e->session)
        cli_report_stats(g, &e->session->stats);
    diag_print(&e->diag, stderr, "cairn");
    diag_release(&e->diag);
    session_free(e->session);
    plan_release(&e->plan);
    live_set_release(&e->live);
    stack_release(&e->stack);
}

int engine_color(const struct cli_global *g)
{
    return !g->no_color && isatty(STDOUT_FILENO);
}

int engine_prepare(struct engine *e, const struct cli_global *g, const struct cli_stack_args *a,
                   int destroy)
{
    struct session_options *so = &e->options;

    so->profile = g->profile;
    so->region = g->region;
    if (cli_load_stack(g, a, &e->stack) < 0)
        return -1;
    if (!so->region)
        so->region = e->stack.region;
    if (!(e->session = session_new(so, &e->diag)))
        return -1;
    if (live_read_all(e->session, so, e->stack.name, &e->live, &e->diag) < 0)
        return -1;
    if (destroy) {
        plan_build_destroy(&e->plan, &e->live);
        return 0;
    }
    return plan_build(&e->plan, &e->stack, &e->live, &e->diag);
}

static void summary(const struct apply_result *r, int destroy, int failed)
{
    if (destroy) {
        printf("Destroy %s: %zu deleted%s.\n", failed ? "incomplete" : "complete",
               r->done[PLAN_DELETE],
               failed ? " (run destroy again once the errors are fixed)" : "");
        return;
    }
    printf("Apply %s: %zu created, %zu updated, %zu replaced, %zu deleted",
           failed ? "incomplete" : "complete", r->done[PLAN_CREATE], r->done[PLAN_UPDATE],
           r->done[PLAN_REPLACE], r->done[PLAN_DELETE]);
    if (failed)
        printf("; %zu failed, %zu skipped (run up again once the errors are fixed)", r->failed,
               r->skipped);
    printf(".\n");
}

int engine_apply(const struct cli_global *g, int argc, char **argv, int destroy)
{
    const char *cmd = destroy ? "destroy" : "up";
    struct cli_stack_args a;
    struct apply_result r;
    struct engine e;
    int yes = cli_take_flag(&argc, argv, "--yes"), ret = 1;
    struct apply_options ao = {cli_take_parallel(&argc, argv), stdout, NULL};

    if (ao.parallel < 0 || cli_parse_stack_args(cmd, argc, argv, 0, &a) < 0)
        return 1;
    engine_init(&e);
    if (engine_prepare(&e, g, &a, destroy) < 0)
        goto out;
    plan_print(&e.plan, stdout, engine_color(g));
    if (!plan_has_changes(&e.plan)) {
        if (destroy)
            printf("Nothing to destroy: AWS holds nothing tagged cairn:stack=%s.\n", e.stack.name);
        else
            printf("No changes: AWS matches %s.\n", a.file);
        ret = 0;
        goto out;
    }
    if (!cli_confirm(destroy ? "Delete everything above?" : "Apply these changes?", yes))
        goto out;
    ao.so = &e.options;
    ret = apply_plan(e.session, &e.stack, &e.plan, &ao, &r, &e.diag) == 0 ? 0 : 1;
    session_stats_add(&e.session->stats, &r.stats);
    summary(&r, destroy, ret);
out:
    engine_release(&e, g);
    cli_stack_args_release(&a);
    return ret;
}
