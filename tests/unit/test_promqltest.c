/*
 * The promqltest runner: executes Prometheus 2.42's engine test scripts
 * (the .test files in tests/data/promql-2.42) against cairn's PromQL engine over the
 * in-memory store, as Prometheus's promql/test.go does: `load` with the
 * expanding series notation, `clear`, `eval instant at`, `eval_fail`,
 * `eval_ordered`; every instant eval is also run with the @ modifier at
 * other times (atModifierTestCases) and again as a range query from one
 * minute before to one minute after, checking the middle step.
 *
 * Evals that cannot pass (native histograms) are listed with their reason
 * in tests/data/promql-2.42-skips.txt; the test asserts that every other
 * eval passes and prints the count.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "promql/ast.h"
#include "promql/engine.h"
#include "promql/funcs.h"
#include "promql/memstore.h"

struct expect {
    struct labels l;
    int scalar;
    double v;
    int pos;
};

struct run {
    struct memstore *ms;
    struct arena a; /* per file */
    int pass, fail, skipped;
    char **skips;
    size_t nskips;
    int verbose;
};

static int almost_equal(double a, double b)
{
    const double eps = 0.000001, min_normal = 2.2250738585072014e-308;
    if (isnan(a) && isnan(b))
        return 1;
    if (a == b)
        return 1;
    double diff = fabs(a - b);
    if (a == 0 || b == 0 || diff < min_normal)
        return diff < eps * min_normal;
    return diff / (fabs(a) + fabs(b)) < eps;
}

static int parse_value(const char *s, double *v)
{
    char *end;
    if (!strcmp(s, "stale")) {
        uint64_t b = PQ_STALE_NAN_BITS;
        memcpy(v, &b, sizeof(*v));
        return 0;
    }
    *v = strtod(s, &end);
    return *end ? -1 : 0;
}

/* "metric{a="b"}" → labels, through the PromQL parser's selector. */
static int parse_metric(struct arena *a, const char *s, size_t n, struct labels *out)
{
    struct strbuf err = STRBUF_INIT;
    struct pq_node *node = promql_parse(a, s, n, &err);
    int rc = -1;
    if (!node || node->kind != N_VS)
        goto out;
    struct labels_builder b;
    labels_builder_init(&b);
    for (size_t i = 0; i < node->nms; i++)
        labels_builder_set(&b, arena_strdup(a, node->ms[i].name),
                           arena_strdup(a, node->ms[i].value));
    struct labels l;
    labels_builder_finish(&b, &l, NULL);
    *out = labels_dup(a, &l);
    labels_builder_release(&b);
    rc = 0;
out:
    if (node)
        pq_node_release(node);
    strbuf_release(&err);
    return rc;
}

/* Length of the metric part of a series line: name and {...} with quoted strings. */
static size_t metric_len(const char *s)
{
    size_t i = 0;
    while (s[i] && s[i] != '{' && s[i] != ' ' && s[i] != '\t')
        i++;
    if (s[i] == '{') {
        char q = 0;
        for (; s[i]; i++) {
            if (q) {
                if (s[i] == '\\')
                    i++;
                else if (s[i] == q)
                    q = 0;
            } else if (s[i] == '"' || s[i] == '\'' || s[i] == '`') {
                q = s[i];
            } else if (s[i] == '}') {
                i++;
                break;
            }
        }
    }
    return i;
}

static void load_line(struct run *r, const char *line, int64_t interval, const char *where)
{
    size_t ml = metric_len(line);
    struct labels l;
    if (parse_metric(&r->a, line, ml, &l) < 0)
        fail_msg("%s: bad series %s", where, line);
    char *vals = strdup(line + ml);
    int64_t t = 0;
    for (char *tok = strtok(vals, " \t"); tok; tok = strtok(NULL, " \t")) {
        char *x = strchr(tok, 'x');
        if (!strcmp(tok, "_")) {
            t += interval;
            continue;
        }
        if (x && !strncmp(tok, "_x", 2)) {
            t += interval * atoll(x + 1);
            continue;
        }
        if (!x) {
            double v;
            if (parse_value(tok, &v) < 0)
                fail_msg("%s: bad value %s", where, tok);
            memstore_add(r->ms, &l, t, v);
            t += interval;
            continue;
        }
        /* a+bxN, a-bxN, axN */
        *x = 0;
        long long times = atoll(x + 1);
        double start, step = 0;
        char *op = NULL;
        for (char *p = tok + 1; *p; p++)
            if ((*p == '+' || *p == '-') && p[-1] != 'e' && p[-1] != 'E') {
                op = p;
                break;
            }
        if (op) {
            char c = *op;
            *op = 0;
            if (parse_value(tok, &start) < 0 || parse_value(op + 1, &step) < 0)
                fail_msg("%s: bad value %s", where, tok);
            if (c == '-')
                step = -step;
            memstore_add(r->ms, &l, t, start);
            t += interval;
            for (long long j = 1; j <= times; j++) {
                start += step;
                memstore_add(r->ms, &l, t, start);
                t += interval;
            }
        } else {
            if (parse_value(tok, &start) < 0)
                fail_msg("%s: bad value %s", where, tok);
            for (long long j = 0; j <= times; j++) {
                memstore_add(r->ms, &l, t, start);
                t += interval;
            }
        }
    }
    free(vals);
}

