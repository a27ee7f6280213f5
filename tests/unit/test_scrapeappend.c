/*
 * scrapeappend: what one scrape hands to the appender, on buffers: target
 * labels and honor_labels (exported_ on conflict), metric relabeling,
 * duplicates, explicit timestamps, stale markers for series that disappear,
 * a failed body (Prometheus's staleness on append errors) and the synthetic
 * series.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "metrics/remotewrite.h"
#include "metrics/sample.h"
#include "scrape/promcfg.h"
#include "scrape/scrapeappend.h"

/* An appender that renders what it gets, one line per sample: labels t value. */
struct rec {
    struct appender app;
    struct strbuf out;
    int commits, rollbacks;
};

static int rec_append(struct appender *app, const struct labels *ls, int64_t t, double v)
{
    struct rec *r = (struct rec *)app;
    labels_format(ls, &r->out);
    if (sample_is_stale(v))
        strbuf_addf(&r->out, " %lld stale\n", (long long)t);
    else
        strbuf_addf(&r->out, " %lld %g\n", (long long)t, v);
    return 0;
}

static int rec_commit(struct appender *app)
{
    ((struct rec *)app)->commits++;
    return 0;
}

static void rec_rollback(struct appender *app)
{
    struct rec *r = (struct rec *)app;
    r->rollbacks++;
    strbuf_reset(&r->out);
}

static void rec_init(struct rec *r)
{
    memset(r, 0, sizeof(*r));
    r->app = (struct appender){rec_append, rec_commit, rec_rollback, NULL};
    strbuf_init(&r->out, STRBUF_NOCAP);
}

/* The same with append_encoded, so the scrape cache is on: labels from the record. */
static int rec_append_encoded(struct appender *app, const struct labels *ls, const void *enc,
                              size_t len, int64_t t, double v)
{
    struct arena a;
    struct label arr[64];
    int n;

    (void)ls;
    arena_init(&a);
    n = remotewrite_labels_decode(enc, len, arr, 64, &a);
    assert_true(n > 0);
    rec_append(app, &(struct labels){arr, (size_t)n}, t, v);
    arena_release(&a);
    return 0;
}

static void erec_init(struct rec *r)
{
    rec_init(r);
    r->app.append_encoded = rec_append_encoded;
}

static struct label target_v[] = {{"instance", "h:1"}, {"job", "j"}};
static const struct labels target = {target_v, 2};

static void load_job(struct promcfg *c, const char *extra)
{
    char text[1024];
    struct diag d;
    snprintf(text, sizeof(text), "scrape_configs:\n  - job_name: j\n%s", extra);
    promcfg_init(c);
    diag_init(&d);
    assert_int_equal(promcfg_load_buf(c, "t.yml", text, strlen(text), &d), 0);
    diag_release(&d);
}

static void target_labels_and_exported(void **state)
{
    struct promcfg c;
    struct scrapeappend_state st;
    struct scrapeappend_result r;
    struct rec rec;
    static const char body[] = "m{job=\"x\",instance=\"y\",exported_job=\"z\"} 1\nn{a=\"b\"} 2\n";

    load_job(&c, "");
    scrapeappend_init(&st);
    rec_init(&rec);
    assert_int_equal(scrapeappend_body(&st, &c.jobs[0], &target, body, strlen(body), EXPO_TEXT,
                                       1000, &rec.app, &r),
                     0);
    /* exported_job is taken by the exposition, so job becomes exported_exported_job. */
    assert_string_equal(rec.out.buf,
                        "{__name__=\"m\", exported_exported_job=\"x\", exported_instance=\"y\", "
                        "exported_job=\"z\", instance=\"h:1\", job=\"j\"} 1000 1\n"
                        "{__name__=\"n\", a=\"b\", instance=\"h:1\", job=\"j\"} 1000 2\n");
    assert_int_equal(r.total, 2);
    assert_int_equal(r.added, 2);
    assert_int_equal(r.series_added, 2);
    scrapeappend_release(&st);
    strbuf_release(&rec.out);
    promcfg_release(&c);
}

