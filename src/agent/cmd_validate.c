#include "agent/cli.h"
#include "agent/stack.h"

#include <stdio.h>

int cmd_validate_run(const struct cli_global *g, int argc, char **argv)
{
    struct cli_stack_args a;
    struct stack s;
    size_t templates = 0;
    int ret = 1;

    if (cli_parse_stack_args("validate", argc, argv, 0, &a) < 0)
        return 1;
    stack_init(&s);
    if (cli_load_stack(g, &a, &s) == 0) {
        for (size_t i = 0; i < s.ntemplates; i++)
            templates += s.templates[i].root != NULL;
        printf("%s: stack %s is valid: %zu resources from %zu template%s\n", a.file, s.name, s.nres,
               templates, templates == 1 ? "" : "s");
        ret = 0;
    }
    stack_release(&s);
    cli_stack_args_release(&a);
    return ret;
}
