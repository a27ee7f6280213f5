/*
 * Normalization, table-driven: every file tests/normalize/<service>.json is a
 * list of cases {"name", "type", "desired", "live", "changes"}: desired as the
 * planner builds it from a stack, live as a read returns it from AWS, and the
 * attribute paths diff_resource() must report ([] when a stack just applied
 * must show no difference). Adding a case is adding an entry to a file; a new
 * file is found by the test on its own.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/diff.h"
#include "agent/resources/registry.h"

static const char *case_dir(void)
{
    static char path[4096];
    const char *src = getenv("CAIRN_SOURCE_DIR");

    snprintf(path, sizeof(path), "%s/tests/normalize", src ? src : ".");
    return path;
}

/* The paths a diff found, as a sorted JSON array of strings. */
static json_t *paths_of(const struct diff *df)
{
    json_t *out = json_array();

    for (size_t i = 0; i < df->n; i++)
        json_array_append_new(out, json_string(df->v[i].path));
    return out;
}

static int cmp_json_str(const void *a, const void *b)
{
    return strcmp(json_string_value(*(json_t *const *)a), json_string_value(*(json_t *const *)b));
}

static json_t *sorted(const json_t *arr)
{
    size_t n = json_array_size(arr);
    json_t **v = calloc(n + 1, sizeof(*v)), *out = json_array();

    for (size_t i = 0; i < n; i++)
        v[i] = json_array_get(arr, i);
    qsort(v, n, sizeof(*v), cmp_json_str);
    for (size_t i = 0; i < n; i++)
        json_array_append(out, v[i]);
    free(v);
    return out;
}

/* 0 when the case holds, else 1 with a line on stderr saying why. */
static int run_case(const char *file, const json_t *c)
{
    const char *name = json_string_value(json_object_get(c, "name"));
    const char *tname = json_string_value(json_object_get(c, "type"));
    const struct restype *t = tname ? registry_lookup(tname) : NULL;
    struct diff df;
    json_t *paths, *got, *want;
    int bad;

    if (!name || !t || !json_is_object(json_object_get(c, "desired")) ||
        !json_is_object(json_object_get(c, "live")) ||
        !json_is_array(json_object_get(c, "changes"))) {
        fprintf(stderr, "%s: case %s: needs name, a known type, desired, live and changes\n", file,
                name ? name : "(unnamed)");
        return 1;
    }
    diff_init(&df);
    diff_resource(t, json_object_get(c, "desired"), json_object_get(c, "live"), &df);
    paths = paths_of(&df);
    got = sorted(paths);
    json_decref(paths);
    want = sorted(json_object_get(c, "changes"));
    bad = !json_equal(got, want);
    if (bad) {
        char *g = json_dumps(got, JSON_COMPACT), *w = json_dumps(want, JSON_COMPACT);
        fprintf(stderr, "%s: case %s (%s): changes %s, expected %s\n", file, name, tname, g, w);
        for (size_t i = 0; i < df.n; i++) {
            char *o = df.v[i].old ? json_dumps(df.v[i].old, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
            char *n = df.v[i].new ? json_dumps(df.v[i].new, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
            fprintf(stderr, "    %s: %s -> %s\n", df.v[i].path, o ? o : "(none)", n ? n : "(none)");
            free(o);
            free(n);
        }
        free(g);
        free(w);
    }
    json_decref(got);
    json_decref(want);
    diff_release(&df);
    return bad;
}

static void test_every_case(void **state)
{
    DIR *dir = opendir(case_dir());
    struct dirent *e;
    size_t files = 0, cases = 0, failed = 0;

    (void)state;
    assert_non_null(dir);
    while ((e = readdir(dir))) {
        char path[4600];
        json_error_t err;
        json_t *list, *c;
        size_t i, n = strlen(e->d_name);
        if (n < 6 || strcmp(e->d_name + n - 5, ".json") != 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", case_dir(), e->d_name);
        if (!(list = json_load_file(path, 0, &err)) || !json_is_array(list)) {
            fprintf(stderr, "%s:%d: %s\n", path, err.line, list ? "not a list" : err.text);
            failed++;
            json_decref(list);
            continue;
        }
        files++;
        json_array_foreach(list, i, c)
        {
            cases++;
            failed += (size_t)run_case(e->d_name, c);
        }
        json_decref(list);
    }
    closedir(dir);
    fprintf(stderr, "normalize: %zu cases in %zu files, %zu failed\n", cases, files, failed);
    assert_true(files > 0);
    assert_int_equal(failed, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_case),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