static void honor_labels_keeps_exposed(void **state)
{
    struct promcfg c;
    struct scrapeappend_state st;
    struct scrapeappend_result r;
    struct rec rec;
    static const char body[] = "m{job=\"x\"} 1\n";

    load_job(&c, "    honor_labels: true\n");
    scrapeappend_init(&st);
    rec_init(&rec);
    scrapeappend_body(&st, &c.jobs[0], &target, body, strlen(body), EXPO_TEXT, 5, &rec.app, &r);
    assert_string_equal(rec.out.buf, "{__name__=\"m\", instance=\"h:1\", job=\"x\"} 5 1\n");
    scrapeappend_release(&st);
    strbuf_release(&rec.out);
    promcfg_release(&c);
}

static void relabel_duplicates_timestamps(void **state)
{
    struct promcfg c;
    struct scrapeappend_state st;
    struct scrapeappend_result r;
    struct rec rec;
    static const char body[] = "keep_me 1\nkeep_me 2\ndrop_me 3\nwith_ts 4 777\n";

    load_job(&c, "    metric_relabel_configs:\n      - {source_labels: [__name__], regex: "
                 "drop_.*, action: drop}\n");
    scrapeappend_init(&st);
    rec_init(&rec);
    scrapeappend_body(&st, &c.jobs[0], &target, body, strlen(body), EXPO_TEXT, 1000, &rec.app, &r);
    assert_string_equal(rec.out.buf, "{__name__=\"keep_me\", instance=\"h:1\", job=\"j\"} 1000 1\n"
                                     "{__name__=\"with_ts\", instance=\"h:1\", job=\"j\"} 777 4\n");
    assert_int_equal(r.total, 4);
    assert_int_equal(r.added, 3); /* the duplicate counts, as in Prometheus */
    assert_int_equal(r.duplicates, 1);
    assert_int_equal(r.series_added, 2);
    /* Next scrape: keep_me disappears; with_ts is not tracked for staleness. */
    strbuf_reset(&rec.out);
    static const char next[] = "other 1\n";
    scrapeappend_body(&st, &c.jobs[0], &target, next, strlen(next), EXPO_TEXT, 2000, &rec.app, &r);
    assert_string_equal(rec.out.buf,
                        "{__name__=\"other\", instance=\"h:1\", job=\"j\"} 2000 1\n"
                        "{__name__=\"keep_me\", instance=\"h:1\", job=\"j\"} 2000 stale\n");
    assert_int_equal(r.series_added, 1);
    scrapeappend_release(&st);
    strbuf_release(&rec.out);
    promcfg_release(&c);
}

static void failed_body_and_report(void **state)
{
    struct promcfg c;
    struct scrapeappend_state st;
    struct scrapeappend_result r;
    struct rec rec;
    static const char good[] = "a 1\nb 2\n";
    static const char bad[] = "a 1\nb{ 2\n";

    load_job(&c, "");
    scrapeappend_init(&st);
    rec_init(&rec);
    scrapeappend_body(&st, &c.jobs[0], &target, good, strlen(good), EXPO_TEXT, 1000, &rec.app, &r);
    strbuf_reset(&rec.out);
    assert_int_equal(scrapeappend_body(&st, &c.jobs[0], &target, bad, strlen(bad), EXPO_TEXT, 2000,
                                       &rec.app, &r),
                     -1);
    assert_true(r.err[0] != 0);
    rec.app.rollback(&rec.app);
    /* b was not seen before the error: stale; a was: not stale, and stays the last scrape. */
    scrapeappend_stale(&st, 2000, &rec.app);
    scrapeappend_report(&target, 2000, 0, 0.25, &r, &rec.app);
    assert_string_equal(
        rec.out.buf,
        "{__name__=\"b\", instance=\"h:1\", job=\"j\"} 2000 stale\n"
        "{__name__=\"up\", instance=\"h:1\", job=\"j\"} 2000 0\n"
        "{__name__=\"scrape_duration_seconds\", instance=\"h:1\", job=\"j\"} 2000 0.25\n"
        "{__name__=\"scrape_samples_scraped\", instance=\"h:1\", job=\"j\"} 2000 1\n"
        "{__name__=\"scrape_samples_post_metric_relabeling\", instance=\"h:1\", "
        "job=\"j\"} 2000 1\n"
        "{__name__=\"scrape_series_added\", instance=\"h:1\", job=\"j\"} 2000 0\n");
    /* A target that is down now: a goes stale, then nothing more. */
    strbuf_reset(&rec.out);
    scrapeappend_stale(&st, 3000, &rec.app);
    assert_string_equal(rec.out.buf, "{__name__=\"a\", instance=\"h:1\", job=\"j\"} 3000 stale\n");
    strbuf_reset(&rec.out);
    scrapeappend_stale(&st, 4000, &rec.app);
    assert_string_equal(rec.out.buf, "");
    scrapeappend_release(&st);
    strbuf_release(&rec.out);
    promcfg_release(&c);
}

