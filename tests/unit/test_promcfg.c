/*
 * promcfg: Prometheus configuration files, their defaults, and located
 * errors (file:line:col and Prometheus's wording).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "scrape/duration.h"
#include "scrape/promcfg.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void durations(void **state)
{
    static const struct {
        const char *s;
        int64_t ms;
        const char *back;
    } ok[] = {{"0", 0, "0s"},           {"15s", 15000, "15s"},     {"1h30m", 5400000, "1h30m"},
              {"90s", 90000, "1m30s"},  {"500ms", 500, "500ms"},   {"1d", 86400000, "1d"},
              {"2w", 1209600000, "2w"}, {"1y", 31536000000, "1y"}, {"1m0s", 60000, "1m"}};
    static const char *const bad[] = {"", "15", "1.5s", "s", "1s1h", "1h1h", "-1s", "1 s", "1S"};
    char buf[32];

    for (size_t i = 0; i < N(ok); i++) {
        int64_t ms = -1;
        assert_int_equal(duration_parse(ok[i].s, &ms), 0);
        assert_int_equal(ms, ok[i].ms);
        duration_format(ms, buf, sizeof(buf));
        assert_string_equal(buf, ok[i].back);
    }
    for (size_t i = 0; i < N(bad); i++) {
        int64_t ms;
        if (duration_parse(bad[i], &ms) == 0)
            fail_msg("'%s' parsed", bad[i]);
    }
    duration_format_seconds(10000, buf, sizeof(buf));
    assert_string_equal(buf, "10");
    duration_format_seconds(500, buf, sizeof(buf));
    assert_string_equal(buf, "0.5");
}

static int load(struct promcfg *c, struct diag *d, const char *text)
{
    promcfg_init(c);
    diag_init(d);
    return promcfg_load_buf(c, "p.yml", text, strlen(text), d);
}

/* The seed stack's template, rendered as cairn renders it. */
static void seed_template_loads(void **state)
{
    static const char text[] = "global:\n"
                               "  scrape_interval: 15s\n"
                               "  evaluation_interval: 15s\n"
                               "scrape_configs:\n"
                               "  - job_name: backend\n"
                               "    metrics_path: /api/metrics\n"
                               "    dns_sd_configs:\n"
                               "      - names:\n"
                               "          - demo-backend.demo.local\n"
                               "        type: A\n"
                               "        port: 3001\n"
                               "  - job_name: prometheus\n"
                               "    metrics_path: /metrics\n"
                               "    static_configs:\n"
                               "      - targets:\n"
                               "          - localhost:9090\n";
    struct promcfg c;
    struct diag d;

    assert_int_equal(load(&c, &d, text), 0);
    assert_int_equal(c.njobs, 2);
    assert_int_equal(c.scrape_interval_ms, 15000);
    assert_int_equal(c.scrape_timeout_ms, 10000);
    assert_string_equal(c.jobs[0].job_name, "backend");
    assert_int_equal(c.jobs[0].interval_ms, 15000);
    assert_int_equal(c.jobs[0].timeout_ms, 10000);
    assert_string_equal(c.jobs[0].scheme, "http");
    assert_int_equal(c.jobs[0].dns[0].qtype, PROMCFG_DNS_A);
    assert_int_equal(c.jobs[0].dns[0].port, 3001);
    assert_int_equal(c.jobs[0].dns[0].refresh_ms, 30000);
    assert_int_equal(c.jobs[0].honor_timestamps, 1);
    assert_string_equal(c.jobs[1].statics[0].targets[0], "localhost:9090");
    promcfg_release(&c);
    diag_release(&d);
}

static void defaults_and_full_config(void **state)
{
    static const char text[] =
        "global:\n"
        "  scrape_interval: 5s\n"
        "  external_labels: {region: eu, replica: a}\n"
        "scrape_configs:\n"
        "  - job_name: j\n"
        "    scheme: https\n"
        "    params: {module: [http_2xx, x]}\n"
        "    honor_labels: true\n"
        "    body_size_limit: 10MB\n"
        "    static_configs: [{targets: ['a:1', 'b:2'], labels: {env: prod}}]\n"
        "    file_sd_configs: [{files: [sd/*.json]}]\n"
        "    relabel_configs:\n"
        "      - {source_labels: [__address__], target_label: host, regex: '(.*):.*'}\n"
        "    metric_relabel_configs:\n"
        "      - {action: labeldrop, regex: tmp_.*}\n"
        "remote_write:\n"
        "  - url: http://127.0.0.1:9090/api/v1/write\n"
        "    basic_auth: {username: u, password: p}\n"
        "    headers: {X-Scope-OrgID: t1}\n"
        "    queue_config: {capacity: 100, max_samples_per_send: 10, batch_send_deadline: 1s,\n"
        "                   min_backoff: 10ms, max_backoff: 1s}\n";
    struct promcfg c;
    struct diag d;

    assert_int_equal(load(&c, &d, text), 0);
    assert_int_equal(c.scrape_timeout_ms, 5000); /* the 10s default is capped by the interval */
    assert_int_equal(c.jobs[0].timeout_ms, 5000);
    assert_int_equal(c.external_labels.n, 2);
    assert_string_equal(c.external_labels.v[0].name, "region");
    assert_string_equal(c.jobs[0].params[0].value, "http_2xx");
    assert_int_equal(c.jobs[0].body_size_limit, 10u << 20);
    assert_string_equal(c.jobs[0].files[0].files[0], "./sd/*.json");
    assert_int_equal(c.jobs[0].files[0].refresh_ms, 300000);
    assert_int_equal(c.jobs[0].relabel[0].act, RELABEL_REPLACE);
    assert_int_equal(c.jobs[0].metric_relabel[0].act, RELABEL_LABELDROP);
    assert_int_equal(c.rws[0].capacity, 100);
    assert_int_equal(c.rws[0].max_samples_per_send, 10);
    assert_int_equal(c.rws[0].max_backoff_ms, 1000);
    assert_string_equal(c.rws[0].headers[0].name, "X-Scope-OrgID");
    assert_string_equal(c.rws[0].username, "u");
    promcfg_release(&c);
    diag_release(&d);
}

