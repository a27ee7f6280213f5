#include "agent/cli.h"
#include "agent/drift.h"
#include "agent/engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The stack file's drift.ignore patterns, then --ignore ones: one NULL-terminated list. */
static const char **patterns_of(const struct stack *s, const char **given, size_t ngiven)
{
    const char **all = calloc(s->ndrift_ignore + ngiven + 1, sizeof(*all));

    for (size_t i = 0; i < s->ndrift_ignore; i++)
        all[i] = s->drift_ignore[i];
    for (size_t i = 0; i < ngiven; i++)
        all[s->ndrift_ignore + i] = given[i];
    return all;
}

int cmd_drift_run(const struct cli_global *g, int argc, char **argv)
{
    struct cli_stack_args a;
    struct engine e;
    struct drift dr;
    enum drift_format format = DRIFT_TEXT;
    const char *fmt = NULL, **given = calloc((size_t)argc + 1, sizeof(*given)), **patterns = NULL;
    size_t ngiven = 0;
    int r, ret = 1;

    if ((r = cli_take_value(&argc, argv, "--format", &fmt)) < 0)
        goto early;
    if (fmt && drift_parse_format(fmt, &format) < 0) {
        fprintf(stderr, "cairn drift: --format %s: use text, json, github or junit\n", fmt);
        goto early;
    }
    if (cli_take_values(&argc, argv, "--ignore", given, &ngiven) < 0 ||
        cli_parse_stack_args("drift", argc, argv, 0, &a) < 0)
        goto early;
    engine_init(&e);
    drift_init(&dr);
    /* The read path of plan: reads only, whatever the file says. */
    if (engine_prepare(&e, g, &a, 0) < 0)
        goto out;
    patterns = patterns_of(&e.stack, given, ngiven);
    drift_build(&dr, &e.plan, patterns);
    drift_print(&dr, format, &e.stack, stdout, format == DRIFT_TEXT && engine_color(g));
    ret = drift_found(&dr) ? 2 : 0;
out:
    fflush(stdout);
    drift_release(&dr);
    free(patterns);
    engine_release(&e, g);
    cli_stack_args_release(&a);
early:
    free(given);
    return ret;
}
