#include "agent/cli.h"
#include "agent/apply.h"
#include "agent/stackload.h"
#include "aws/session.h"
#include "core/xmalloc.h"
#include "core/http.h"
#include "core/log.h"

#include <stdlib.h>
#include <unistd.h>
#include <string.h>

const struct cli_command cli_commands[] = {
    {"whoami", "show the AWS account, identity and where the credentials came from",
     "usage: cairn [global options] whoami [--json]\n"
     "\n"
     "Calls STS GetCallerIdentity and prints the account, the caller's ARN, the\n"
     "region and where the credentials and region came from.\n"
     "\n"
     "  --json    print one JSON object instead of text\n",
     cmd_whoami_run, 1},
    {"validate", "check a stack file without calling AWS",
     "usage: cairn [global options] validate FILE [options]\n"
     "\n"
     "Loads FILE, expands its templates and checks every resource, property, value and\n"
     "reference against the resource types, all without an AWS call. Every error is\n"
     "printed as file:line:col with the source line. Exit 0 when valid, 1 otherwise.\n"
     "\n" CLI_STACK_OPTIONS,
     cmd_validate_run, 0},
    {"render", "print the stack with templates expanded (YAML or JSON)",
     "usage: cairn [global options] render FILE [--json] [options]\n"
     "\n"
     "Prints the low-level stack the engine sees: every template instance expanded into\n"
     "its resources, parameters substituted, physical names and dependencies filled in.\n"
     "References to other resources stay as ${...}; sensitive values print as (sensitive).\n"
     "\n"
     "  --json              print JSON instead of YAML\n" CLI_STACK_OPTIONS,
     cmd_render_run, 0},
    {"graph", "print the dependency graph in Graphviz DOT",
     "usage: cairn [global options] graph FILE [options]\n"
     "\n"
     "Prints the stack's dependency graph in DOT, one box per resource, one cluster per\n"
     "template instance: cairn graph stacks/x.yaml | dot -Tsvg > graph.svg\n"
     "\n" CLI_STACK_OPTIONS,
     cmd_graph_run, 0},
    {"plan", "show what up would change in AWS, without changing it",
     "usage: cairn [global options] plan FILE [--json] [--detailed-exitcode] [options]\n"
     "\n"
     "Reads what the stack owns in AWS (found by its cairn:stack tag, no state file),\n"
     "compares it with the file after normalizing what AWS fills in or reorders, and\n"
     "prints each resource to create (+), update in place (~), replace (-/+) or delete\n"
     "(-, tagged with the stack but no longer in the file), with each attribute's old\n"
     "and new value. Sensitive values are hidden. Makes no change.\n"
     "\n"
     "  --json               print the plan as JSON (docs/commands.md has the shape)\n"
     "  --detailed-exitcode  exit 0 with no changes, 2 with changes, 1 on error\n" CLI_STACK_OPTIONS,
     cmd_plan_run, 1},
    {"drift", "tell whether AWS still matches the stack file, read-only, for CI",
     "usage: cairn [global options] drift FILE [--format text|json|github|junit]\n"
     "                                   [--ignore PATTERN]... [options]\n"
     "\n"
     "Reads what the stack owns (as plan does; no write call of any kind, so read-only\n"
     "credentials do: see 'cairn policy --read-only') and reports each resource that is\n"
     "missing (deleted outside cairn), modified (attribute, expected, actual; within lists and\n"
     "maps each extra, missing or changed element), extra (found under one of the stack's\n"
     "objects, declared nowhere: a route added by hand) or orphaned (tagged with the stack,\n"
     "not in the file). Sensitive values are never shown, only that they differ.\n"
     "\n"
     "Exit status: 0 in sync, 2 drift, 1 error (credentials, network, a bad file).\n"
     "\n"
     "  --format F         text (default), json (docs/drift.schema.json), github (workflow\n"
     "                     annotations), junit (one test case per resource)\n"
     "  --ignore PATTERN   leave alone what matches RESOURCE.ATTRIBUTE[.KEY] (shell\n"
     "                     wildcards: grafana.service.desired_count, *.tags.LastScan);\n"
     "                     repeatable, added to the file's drift: ignore: list\n" CLI_STACK_OPTIONS,
     cmd_drift_run, 1},
    {"status", "show how the stack's services and load balancer targets are doing now",
     "usage: cairn [global options] status FILE [--json] [options]\n"
     "\n"
     "Reads what the stack owns (as plan does; read calls only) and asks AWS how each\n"
     "object that reports a status is doing: every ECS service's running count against\n"
     "its desired count (DescribeServices), every target group's targets and their health\n"
     "(DescribeTargetHealth: healthy, unhealthy, initial, draining, with the reason).\n"
     "Exit status: 0 when all is well, 2 when a service is short of tasks or deploying, or\n"
     "a target group has an unhealthy target or none, 1 on error.\n"
     "\n"
     "  --json              print a JSON array, one object per resource: resource, type, id,\n"
     "                      ok, summary, details, and the type's own fields\n" CLI_STACK_OPTIONS,
     cmd_status_run, 1},
    {"up", "create or change in AWS what the stack file says",
     "usage: cairn [global options] up FILE [--yes] [--parallel N] [options]\n"
     "\n"
     "Plans as 'cairn plan' does, shows the plan, asks for confirmation on a terminal\n"
     "(--yes skips it; with no terminal and no --yes, up refuses), then applies: removals\n"
     "first, each once what refers to it is gone, then creates and updates in dependency\n"
     "order, one line per resource. When one resource fails, what depends on it is skipped,\n"
     "everything else goes on, and the exit status is 1; running up again converges.\n"
     "Running it on an applied stack changes nothing. At the end: the load balancer URLs,\n"
     "the Cloud Map names, and how long each phase took.\n"
     "\n"
     "  --yes                apply without asking\n"
     "  --parallel N         resources in flight at once, 1-64 (default 8)\n"
     "  --allow-protected    let a replacement or removal lift deletion protection\n" CLI_STACK_OPTIONS,
     cmd_up_run, 1},
    {"destroy", "delete everything the stack owns in AWS",
     "usage: cairn [global options] destroy FILE [--yes] [--parallel N] [options]\n"
     "\n"
     "Reads everything tagged cairn:stack=<stack> and deletes it, each object once what\n"
     "refers to it is gone, with the same confirmation rule as up. Objects with deletion\n"
     "protection on (a load balancer) are refused unless --allow-protected. Secrets are\n"
     "scheduled for deletion after their recovery window (up restores them) unless\n"
     "--force-delete-secrets.\n"
     "\n"
     "  --yes                   delete without asking\n"
     "  --parallel N            deletions in flight at once, 1-64 (default 8)\n"
     "  --allow-protected       turn deletion protection off, then delete\n"
     "  --force-delete-secrets  delete secrets now, with no recovery window\n" CLI_STACK_OPTIONS,
     cmd_destroy_run, 1},
    {"restore", "restore an EFS volume from AWS Backup and re-point the stack onto it",
     "usage: cairn [global options] restore FILE --volume NAME [--recovery-point ARN |\n"
     "                                     --before TIME | --file-system-id FS] [--delete-old]\n"
     "                                     [--plan] [--yes]\n"
     "\n"
     "Restores the stack's EFS volume NAME (prometheus_data) from a recovery point in the\n"
     "stack's backup vault to a new file system, with the stack's backup role, and waits\n"
     "for the restore job. The new file system takes over the volume (tags: the old one is\n"
     "tagged cairn:retired and kept), then the stack is re-pointed as 'up' would: mount\n"
     "targets and access points on the new file system (their root directories inside the\n"
     "aws-backup-restore_<time> directory AWS Backup put the files in), new task\n"
     "definition revisions, the services rolled onto them, the backup selection. Ends\n"
     "with a check that every service is registered in Cloud Map at its desired count\n"
     "and healthy behind its target groups, and the data gap (recovery point to now).\n"
     "Asks for confirmation like up. Every step is idempotent: run a restore that was cut\n"
     "short again to finish it (one restore job).\n"
     "\n"
     "  --volume NAME          the EFS volume: the template instance of its efs.file_system\n"
     "  --recovery-point ARN   restore this recovery point (default: the latest completed)\n"
     "  --before TIME          the latest completed one created before TIME (UTC, ISO 8601)\n"
     "  --file-system-id FS    adopt a file system restored by hand instead of restoring\n"
     "  --restore-dir DIR      where the files are on the new file system (/ for its root;\n"
     "                         default: the restore job's aws-backup-restore_<time>)\n"
     "  --delete-old           once verified, delete the file system the restore retired\n"
     "                         (its access points and mount targets first); else it is kept\n"
     "  --plan                 show the steps and the recovery point, change nothing\n"
     "  --yes                  go ahead without asking\n"
     "  --verify-timeout S     how long to wait for every service's Cloud Map instances\n"
     "                         and healthy targets after the re-point (default 900)\n"
     "  --parallel N           resources in flight at once while re-pointing (default 8)\n" CLI_STACK_OPTIONS,
     cmd_restore_run, 1},
    {"types", "list resource types, or show one type's attributes",
     "usage: cairn [global options] types [TYPE] [--markdown]\n"
     "\n"
     "Without TYPE, lists every resource type. With TYPE (such as ec2.vpc), lists its\n"
     "attributes: type, whether required, computed, replaced on change or sensitive, the\n"
     "default AWS fills in, and what it is.\n"
     "\n"
     "  --markdown          print the whole stack reference (docs/stack-reference.md)\n",
     cmd_types_run, 0},
    {"policy", "print the IAM policy a CI job needs to run cairn on the stack",
     "usage: cairn [global options] policy FILE [--read-only] [options]\n"
     "\n"
     "Prints the IAM policy document (JSON) that lets a CI job run cairn on the stack.\n"
     "With --read-only: what 'cairn plan', 'drift' and 'status' call, the reads of every\n"
     "resource type (plan reads them all, to find objects of types no longer in the file).\n"
     "Without: what 'cairn up' and 'cairn destroy' call too, the writes of the types in\n"
     "FILE, and iam:PassRole for the roles the stack hands to ECS and AWS Backup. One\n"
     "statement per service, Resource \"*\" (docs/commands.md says why). Makes no AWS call.\n"
     "\n"
     "  --read-only         only what plan calls\n" CLI_STACK_OPTIONS,
     cmd_policy_run, 0},
    {NULL, NULL, NULL, NULL, 0},
};