/* One scrape on both states; the outputs and counts must be the same. */
static void scrape_both(struct scrapeappend_state *plain, struct scrapeappend_state *cached,
                        const struct promcfg_job *job, const char *body, int64_t t)
{
    struct rec a, b;
    struct scrapeappend_result ra, rb;
    int rca, rcb;

    rec_init(&a);
    erec_init(&b);
    rca = scrapeappend_body(plain, job, &target, body, strlen(body), EXPO_TEXT, t, &a.app, &ra);
    rcb = scrapeappend_body(cached, job, &target, body, strlen(body), EXPO_TEXT, t, &b.app, &rb);
    assert_int_equal(rca, rcb);
    if (rca < 0) {
        assert_string_equal(ra.err, rb.err);
        a.app.rollback(&a.app);
        b.app.rollback(&b.app);
        scrapeappend_stale(plain, t, &a.app);
        scrapeappend_stale(cached, t, &b.app);
    }
    if (strcmp(a.out.buf ? a.out.buf : "", b.out.buf ? b.out.buf : "") != 0)
        fail_msg("at %lld, body\n%s\nwithout cache\n%s\nwith cache\n%s", (long long)t, body,
                 a.out.buf, b.out.buf);
    assert_int_equal(ra.total, rb.total);
    assert_int_equal(ra.added, rb.added);
    assert_int_equal(ra.series_added, rb.series_added);
    assert_int_equal(ra.duplicates, rb.duplicates);
    strbuf_release(&a.out);
    strbuf_release(&b.out);
}

/*
 * The scrape cache (series text -> final series) changes nothing: series
 * that come and go, the same series written two ways, duplicates, relabeled
 * away, timestamps, failed bodies, the sample limit, a reload.
 */
static void scrape_cache_changes_nothing(void **state)
{
    static const char *const bodies[] = {
        "a 1\nb{x=\"1\"} 2\ndrop_me 3\nc{job=\"x\"} 4\n",
        "a 1\nb{x=\"1\"} 2\ndrop_me 3\nc{job=\"x\"} 4\n",
        "b{x=\"1\"} 5\na 6\nd 7\n",
        "b{ x=\"1\" } 5\nb{x=\"1\"} 8\na 6\na 9\nd 7\ndrop_me 1\ndrop_me 2\n",
        "b{x=\"1\"} 5\nb{ x=\"1\" } 8\na 6\n",
        "a 1 500\na 2\nb{x=\"1\"} 3\n",
        "b{x=\"1\"} 3\na 2\n",
        "b{x=\"1\"} 3\na 2\nbad{ 1\n",
        "b{x=\"1\"} 3\na 2\ne 1\nf 1\ng 1\n",
        "b{x=\"1\"} 3\na 2\n",
        "a 2\nb{x=\"1\"} 3\nb{x=\"1\",} 4\n",
    };
    struct promcfg c, c2;
    struct scrapeappend_state plain, cached;
    int64_t t = 1000;

    load_job(&c, "    sample_limit: 4\n    metric_relabel_configs:\n      - {source_labels: "
                 "[__name__], regex: drop_.*, action: drop}\n");
    scrapeappend_init(&plain);
    scrapeappend_init(&cached);
    for (int round = 0; round < 2; round++)
        for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++, t += 1000)
            scrape_both(&plain, &cached, &c.jobs[0], bodies[i], t);
    /* A reload that relabels differently: the cache must not keep the old answers. */
    load_job(&c2, "    honor_labels: true\n    metric_relabel_configs:\n      - {source_labels: "
                  "[__name__], regex: a, action: drop}\n");
    scrapeappend_invalidate(&cached);
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++, t += 1000)
        scrape_both(&plain, &cached, &c2.jobs[0], bodies[i], t);
    scrapeappend_release(&plain);
    scrapeappend_release(&cached);
    promcfg_release(&c);
    promcfg_release(&c2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(target_labels_and_exported),
        cmocka_unit_test(honor_labels_keeps_exposed),
        cmocka_unit_test(relabel_duplicates_timestamps),
        cmocka_unit_test(failed_body_and_report),
        cmocka_unit_test(scrape_cache_changes_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
