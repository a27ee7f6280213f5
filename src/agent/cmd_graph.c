#include "agent/cli.h"
#include "agent/graph.h"
#include "agent/stack.h"

#include <stdio.h>

int cmd_graph_run(const struct cli_global *g, int argc, char **argv)
{
    struct cli_stack_args a;
    struct stack s;
    int ret = 1;

    if (cli_parse_stack_args("graph", argc, argv, 0, &a) < 0)
        return 1;
    stack_init(&s);
    if (cli_load_stack(g, &a, &s) == 0) {
        graph_dot(&s, stdout);
        ret = fflush(stdout) == 0 ? 0 : 1;
    }
    stack_release(&s);
    cli_stack_args_release(&a);
    return ret;
}
