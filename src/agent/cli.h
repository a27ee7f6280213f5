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
    double timeout; /* --timeout: seconds the whole run may take (CLI_DEFAULT_TIMEOUT) */
};

/* The default of --timeout: long enough for an ECS service to reach a steady state and a NAT
 * gateway to become available in one up, short enough that a stuck run ends in CI. */
#define CLI_DEFAULT_TIMEOUT (30 * 60)

struct cli_command {
    const char *name;
    const char *summary;
    const char *usage; /* full --help text of the command */
    int (*run)(const struct cli_global *g, int argc, char **argv);
    int aws; /* talks to AWS: initialise libcurl first (it costs milliseconds otherwise saved) */
};

extern const struct cli_command cli_commands[];

/* The commands, one file each. */
int cmd_whoami_run(const struct cli_global *g, int argc, char **argv);
int cmd_validate_run(const struct cli_global *g, int argc, char **argv);
int cmd_drift_run(const struct cli_global *g, int argc, char **argv);
int cmd_status_run(const struct cli_global *g, int argc, char **argv);
int cmd_render_run(const struct cli_global *g, int argc, char **argv);
int cmd_graph_run(const struct cli_global *g, int argc, char **argv);
int cmd_types_run(const struct cli_global *g, int argc, char **argv);
int cmd_policy_run(const struct cli_global *g, int argc, char **argv);
int cmd_plan_run(const struct cli_global *g, int argc, char **argv);
int cmd_up_run(const struct cli_global *g, int argc, char **argv);
int cmd_destroy_run(const struct cli_global *g, int argc, char **argv);
int cmd_restore_run(const struct cli_global *g, int argc, char **argv);

/* Arguments of the commands that read a stack file. */
struct cli_stack_args {
    const char *file;
    const char *template_dir; /* --template-dir */
    const char **params;      /* --param name=value, NULL-terminated */
    size_t nparams;
    int json; /* --json, where the command has it */
};

#define CLI_STACK_OPTIONS                                        \
    "  --param NAME=VALUE  set a stack parameter (repeatable)\n" \
    "  --template-dir DIR  where templates are (default: templates/ beside stacks/)\n"

/* Parse "FILE [--param k=v]... [--template-dir D] [--json if allow_json]". 0 or -1 (printed). */
int cli_parse_stack_args(const char *cmd, int argc, char **argv, int allow_json,
                         struct cli_stack_args *a);
void cli_stack_args_release(struct cli_stack_args *a);
/* Remove flag from argv (after argv[0]); returns whether it was there. */
int cli_take_flag(int *argc, char **argv, const char *flag);
/* Remove "flag VALUE" or "flag=VALUE" from argv; 1 and *value set when present, 0 when not,
 * -1 (printed) when the value is missing. */
int cli_take_value(int *argc, char **argv, const char *flag, const char **value);
/* Every "flag VALUE" / "flag=VALUE" from argv into values (room for *argc of them), in order;
 * *n how many. 0, or -1 (printed) when a value is missing. */
int cli_take_values(int *argc, char **argv, const char *flag, const char **values, size_t *n);
/* --parallel N from argv (default APPLY_DEFAULT_PARALLEL); -1 (printed) when N is not 1-64. */
int cli_take_parallel(int *argc, char **argv);
/* Ask question on the terminal; yes (--yes) skips it. Without a terminal and without --yes it
 * refuses, saying so. 1 to go ahead, 0 not. */
int cli_confirm(const char *question, int yes);
/* Load a stack; on failure print every diagnostic and return -1. */
struct stack;
int cli_load_stack(const struct cli_global *g, const struct cli_stack_args *a, struct stack *s);

const struct cli_command *cli_find(const char *name);
/* Whole program: parse global options, dispatch. Returns the exit status. */
int cli_main(int argc, char **argv);
/* With --stats: one line on stderr with the calls a command made. */
void cli_report_stats(const struct cli_global *g, const struct session_stats *st);
/* "-h"/"--help" anywhere in argv[1..]: print usage and return 1. */
int cli_wants_help(const struct cli_command *cmd, int argc, char **argv);

#endif
