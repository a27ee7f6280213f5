#include "agent/cli.h"
#include "agent/live.h"
#include "agent/plan.h"
#include "agent/stack.h"
#include "aws/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    struct session_options so = {g->profile, g->region, 0};
    struct session *sess = NULL;
    struct live_set live;
    struct plan p;
    struct stack s;
    struct diag d;
    int detailed = 0, ret = 1, color;
    char **rest = calloc((size_t)argc + 1, sizeof(*rest));
    int nrest = 0;

    /* --detailed-exitcode is ours; the rest are the common stack options. */
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--detailed-exitcode") == 0)
            detailed = 1;
        else
            rest[nrest++] = argv[i];
    }
    live_set_init(&live);
    plan_init(&p);
    stack_init(&s);
    diag_init(&d);
    if (cli_parse_stack_args("plan", nrest, rest, 1, &a) < 0) {
        free(rest);
        return 1;
    }
    if (cli_load_stack(g, &a, &s) < 0)
        goto out;
    if (!so.region)
        so.region = s.region;
    if (!(sess = session_new(&so, &d)) || live_read_all(sess, s.name, &live, &d) < 0 ||
        plan_build(&p, &s, &live, &d) < 0)
        goto out;
    if (a.json) {
        json_t *j = plan_json(&p);
        json_dumpf(j, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(j);
    } else {
        warn_unreadable(&s);
        color = !g->no_color && isatty(STDOUT_FILENO);
        plan_print(&p, stdout, color);
    }
    ret = detailed && plan_has_changes(&p) ? 2 : 0;
out:
    if (sess)
        cli_report_stats(g, &sess->stats);
    diag_print(&d, stderr, "cairn");
    diag_release(&d);
    session_free(sess);
    plan_release(&p);
    live_set_release(&live);
    stack_release(&s);
    cli_stack_args_release(&a);
    free(rest);
    return ret;
}
