#include "agent/cli.h"
#include "agent/engine.h"

int cmd_up_run(const struct cli_global *g, int argc, char **argv)
{
    return engine_apply(g, argc, argv, 0);
}