static const char *const unsafe_funcs[] = {
    "days_in_month", "day_of_month", "day_of_week",    "day_of_year", "hour",      "minute",
    "month",         "year",         "predict_linear", "time",        "timestamp", NULL};

/* atModifierTestCases: set @ ts on every selector outside subqueries; 1 if unsafe. */
static int set_at(struct pq_node *n, int64_t ts)
{
    if (!n)
        return 0;
    int unsafe = 0;
    switch (n->kind) {
    case N_VS:
        if (n->at_mode == AT_NONE) {
            n->at_mode = AT_TS;
            n->at = ts;
        }
        return 0;
    case N_MS:
        return set_at(n->expr, ts);
    case N_SUBQ:
        if (n->at_mode == AT_NONE) {
            n->at_mode = AT_TS;
            n->at = ts;
        }
        return 0;
    case N_CALL:
        for (int i = 0; unsafe_funcs[i]; i++)
            if (!strcmp(unsafe_funcs[i], n->func->name))
                unsafe = 1;
        break;
    default:
        break;
    }
    unsafe |= set_at(n->expr, ts);
    unsafe |= set_at(n->lhs, ts);
    unsafe |= set_at(n->rhs, ts);
    unsafe |= set_at(n->param, ts);
    for (size_t i = 0; i < n->nargs; i++)
        unsafe |= set_at(n->args[i], ts);
    return unsafe;
}

static int find_expect(struct expect *ex, size_t nex, const struct labels *l)
{
    for (size_t i = 0; i < nex; i++)
        if (!ex[i].scalar && labels_equal(&ex[i].l, l))
            return (int)i;
    return -1;
}

/* Compare an instant result (a vector of samples or a scalar) with the expectation. */
static int compare(const struct pq_series *s, size_t n, int is_scalar, double scalar,
                   struct expect *ex, size_t nex, int ordered, struct strbuf *why)
{
    if (is_scalar) {
        if (nex < 1 || !almost_equal(ex[0].v, scalar)) {
            strbuf_addf(why, "expected scalar %g but got %g", nex ? ex[0].v : NAN, scalar);
            return -1;
        }
        return 0;
    }
    char *seen = calloc(nex + 1, 1);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        int k = find_expect(ex, nex, &s[i].labels);
        if (k < 0) {
            strbuf_adds(why, "unexpected metric ");
            labels_format(&s[i].labels, why);
            strbuf_addf(why, " = %g in result", s[i].p[0].v);
            rc = -1;
            goto out;
        }
        if (ordered && ex[k].pos != (int)i + 1) {
            strbuf_addf(why, "metric at position %zu expected at %d", i + 1, ex[k].pos);
            rc = -1;
            goto out;
        }
        if (!almost_equal(ex[k].v, s[i].p[0].v)) {
            strbuf_addf(why, "expected %g for ", ex[k].v);
            labels_format(&s[i].labels, why);
            strbuf_addf(why, " but got %g", s[i].p[0].v);
            rc = -1;
            goto out;
        }
        seen[k] = 1;
    }
    for (size_t k = 0; k < nex; k++) {
        if (!seen[k]) {
            strbuf_adds(why, "expected metric ");
            labels_format(&ex[k].l, why);
            strbuf_adds(why, " not found");
            rc = -1;
            goto out;
        }
    }
out:
    free(seen);
    return rc;
}

