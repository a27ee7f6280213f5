/*
 * What plan, up and destroy share: load the stack, open a session in its
 * region, read what it owns, and plan (or plan its destruction).
 */
#ifndef CAIRN_ENGINE_H
#define CAIRN_ENGINE_H

#include "agent/cli.h"
#include "agent/live.h"
#include "agent/plan.h"
#include "agent/stack.h"
#include "aws/session.h"

struct engine {
    struct stack stack;
    struct session *session;
    struct session_options options; /* the session's, for the executor's workers */
    struct live_set live;
    struct plan plan;
    struct diag diag;              /* printed by engine_release() */
    double t_start;                /* when engine_init() ran */
    int partial_ok;                /* set before engine_prepare(): a failed read leaves only
                                    * the resources that need it alone (plan, up, destroy) */
    int read_failed;               /* some read failed (errors in diag) */
    double t_load, t_read, t_plan; /* seconds each phase of engine_prepare() took */
};

void engine_init(struct engine *e);
/* Print e->diag, show --stats, free everything. */
void engine_release(struct engine *e, const struct cli_global *g);

/* 0, or -1 with the reasons in e->diag (stack errors are printed right away). */
int engine_prepare(struct engine *e, const struct cli_global *g, const struct cli_stack_args *a,
                   int destroy);
/* up (destroy 0) and destroy: plan, show, confirm (--yes), apply (--parallel N), summarize.
 * Returns the exit status. */
int engine_apply(const struct cli_global *g, int argc, char **argv, int destroy);
/* Monotonic seconds, for phase timings. */
double engine_now(void);
/* Colour for the plan: a terminal, and neither --no-color nor NO_COLOR. */
int engine_color(const struct cli_global *g);

#endif
