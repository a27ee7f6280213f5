/* healthcheck: where a daemon's health check looks for it, from the address it listens on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/healthcheck.h"
#include "core/http.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void url_from_listen_address_and_prefix(void **state)
{
    static const struct {
        const char *listen, *prefix, *path, *want;
    } cases[] = {
        {"0.0.0.0:9090", NULL, "/-/healthy", "http://127.0.0.1:9090/-/healthy"},
        {":9090", "", "/-/healthy", "http://127.0.0.1:9090/-/healthy"},
        {"127.0.0.7:19090", "/prometheus/", "/-/healthy",
         "http://127.0.0.7:19090/prometheus/-/healthy"},
        {"localhost:9090", "/", "/-/healthy", "http://localhost:9090/-/healthy"},
        {"0.0.0.0:9090", "prometheus", "/-/healthy", "http://127.0.0.1:9090/prometheus/-/healthy"},
        {"[::]:3000", NULL, "/api/health", "http://[::1]:3000/api/health"},
        {"[::1]:3000", "/grafana", "/api/health", "http://[::1]:3000/grafana/api/health"},
        {"*:3000", NULL, "/api/health", "http://127.0.0.1:3000/api/health"},
    };
    char buf[256];
    struct diag d;

    (void)state;
    for (size_t i = 0; i < N(cases); i++) {
        diag_init(&d);
        if (healthcheck_url(buf, sizeof buf, cases[i].listen, cases[i].prefix, cases[i].path, &d) !=
            0)
            fail_msg("%s: %s", cases[i].listen, diag_last(&d));
        assert_string_equal(buf, cases[i].want);
        diag_release(&d);
    }
}

static void bad_listen_addresses_say_what(void **state)
{
    static const char *const bad[] = {"0.0.0.0", "0.0.0.0:", "host:http", NULL};
    char buf[256];
    struct diag d;

    (void)state;
    for (size_t i = 0; i < N(bad); i++) {
        diag_init(&d);
        assert_int_equal(healthcheck_url(buf, sizeof buf, bad[i], NULL, "/-/healthy", &d), -1);
        assert_non_null(strstr(diag_last(&d), "want host:port"));
        diag_release(&d);
    }
    diag_init(&d);
    assert_int_equal(healthcheck_url(buf, 20, "127.0.0.1:9090", NULL, "/-/healthy", &d), -1);
    assert_non_null(strstr(diag_last(&d), "too long"));
    diag_release(&d);
}

static void probe_of_a_closed_port_fails(void **state)
{
    struct diag d;

    (void)state;
    diag_init(&d);
    /* Port 1 on loopback: nothing listens there unless root put it there. */
    assert_int_equal(healthcheck_probe("http://127.0.0.1:1/-/healthy", 2000, &d), -1);
    assert_non_null(strstr(diag_last(&d), "127.0.0.1:1"));
    diag_release(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(url_from_listen_address_and_prefix),
        cmocka_unit_test(bad_listen_addresses_say_what),
        cmocka_unit_test(probe_of_a_closed_port_fails),
    };
    int rc;

    http_global_init();
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    http_global_cleanup();
    return rc;
}
