#include "agent/cli.h"
#include "agent/render.h"
#include "agent/stack.h"

#include <stdio.h>

int cmd_render_run(const struct cli_global *g, int argc, char **argv)
{
    struct cli_stack_args a;
    struct stack s;
    struct diag d;
    int ret = 1;

    if (cli_parse_stack_args("render", argc, argv, 1, &a) < 0)
        return 1;
    stack_init(&s);
    diag_init(&d);
    if (cli_load_stack(g, &a, &s) < 0)
        goto out;
    if (a.json) {
        json_t *j = render_json(&s);
        json_dumpf(j, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(j);
    } else if (render_yaml(&s, stdout, &d) < 0) {
        diag_print(&d, stderr, "cairn");
        goto out;
    }
    ret = fflush(stdout) == 0 ? 0 : 1;
out:
    diag_release(&d);
    stack_release(&s);
    cli_stack_args_release(&a);
    return ret;
}
