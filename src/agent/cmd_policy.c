#include "agent/cli.h"
#include "agent/policy.h"
#include "agent/stack.h"
#include "core/xmalloc.h"

#include <stdio.h>
#include <stdlib.h>

int cmd_policy_run(const struct cli_global *g, int argc, char **argv)
{
    int read_only = cli_take_flag(&argc, argv, "--read-only"), ret = 1;
    const struct restype **types;
    struct cli_stack_args a;
    struct stack s;
    json_t *doc;
    size_t size;

    if (cli_parse_stack_args("policy", argc, argv, 0, &a) < 0)
        return 1;
    stack_init(&s);
    if (cli_load_stack(g, &a, &s) < 0)
        goto out;
    types = xcalloc(s.nres + 1, sizeof(*types));
    for (size_t i = 0; i < s.nres; i++)
        types[i] = s.res[i]->type;
    doc = policy_document(types, s.nres, !read_only);
    free(types);
    json_dumpf(doc, stdout, JSON_INDENT(2));
    putchar('\n');
    if ((size = policy_size(doc)) > POLICY_MANAGED_MAX)
        fprintf(stderr,
                "cairn: warning: the policy is %zu characters (whitespace aside), more than a "
                "managed policy holds (%d): attach it inline (10,240 per role) or split its "
                "statements over two policies\n",
                size, POLICY_MANAGED_MAX);
    json_decref(doc);
    ret = fflush(stdout) == 0 ? 0 : 1;
out:
    stack_release(&s);
    cli_stack_args_release(&a);
    return ret;
}