/* One query of an eval: instant, then as a range query around it. */
static int run_query(struct run *r, const char *expr, int64_t ts, int fail, int ordered,
                     struct expect *ex, size_t nex, struct strbuf *why)
{
    struct querier q = memstore_querier(r->ms);
    struct pq_opts o;
    pq_opts_default(&o);
    o.max_samples = 10000;
    o.timeout_s = 100;
    struct arena a;
    arena_init(&a);
    struct strbuf err = STRBUF_INIT;
    int rc = -1;
    struct pq_node *node = promql_parse(&a, expr, strlen(expr), &err);
    if (!node) {
        if (fail)
            rc = 0;
        else
            strbuf_addf(why, "parse: %s", err.buf);
        goto out;
    }
    struct pq_result res;
    enum pq_errtype et = promql_eval(&a, &q, &o, node, ts, ts, 0, &res, &err);
    if (et != PQ_ERR_NONE) {
        if (fail)
            rc = 0;
        else
            strbuf_addf(why, "eval: %s", err.buf);
        goto out;
    }
    if (fail) {
        strbuf_adds(why, "expected an error, got none");
        goto out;
    }
    if (res.type == PQ_MATRIX || res.type == PQ_STRING) {
        strbuf_adds(why, "received range result on instant evaluation");
        goto out;
    }
    if (compare(res.s, res.n, res.type == PQ_SCALAR, res.scalar, ex, nex, ordered, why) < 0)
        goto out;
    /* Range mode: [ts-1m, ts+1m] every minute, the middle step must agree. Pure range
     * functions of two or more series take their second thread here (rangepar), so that both
     * ways of computing them go through every eval. */
    o.par_windows = 1;
    pq_node_release(node);
    node = promql_parse(&a, expr, strlen(expr), &err);
    struct pq_result rr;
    et = promql_eval(&a, &q, &o, node, ts - 60000, ts + 60000, 60000, &rr, &err);
    if (et != PQ_ERR_NONE) {
        strbuf_addf(why, "range mode: %s", err.buf);
        goto out;
    }
    if (ordered) {
        rc = 0;
        goto out;
    }
    struct pq_series *mid = calloc(rr.n + 1, sizeof(*mid));
    size_t nm = 0;
    for (size_t i = 0; i < rr.n; i++)
        for (size_t k = 0; k < rr.s[i].n; k++)
            if (rr.s[i].p[k].t == ts) {
                mid[nm].labels = rr.s[i].labels;
                mid[nm].p = &rr.s[i].p[k];
                mid[nm].n = 1;
                nm++;
                break;
            }
    int is_scalar = res.type == PQ_SCALAR;
    if (compare(mid, nm, is_scalar, nm ? mid[0].p[0].v : NAN, ex, nex, 0, why) < 0) {
        strbuf_adds(why, " (range mode)");
        free(mid);
        goto out;
    }
    free(mid);
    rc = 0;
out:
    if (node)
        pq_node_release(node);
    strbuf_release(&err);
    arena_release(&a);
    return rc;
}

static int run_eval(struct run *r, const char *expr, int64_t ts, int fail, int ordered,
                    struct expect *ex, size_t nex, struct strbuf *why)
{
    if (run_query(r, expr, ts, fail, ordered, ex, nex, why) < 0)
        return -1;
    /* atModifierTestCases */
    struct arena a;
    arena_init(&a);
    struct strbuf err = STRBUF_INIT, text = STRBUF_INIT;
    struct pq_node *node = promql_parse(&a, expr, strlen(expr), &err);
    int rc = 0;
    if (node && !set_at(node, ts)) {
        promql_print(node, &text);
        int64_t times[5];
        int nt;
        if (ts == 0) {
            times[0] = -1000, times[1] = 0, times[2] = 1000;
            nt = 3;
        } else {
            times[0] = -10 * ts, times[1] = 0, times[2] = ts / 5, times[3] = ts, times[4] = 10 * ts;
            nt = 5;
        }
        for (int i = 0; i < nt && rc == 0; i++) {
            if (run_query(r, text.buf, times[i], fail, ordered, ex, nex, why) < 0) {
                strbuf_addf(why, " [@ variant %s at %lld]", text.buf, (long long)times[i]);
                rc = -1;
            }
        }
    }
    if (node)
        pq_node_release(node);
    strbuf_release(&err);
    strbuf_release(&text);
    arena_release(&a);
    return rc;
}

static int is_skipped(struct run *r, const char *key)
{
    for (size_t i = 0; i < r->nskips; i++)
        if (!strcmp(r->skips[i], key))
            return 1;
    return 0;
}

static char *rstrip(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = 0;
    return s;
}