static const char usage[] =
    "usage: cairn [global options] <command> [args]\n"
    "\n"
    "Declarative infrastructure agent: reads a YAML stack and reconciles AWS with it.\n"
    "\n"
    "Global options:\n"
    "  --profile NAME   use this profile from the shared config files (else AWS_PROFILE)\n"
    "  --region NAME    use this region (else AWS_REGION, AWS_DEFAULT_REGION, the profile)\n"
    "  --debug          log each AWS call (credentials and secrets redacted) to stderr\n"
    "  --stats          print the AWS calls made and the time each phase took to stderr\n"
    "  --no-color       never colour output (NO_COLOR does the same)\n"
    "  --timeout D      give up on AWS after D for the whole run: 90s, 10m, 1h (default 30m)\n"
    "  -h, --help       show this help, or a command's with 'cairn <command> --help'\n"
    "  --version        print the version\n"
    "\n"
    "Commands:\n";

static void print_usage(FILE *out)
{
    fputs(usage, out);
    for (const struct cli_command *c = cli_commands; c->name; c++)
        fprintf(out, "  %-10s %s\n", c->name, c->summary);
    fputs(
        "\nEnvironment: AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL[_<SERVICE>], AWS_MAX_ATTEMPTS,\n"
        "NO_COLOR. See docs/ for the architecture and every command.\n",
        out);
}

