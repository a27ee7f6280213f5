#include "agent/cli.h"
#include "agent/refdoc.h"
#include "agent/resources/registry.h"
#include "core/suggest.h"

#include <stdio.h>
#include <string.h>

int cmd_types_run(const struct cli_global *g, int argc, char **argv)
{
    const char *name = NULL, *dir = "templates";
    int markdown = 0, ret = 1;
    struct diag d;

    diag_init(&d);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--markdown") == 0)
            markdown = 1;
        else if (strcmp(argv[i], "--template-dir") == 0 && i + 1 < argc)
            dir = argv[++i];
        else if (argv[i][0] == '-')
            diag_error(&d, NULL, "types: unknown option '%s' (see 'cairn types --help')", argv[i]);
        else
            name = argv[i];
    }
    if (diag_has_errors(&d))
        goto out;
    if (markdown) {
        ret = refdoc_markdown(stdout, dir, &d) == 0 ? 0 : 1;
    } else if (name) {
        const struct restype *t = registry_lookup(name);
        if (!t) {
            const char *names[128];
            char tail[160];
            diag_error(
                &d, NULL, "unknown resource type '%s'%s", name,
                suggest_tail(name, names, registry_names(names, 128), "", tail, sizeof(tail)));
            goto out;
        }
        refdoc_type_text(stdout, t);
        ret = 0;
    } else {
        for (const struct restype *const *p = registry_types; *p; p++)
            printf("%-36s %s\n", (*p)->name, (*p)->doc);
        ret = 0;
    }
out:
    diag_print(&d, stderr, "cairn");
    diag_release(&d);
    return ret;
}
