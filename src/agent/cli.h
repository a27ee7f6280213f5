/*
 * The command line: global options, then a command from a table of
 * function pointers. To add a command, write cmd_<name>.c exporting
 * cmd_<name>_run() and add a row to the table in cli.c.
 */
#ifndef CAIRN_CLI_H
#define CAIRN_CLI_H

#include <stdio.h>

struct session_stats;

struct cli_global {
    const char *profile; /* --profile */
    const char *region;  /* --region */
    int debug;           /* --debug: each AWS call, redacted */
    int stats;           /* --stats: call counts on stderr */
    int no_color;
};

struct cli_command {
    const char *name;
    const char *summary;
    const char *usage; /* full --help text of the command */
    int (*run)(const struct cli_global *g, int argc, char **argv);
};

extern const struct cli_command cli_commands[];

/* The commands, one file each. */
int cmd_whoami_run(const struct cli_global *g, int argc, char **argv);

const struct cli_command *cli_find(const char *name);
/* Whole program: parse global options, dispatch. Returns the exit status. */
int cli_main(int argc, char **argv);
/* With --stats: one line on stderr with the calls a command made. */
void cli_report_stats(const struct cli_global *g, const struct session_stats *st);
/* "-h"/"--help" anywhere in argv[1..]: print usage and return 1. */
int cli_wants_help(const struct cli_command *cmd, int argc, char **argv);

#endif