const struct cli_command *cli_find(const char *name)
{
    for (const struct cli_command *c = cli_commands; c->name; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

void cli_report_stats(const struct cli_global *g, const struct session_stats *st)
{
    if (!g->stats)
        return;
    fprintf(stderr, "cairn: %lu AWS call%s, %lu HTTP attempt%s, %lu retr%s", st->calls,
            st->calls == 1 ? "" : "s", st->attempts, st->attempts == 1 ? "" : "s", st->retries,
            st->retries == 1 ? "y" : "ies");
    if (st->shared)
        fprintf(stderr, "; %lu read%s shared between resource types", st->shared,
                st->shared == 1 ? "" : "s");
    fputc('\n', stderr);
}

int cli_wants_help(const struct cli_command *cmd, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(cmd->usage, stdout);
            return 1;
        }
    }
    return 0;
}

int cli_parse_stack_args(const char *cmd, int argc, char **argv, int allow_json,
                         struct cli_stack_args *a)
{
    memset(a, 0, sizeof(*a));
    a->params = xcalloc((size_t)argc + 1, sizeof(*a->params));
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        if (strcmp(argv[i], "--param") == 0 || strcmp(argv[i], "--template-dir") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "cairn: error: %s: %s needs a value\n", cmd, argv[i]);
                goto fail;
            }
            v = argv[i + 1];
            if (strcmp(argv[i++], "--param") == 0)
                a->params[a->nparams++] = v;
            else
                a->template_dir = v;
        } else if (strncmp(argv[i], "--param=", 8) == 0) {
            a->params[a->nparams++] = argv[i] + 8;
        } else if (strncmp(argv[i], "--template-dir=", 15) == 0) {
            a->template_dir = argv[i] + 15;
        } else if (allow_json && strcmp(argv[i], "--json") == 0) {
            a->json = 1;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "cairn: error: %s: unknown option '%s' (see 'cairn %s --help')\n", cmd,
                    argv[i], cmd);
            goto fail;
        } else if (a->file) {
            fprintf(stderr, "cairn: error: %s: one stack file at a time ('%s' and '%s')\n", cmd,
                    a->file, argv[i]);
            goto fail;
        } else {
            a->file = argv[i];
        }
    }
    if (!a->file) {
        fprintf(stderr, "cairn: error: %s: which stack file? (cairn %s FILE)\n", cmd, cmd);
        goto fail;
    }
    return 0;
