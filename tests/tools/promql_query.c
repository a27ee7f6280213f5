/*
 * promql_query: answers PromQL API requests from an in-memory store, for
 * the differential test against Prometheus (tests/integration/
 * test_promql_diff.py). Usage: promql_query DATA.om < requests
 *
 * DATA.om is OpenMetrics text as promtool's backfill reads it ("name{l="v"}
 * value unix-seconds" lines; "#" lines ignored). Each request line is
 * tab-separated: "query<TAB>expr<TAB>time", "query_range<TAB>expr<TAB>start
 * <TAB>end<TAB>step", "query_exemplars<TAB>expr<TAB>start<TAB>end" or
 * "format_query<TAB>expr"; query and query_range take a last optional field, stats (empty fields
 * are absent parameters); each answer is one line "status<TAB>json-body".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "promql/api.h"
#include "promql/ast.h"
#include "promql/memstore.h"

static size_t metric_len(const char *s)
{
    size_t i = 0;
    while (s[i] && s[i] != '{' && s[i] != ' ')
        i++;
    if (s[i] == '{') {
        int q = 0;
        for (; s[i]; i++) {
            if (q && s[i] == '\\')
                i++;
            else if (s[i] == '"')
                q = !q;
            else if (!q && s[i] == '}') {
                i++;
                break;
            }
        }
    }
    return i;
}

static int load(struct memstore *ms, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return -1;
    }
    char line[8192];
    unsigned lineno = 0;
    struct labels_builder b;
    labels_builder_init(&b);
    while (fgets(line, sizeof(line), f)) {
        lineno++;
        if (line[0] == '#' || line[0] == '\n')
            continue;
        size_t ml = metric_len(line);
        struct strbuf err = STRBUF_INIT;
        /* The line's parse is garbage once memstore_add has copied its labels. */
        struct arena la;
        arena_init(&la);
        struct pq_node *n = promql_parse(&la, line, ml, &err);
        if (!n || n->kind != N_VS) {
            fprintf(stderr, "%s:%u: bad series: %s\n", path, lineno, err.buf);
            strbuf_release(&err);
            arena_release(&la);
            fclose(f);
            return -1;
        }
        strbuf_release(&err);
        labels_builder_reset(&b, NULL);
        for (size_t i = 0; i < n->nms; i++)
            labels_builder_set(&b, arena_strdup(&la, n->ms[i].name),
                               arena_strdup(&la, n->ms[i].value));
        pq_node_release(n);
        struct labels l;
        labels_builder_finish(&b, &l, NULL);
        char *end;
        double v = strtod(line + ml, &end);
        double ts = strtod(end, NULL);
        memstore_add(ms, &l, (int64_t)(ts * 1000 + (ts >= 0 ? 0.5 : -0.5)), v);
        arena_release(&la);
    }
    labels_builder_release(&b);
    fclose(f);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2 || !strcmp(argv[1], "--help")) {
        fprintf(stderr, "usage: promql_query DATA.om < requests\n");
        return argc == 2 ? 0 : 2;
    }
    struct memstore *ms = memstore_new();
    struct arena a;
    arena_init(&a);
    if (load(ms, argv[1]) < 0)
        return 1;
    struct querier q = memstore_querier(ms);
    struct pq_opts o;
    pq_opts_default(&o);
    static char line[1 << 16];
    while (fgets(line, sizeof(line), stdin)) {
        line[strcspn(line, "\n")] = 0;
        char *f[6] = {0};
        int nf = 0;
        char *p = line;
        while (nf < 6) {
            f[nf++] = p;
            char *t = strchr(p, '\t');
            if (!t)
                break;
            *t = 0;
            p = t + 1;
        }
        for (int i = 0; i < nf; i++)
            if (!*f[i])
                f[i] = NULL;
        struct promql_api_params prm = {0};
        prm.query = nf > 1 ? f[1] : NULL;
        struct strbuf out = STRBUF_INIT;
        int st;
        if (f[0] && !strcmp(f[0], "query")) {
            prm.time = nf > 2 ? f[2] : NULL;
            prm.stats = nf > 3 ? f[3] : NULL;
            st = promql_api_query(&q, &o, &prm, &out);
        } else if (f[0] && !strcmp(f[0], "query_range")) {
            prm.start = nf > 2 ? f[2] : NULL;
            prm.end = nf > 3 ? f[3] : NULL;
            prm.step = nf > 4 ? f[4] : NULL;
            prm.stats = nf > 5 ? f[5] : NULL;
            st = promql_api_query_range(&q, &o, &prm, &out);
        } else if (f[0] && !strcmp(f[0], "query_exemplars")) {
            prm.start = nf > 2 ? f[2] : NULL;
            prm.end = nf > 3 ? f[3] : NULL;
            st = promql_api_query_exemplars(&prm, &out);
        } else {
            st = promql_api_format_query(&prm, &out);
        }
        printf("%d\t%s\n", st, out.buf);
        fflush(stdout);
        strbuf_release(&out);
    }
    arena_release(&a);
    memstore_free(ms);
    return 0;
}
