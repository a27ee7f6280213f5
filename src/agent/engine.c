#include "agent/engine.h"
#include "agent/apply.h"
#include "agent/outputs.h"
#include "aws/session.h"
#include "core/monotime.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

double engine_now(void)
{
    return monotime_s();
}

void engine_init(struct engine *e)
{
    memset(e, 0, sizeof(*e));
    stack_init(&e->stack);
    live_set_init(&e->live);
    plan_init(&e->plan);
    diag_init(&e->diag);
    e->t_start = engine_now();
}

void engine_release(struct engine *e, const struct cli_global *g)
{
    if (e->session) {
        cli_report_stats(g, &e->session->stats);
        if (g->stats)
            fprintf(stderr,
                    "cairn: %.2fs in all: load %.2fs, read %.2fs (every type in parallel), "
                    "plan %.2fs\n",
                    engine_now() - e->t_start, e->t_load, e->t_read, e->t_plan);
    }
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
    double t0 = engine_now();
    int ret;

    so->profile = g->profile;
    so->region = g->region;
    so->default_attempts = RETRY_AGENT_ATTEMPTS;
    if (cli_load_stack(g, a, &e->stack) < 0)
        return -1;
    e->t_load = engine_now() - t0;
    if (!so->region)
        so->region = e->stack.region;
    if (!(e->session = session_new(so, &e->diag)))
        return -1;
    t0 = engine_now();
    if (live_read_all(e->session, so, e->stack.name, &e->live, &e->diag) < 0) {
        /* With nothing read there is nothing to go on. */
        if (!e->partial_ok || e->live.nunread >= e->live.ntypes)
            return -1;
        e->read_failed = 1;
    }
    e->t_read = engine_now() - t0;
    t0 = engine_now();
    if (destroy) {
        plan_build_destroy(&e->plan, &e->live);
        ret = 0;
    } else {
        ret = plan_build(&e->plan, &e->stack, &e->live, &e->diag);
        /* Objects read without their attributes that the file asks to change: read them, and
         * plan again with what they hold. */
        if (ret == 0 && e->live.n) {
            long n = live_detail(e->session, &e->live, &e->diag);
            if (n < 0)
                return -1;
            if (n > 0) {
                plan_release(&e->plan);
                plan_init(&e->plan);
                ret = plan_build(&e->plan, &e->stack, &e->live, &e->diag);
            }
        }
    }
    e->t_plan = engine_now() - t0;
    return ret;
}

/* The attribute of a type that says deletion protection is on, or NULL. */
static const struct attr *protection_attr(const struct restype *t)
{
    for (const struct attr *a = t->attrs; a->name; a++)
        if (a->flags & ATTR_PROTECTS)
            return a;
    return NULL;
}

/* Removals of objects whose deletion protection is on: refused, each named, unless allowed.
 * Checked before anything is asked or changed, so a refusal leaves AWS as it was. */
static int check_protected(const struct plan *p, int allow, struct diag *d)
{
    int refused = 0;

    for (size_t i = 0; i < p->n; i++) {
        const struct plan_action *a = &p->v[i];
        const struct attr *pa;
        if ((a->kind != PLAN_DELETE && a->kind != PLAN_REPLACE) || !a->live ||
            !(pa = protection_attr(a->live->type)) ||
            !json_is_true(json_object_get(a->live->attrs, pa->name)))
            continue;
        if (allow)
            continue;
        diag_error(d, NULL,
                   "%s (%s) %s has %s on: it would be %s; run again with "
                   "--allow-protected to turn the protection off first",
                   plan_action_name(a), a->live->type->name, a->live->id, pa->name,
                   a->kind == PLAN_DELETE ? "deleted" : "replaced");
        refused++;
    }
    return refused ? -1 : 0;
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
    int allow = cli_take_flag(&argc, argv, "--allow-protected");
    int force_secrets = destroy && cli_take_flag(&argc, argv, "--force-delete-secrets");
    struct apply_options ao = {cli_take_parallel(&argc, argv), stdout, NULL, 0};
    double t0;

    ao.remove_how =
        (allow ? RESTYPE_REMOVE_UNPROTECT : 0) | (force_secrets ? RESTYPE_REMOVE_NOW : 0);
    if (ao.parallel < 0 || cli_parse_stack_args(cmd, argc, argv, 0, &a) < 0)
        return 1;
    engine_init(&e);
    e.partial_ok = 1;
    if (engine_prepare(&e, g, &a, destroy) < 0)
        goto out;
    plan_print(&e.plan, stdout, engine_color(g));
    if (check_protected(&e.plan, allow, &e.diag) < 0)
        goto out;
    if (!plan_has_changes(&e.plan) && !e.read_failed) {
        if (destroy)
            printf("Nothing to destroy: AWS holds nothing tagged cairn:stack=%s.\n", e.stack.name);
        else
            printf("No changes: AWS matches %s.\n", a.file);
        if (!destroy)
            outputs_print(&e.plan, stdout);
        ret = 0;
        goto out;
    }
    if (!cli_confirm(destroy ? "Delete everything above?" : "Apply these changes?", yes))
        goto out;
    ao.so = &e.options;
    t0 = engine_now();
    ret = apply_plan(e.session, &e.stack, &e.plan, &ao, &r, &e.diag) == 0 && !e.read_failed ? 0 : 1;
    session_stats_add(&e.session->stats, &r.stats);
    summary(&r, destroy, ret);
    if (!destroy && !ret)
        outputs_print(&e.plan, stdout);
    printf("\nTook %.1fs: load %.2fs, read %.1fs, plan %.2fs, %s %.1fs.\n",
           e.t_load + e.t_read + e.t_plan + engine_now() - t0, e.t_load, e.t_read, e.t_plan,
           destroy ? "delete" : "apply", engine_now() - t0);
out:
    engine_release(&e, g);
    cli_stack_args_release(&a);
    return ret;
}