fail:
    cli_stack_args_release(a);
    return -1;
}

void cli_stack_args_release(struct cli_stack_args *a)
{
    free(a->params);
    a->params = NULL;
}

int cli_load_stack(const struct cli_global *g, const struct cli_stack_args *a, struct stack *s)
{
    struct stack_options o = {a->template_dir, g->region, a->params};
    struct diag d;
    int ret;

    diag_init(&d);
    ret = stack_load(s, a->file, &o, &d);
    diag_print(&d, stderr, "cairn");
    if (ret < 0 && d.nerrors)
        fprintf(stderr, "cairn: %zu error%s in %s\n", d.nerrors, d.nerrors == 1 ? "" : "s",
                a->file);
    diag_release(&d);
    return ret;
}

/* Global options take a value either as "--opt value" or "--opt=value". */
static int take_value(int argc, char **argv, int *i, const char *opt, const char **out)
{
    size_t n = strlen(opt);

    if (strncmp(argv[*i], opt, n) != 0)
        return 0;
    if (argv[*i][n] == '=') {
        *out = argv[*i] + n + 1;
        return 1;
    }
    if (argv[*i][n] != '\0')
        return 0;
    if (*i + 1 >= argc) {
        fprintf(stderr, "cairn: error: %s needs a value\n", opt);
        return -1;
    }
    *out = argv[++*i];
    return 1;
}

/* "90s", "10m", "1h", "45" (seconds): seconds, or -1. */
static double parse_duration(const char *v)
{
    char *end;
    double n;

    if (!v || *v < '0' || *v > '9')
        return -1;
    n = strtod(v, &end);
    if (strcmp(end, "h") == 0)
        n *= 3600;
    else if (strcmp(end, "m") == 0)
        n *= 60;
    else if (*end && strcmp(end, "s") != 0)
        return -1;
    return n > 0 ? n : -1;
}

