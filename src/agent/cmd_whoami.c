#include "agent/cli.h"
#include "aws/session.h"
#include "aws/sts.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

int cmd_whoami_run(const struct cli_global *g, int argc, char **argv)
{
    struct session_options opts = {g->profile, g->region, 0, 0};
    struct session *s = NULL;
    struct sts_identity id;
    struct creds cr;
    struct diag d;
    int json = 0, ret = 1;

    diag_init(&d);
    creds_init(&cr);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else {
            diag_error(&d, NULL, "whoami: unknown argument '%s' (see 'cairn whoami --help')",
                       argv[i]);
            goto out;
        }
    }
    if (!(s = session_new(&opts, &d)) || session_creds(s, &cr, &d) < 0 ||
        sts_get_caller_identity(s, &id, &d) < 0)
        goto out;
    if (json) {
        json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "account", id.account, "arn",
                              id.arn, "user_id", id.user_id, "region", s->region, "region_source",
                              s->region_source, "credentials_source", cr.source);
        json_dumpf(o, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(o);
    } else {
        printf("account:     %s\n", id.account);
        printf("arn:         %s\n", id.arn);
        printf("user id:     %s\n", id.user_id);
        printf("region:      %s (from %s)\n", s->region, s->region_source);
        printf("credentials: %s\n", cr.source);
    }
    ret = 0;
out:
    if (s)
        cli_report_stats(g, &s->stats);
    diag_print(&d, stderr, "cairn");
    diag_release(&d);
    creds_release(&cr);
    session_free(s);
    return ret;
}