static void run_file(struct run *r, const char *dir, const char *name)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char **lines = NULL;
    size_t n = 0, alloc = 0;
    char buf[65536];
    while (fgets(buf, sizeof(buf), f)) {
        if (n == alloc) {
            alloc = alloc ? alloc * 2 : 256;
            lines = realloc(lines, alloc * sizeof(*lines));
        }
        lines[n++] = strdup(rstrip(buf));
    }
    fclose(f);
    memstore_clear(r->ms);
    arena_init(&r->a);
    for (size_t i = 0; i < n; i++) {
        char *l = lines[i];
        char where[1100];
        snprintf(where, sizeof(where), "%s:%zu", name, i + 1);
        if (!*l || l[0] == '#')
            continue;
        if (!strcmp(l, "clear")) {
            memstore_clear(r->ms);
            continue;
        }
        if (!strncmp(l, "load ", 5)) {
            int64_t interval;
            if (pq_parse_duration(l + 5, strlen(l + 5), &interval) < 0)
                fail_msg("%s: bad load interval", where);
            while (i + 1 < n && lines[i + 1][0] &&
                   (lines[i + 1][0] == ' ' || lines[i + 1][0] == '\t')) {
                i++;
                char *s = lines[i];
                while (*s == ' ' || *s == '\t')
                    s++;
                if (*s && *s != '#')
                    load_line(r, s, interval, where);
            }
            continue;
        }
        if (!strncmp(l, "eval", 4)) {
            int fail = !strncmp(l, "eval_fail", 9), ordered = !strncmp(l, "eval_ordered", 12);
            char *p = strstr(l, " at ");
            assert_non_null(p);
            p += 4;
            char *sp = strchr(p, ' ');
            assert_non_null(sp);
            int64_t ts;
            if (pq_parse_duration(p, (size_t)(sp - p), &ts) < 0) {
                char *e;
                double secs = strtod(p, &e);
                ts = (int64_t)(secs * 1000);
            }
            const char *expr = sp + 1;
            struct expect ex[256];
            size_t nex = 0;
            while (i + 1 < n && lines[i + 1][0] &&
                   (lines[i + 1][0] == ' ' || lines[i + 1][0] == '\t')) {
                i++;
                char *s = lines[i];
                while (*s == ' ' || *s == '\t')
                    s++;
                if (!*s || *s == '#' || nex == 256)
                    continue;
                double v;
                if (parse_value(s, &v) == 0) {
                    ex[nex] = (struct expect){.scalar = 1, .v = v, .pos = (int)nex + 1};
                    nex++;
                    continue;
                }
                size_t ml = metric_len(s);
                struct labels ls;
                if (parse_metric(&r->a, s, ml, &ls) < 0) {
                    /* "{}" has no matcher: the empty label set. */
                    ls = (struct labels){0};
                }
                char *vs = s + ml;
                while (*vs == ' ' || *vs == '\t')
                    vs++;
                if (parse_value(vs, &v) < 0)
                    fail_msg("%s: bad expected value '%s'", where, vs);
                ex[nex] = (struct expect){.l = ls, .v = v, .pos = (int)nex + 1};
                nex++;
            }
            if (is_skipped(r, where)) {
                r->skipped++;
                continue;
            }
            struct strbuf why = STRBUF_INIT;
            if (run_eval(r, expr, ts, fail, ordered, ex, nex, &why) == 0) {
                r->pass++;
            } else {
                r->fail++;
                printf("FAIL %s: %s\n    %s\n", where, expr, why.buf);
            }
            strbuf_release(&why);
            continue;
        }
        fail_msg("%s: unknown command: %s", where, l);
    }
    for (size_t i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
    arena_release(&r->a);
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_promql_corpus(void **state)
{
    (void)state;
    const char *data = getenv("CAIRN_TEST_DATA");
    assert_non_null(data);
    char dir[1024], skipf[1024];
    snprintf(dir, sizeof(dir), "%s/promql-2.42", data);
    snprintf(skipf, sizeof(skipf), "%s/promql-2.42-skips.txt", data);
    struct run r = {0};
    r.ms = memstore_new();
    /* The skip list: "file:line reason", one per line. */
    FILE *sf = fopen(skipf, "r");
    assert_non_null(sf);
    char buf[1024];
    while (fgets(buf, sizeof(buf), sf)) {
        rstrip(buf);
        if (!buf[0] || buf[0] == '#')
            continue;
        char *sp = strchr(buf, ' ');
        assert_non_null(sp); /* every skip has a reason */
        *sp = 0;
        r.skips = realloc(r.skips, (r.nskips + 1) * sizeof(char *));
        r.skips[r.nskips++] = strdup(buf);
    }
    fclose(sf);
    DIR *d = opendir(dir);
    assert_non_null(d);
    char *names[64];
    size_t nn = 0;
    struct dirent *e;
    while ((e = readdir(d)) && nn < 64) {
        size_t l = strlen(e->d_name);
        if (l > 5 && !strcmp(e->d_name + l - 5, ".test"))
            names[nn++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, nn, sizeof(char *), cmp_name);
    for (size_t i = 0; i < nn; i++) {
        run_file(&r, dir, names[i]);
        free(names[i]);
    }
    printf("promqltest: %zu files, %d evals passed, %d failed, %d skipped (listed)\n", nn, r.pass,
           r.fail, r.skipped);
    assert_int_equal(nn, 11);
    assert_int_equal(r.skipped, (int)r.nskips);
    assert_int_equal(r.fail, 0);
    assert_int_equal(r.pass + r.skipped, 566);
    for (size_t i = 0; i < r.nskips; i++)
        free(r.skips[i]);
    free(r.skips);
    memstore_free(r.ms);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_promql_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