int cli_main(int argc, char **argv)
{
    struct cli_global g = {0};
    const struct cli_command *cmd;
    const char *timeout = NULL;
    int i, r, ret;

    /* In CI the output is a pipe: each line should show as it happens, not at exit. */
    if (!isatty(STDOUT_FILENO))
        setvbuf(stdout, NULL, _IOLBF, 0);
    g.timeout = CLI_DEFAULT_TIMEOUT;
    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if ((r = take_value(argc, argv, &i, "--profile", &g.profile)) ||
            (r = take_value(argc, argv, &i, "--region", &g.region)) ||
            (r = take_value(argc, argv, &i, "--timeout", &timeout))) {
            if (r < 0)
                return 1;
            if (timeout && (g.timeout = parse_duration(timeout)) < 0) {
                fprintf(stderr,
                        "cairn: error: --timeout '%s': expected a duration such as 90s, 10m or "
                        "1h\n",
                        timeout);
                return 1;
            }
        } else if (strcmp(a, "--debug") == 0) {
            g.debug = 1;
        } else if (strcmp(a, "--stats") == 0) {
            g.stats = 1;
        } else if (strcmp(a, "--no-color") == 0) {
            g.no_color = 1;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            print_usage(stdout);
            return 0;
        } else if (strcmp(a, "--version") == 0) {
            printf("cairn %s\n", CAIRN_VERSION);
            return 0;
        } else {
            fprintf(stderr, "cairn: error: unknown option '%s' (see 'cairn --help')\n", a);
            return 1;
        }
    }
    if (i >= argc) {
        print_usage(stderr);
        return 1;
    }
    if (!(cmd = cli_find(argv[i]))) {
        fprintf(stderr, "cairn: error: unknown command '%s' (see 'cairn --help')\n", argv[i]);
        return 1;
    }
    if (cli_wants_help(cmd, argc - i, argv + i))
        return 0;
    if (getenv("NO_COLOR") && *getenv("NO_COLOR"))
        g.no_color = 1;
    if (g.debug)
        log_set_level(LOGLVL_DEBUG);
    if (cmd->aws && http_global_init() < 0) {
        fprintf(stderr, "cairn: error: cannot initialise libcurl\n");
        return 1;
    }
    if (cmd->aws)
        session_set_deadline(g.timeout);
    ret = cmd->run(&g, argc - i, argv + i);
    if (cmd->aws)
        http_global_cleanup();
    return ret;
}

int cli_take_flag(int *argc, char **argv, const char *flag)
{
    int found = 0, j = 0;

    for (int i = 0; i < *argc; i++) {
        if (i > 0 && strcmp(argv[i], flag) == 0)
            found = 1;
        else
            argv[j++] = argv[i];
    }
    *argc = j;
    argv[j] = NULL;
    return found;
}

int cli_confirm(const char *question, int yes)
{
    char line[16];

    if (yes)
        return 1;
    if (!isatty(STDIN_FILENO)) {
        fprintf(stderr, "cairn: error: no terminal to ask on; pass --yes to go ahead anyway\n");
        return 0;
    }
    printf("%s Only 'yes' is accepted: ", question);
    fflush(stdout);
    if (!fgets(line, sizeof(line), stdin) || strcmp(line, "yes\n") != 0) {
        fprintf(stderr, "cairn: cancelled, nothing was changed\n");
        return 0;
    }
    return 1;
}

int cli_take_value(int *argc, char **argv, const char *flag, const char **value)
{
    size_t n = strlen(flag);
    int found = 0, j = 0;

    for (int i = 0; i < *argc; i++) {
        if (i > 0 && strcmp(argv[i], flag) == 0) {
            if (i + 1 >= *argc) {
                fprintf(stderr, "cairn: error: %s needs a value\n", flag);
                return -1;
            }
            *value = argv[++i];
            found = 1;
        } else if (i > 0 && strncmp(argv[i], flag, n) == 0 && argv[i][n] == '=') {
            *value = argv[i] + n + 1;
            found = 1;
        } else {
            argv[j++] = argv[i];
        }
    }
    *argc = j;
    argv[j] = NULL;
    return found;
}

int cli_take_values(int *argc, char **argv, const char *flag, const char **values, size_t *n)
{
    size_t len = strlen(flag);
    int j = 0;

    *n = 0;
    for (int i = 0; i < *argc; i++) {
        if (i > 0 && strcmp(argv[i], flag) == 0) {
            if (i + 1 >= *argc) {
                fprintf(stderr, "cairn: error: %s needs a value\n", flag);
                return -1;
            }
            values[(*n)++] = argv[++i];
        } else if (i > 0 && strncmp(argv[i], flag, len) == 0 && argv[i][len] == '=') {
            values[(*n)++] = argv[i] + len + 1;
        } else {
            argv[j++] = argv[i];
        }
    }
    *argc = j;
    argv[j] = NULL;
    return 0;
}

int cli_take_parallel(int *argc, char **argv)
{
    const char *v = NULL;
    char *end;
    long n;
    int r = cli_take_value(argc, argv, "--parallel", &v);

    if (r < 0)
        return -1;
    if (r == 0)
        return APPLY_DEFAULT_PARALLEL;
    n = strtol(v, &end, 10);
    if (!*v || *end || n < 1 || n > APPLY_MAX_PARALLEL) {
        fprintf(stderr, "cairn: error: --parallel wants a number from 1 to %d, not '%s'\n",
                APPLY_MAX_PARALLEL, v);
        return -1;
    }
    return (int)n;
}
