#include "agent/cli.h"
#include "agent/engine.h"

int cmd_destroy_run(const struct cli_global *g, int argc, char **argv)
{
    return engine_apply(g, argc, argv, 1);
}