/* Each bad file and the first error it must give, located. */
static void located_errors(void **state)
{
    static const struct {
        const char *text, *want;
    } t[] = {
        {"global:\n  scrape_intervall: 1s\n",
         "p.yml:2:3: unknown key 'scrape_intervall' in global; did you mean 'scrape_interval'?"},
        {"scrape_configs:\n  - job_name: a\n    metric_path: /x\n",
         "p.yml:3:5: unknown key 'metric_path' in a scrape config; did you mean 'metrics_path'?"},
        {"global:\n  scrape_interval: 1m30\n", "p.yml:2:20: not a valid duration string: \"1m30\""},
        {"global:\n  scrape_interval: 10s\n  scrape_timeout: 20s\n",
         "p.yml:3:19: global scrape timeout greater than scrape interval"},
        {"scrape_configs:\n  - job_name: a\n    scrape_interval: 5s\n    scrape_timeout: 6s\n",
         "p.yml:4:21: scrape timeout greater than scrape interval for scrape config with job name "
         "\"a\""},
        {"scrape_configs:\n  - job_name: a\n  - job_name: a\n",
         "p.yml:3:15: found multiple scrape configs with job name \"a\""},
        {"scrape_configs:\n  - metrics_path: /x\n", "p.yml:2:5: job_name is empty"},
        {"scrape_configs:\n  - job_name: a\n    static_configs: [{targets: ['http://x:1/m']}]\n",
         "p.yml:3:33: \"http://x:1/m\" is not a valid hostname"},
        {"scrape_configs:\n  - job_name: a\n    dns_sd_configs: [{names: [x], type: A}]\n",
         "p.yml:3:22: a port is required in DNS-SD configs for all record types except SRV"},
        {"scrape_configs:\n  - job_name: a\n    dns_sd_configs: [{names: [x], type: TXT}]\n",
         "p.yml:3:41: invalid DNS-SD records type TXT"},
        {"scrape_configs:\n  - job_name: a\n    file_sd_configs: [{files: [x.txt]}]\n",
         "p.yml:3:32: path name \"x.txt\" is not valid for file discovery"},
        {"scrape_configs:\n  - job_name: a\n    relabel_configs:\n      - action: hashmod\n",
         "p.yml:4:9: relabel configuration for hashmod requires non-zero modulus"},
        {"scrape_configs:\n  - job_name: a\n    relabel_configs:\n      - action: replace\n",
         "p.yml:4:9: relabel configuration for replace action requires 'target_label' value"},
        {"scrape_configs:\n  - job_name: a\n    tls_config: {}\n",
         "p.yml:3:5: 'tls_config' in a scrape config is not supported by cairn-scrape (see "
         "docs/scrape.md)"},
        {"remote_write:\n  - name: x\n", "p.yml:2:5: url for remote_write is empty"},
        {"remote_write:\n  - url: http://x/\n    headers: {User-Agent: me}\n",
         "p.yml:3:15: User-Agent is a reserved header. It must not be changed"},
        {"global:\n  external_labels: {0bad: x}\n",
         "p.yml:2:21: \"0bad\" is not a valid label name"},
        {"scrape_configs:\n  - job_name: a\n    honor_labels: maybe\n",
         "p.yml:3:19: honor_labels must be true or false, not 'maybe'"},
        {"scrape_config:\n  - job_name: a\n",
         "p.yml:1:1: unknown key 'scrape_config' in the top level; did you mean 'scrape_configs'?"},
    };
    for (size_t i = 0; i < N(t); i++) {
        struct promcfg c;
        struct diag d;
        char got[512];
        int rc = load(&c, &d, t[i].text);
        if (rc == 0 || d.n == 0)
            fail_msg("case %zu loaded", i);
        snprintf(got, sizeof(got), "%s:%u:%u: %s", d.v[0].loc.file ? d.v[0].loc.file : "-",
                 d.v[0].loc.line, d.v[0].loc.col, d.v[0].msg);
        if (strcmp(got, t[i].want) != 0)
            fail_msg("case %zu:\n got  %s\n want %s", i, got, t[i].want);
        promcfg_release(&c);
        diag_release(&d);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(durations),
        cmocka_unit_test(seed_template_loads),
        cmocka_unit_test(defaults_and_full_config),
        cmocka_unit_test(located_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
