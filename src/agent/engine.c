#include "agent/engine.h"
#include "aws/session.h"

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
