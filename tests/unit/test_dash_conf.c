/*
 * cairn-dash configuration as Grafana reads it: durations, the ini format with
 * located errors and environment expansion, GF_<SECTION>_<KEY> variables, the
 * sub-path taken from root_url.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>

#include "dash/dash.h"

static void durations(void **state)
{
    (void)state;
    assert_int_equal(dash_conf_duration("7d"), 7 * 86400);
    assert_int_equal(dash_conf_duration("30m"), 1800);
    assert_int_equal(dash_conf_duration("1h30m"), 5400);
    assert_int_equal(dash_conf_duration("300"), 300);
    assert_int_equal(dash_conf_duration("1500ms"), 2);
    assert_int_equal(dash_conf_duration("2w"), 14 * 86400);
    assert_int_equal(dash_conf_duration("soon"), -1);
    assert_int_equal(dash_conf_duration("5x"), -1);
    assert_int_equal(dash_conf_duration(""), -1);
}

static void ini_file(void **state)
{
    struct dash_conf c;
    struct diag d;
    char path[] = "/tmp/test_dash_conf_XXXXXX";
    int fd = mkstemp(path);
    const char *text = "; Grafana ini\n"
                       "[server]\n"
                       "http_port = 3300\n"
                       "root_url = \"https://example.test/grafana/\"\n"
                       "serve_from_sub_path = true\n"
                       "unknown_key = ignored\n"
                       "[security]\n"
                       "admin_password = ${TEST_DASH_PW}\n"
                       "[auth]\n"
                       "login_maximum_inactive_lifetime_duration = 10m\n"
                       "[auth.anonymous]\n"
                       "enabled = yes\n";
    (void)state;
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    setenv("TEST_DASH_PW", "from-env", 1);
    dash_conf_defaults(&c);
    diag_init(&d);
    assert_int_equal(dash_conf_load_ini(&c, path, &d), 0);
    assert_int_equal(dash_conf_finish(&c, &d), 0);
    assert_int_equal(c.http_port, 3300);
    assert_string_equal(c.admin_password, "from-env");
    assert_int_equal(c.session_inactive_s, 600);
    assert_true(c.anonymous_enabled);
    assert_string_equal(c.sub_path, "/grafana");
    dash_conf_release(&c);
    diag_release(&d);

    fd = open(path, O_WRONLY | O_TRUNC);
    text = "[server]\nhttp_port = 99999\nno equals sign\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    dash_conf_defaults(&c);
    diag_init(&d);
    assert_int_equal(dash_conf_load_ini(&c, path, &d), -1);
    assert_int_equal(d.nerrors, 2);
    assert_int_equal(d.v[0].loc.line, 2);
    assert_int_equal(d.v[0].loc.col, 13);
    assert_int_equal(d.v[1].loc.line, 3);
    assert_string_equal(d.v[1].msg, "expected key = value");
    dash_conf_release(&c);
    diag_release(&d);
    unlink(path);
}

static void environment(void **state)
{
    struct dash_conf c;
    struct diag d;
    char *env[] = {"GF_SECURITY_ADMIN_USER=root",
                   "GF_AUTH_ANONYMOUS_ORG_ROLE=Editor",
                   "GF_SERVER_HTTP_PORT=4000",
                   "GF_UNKNOWN_THING=1",
                   "CAIRN_DASH_DATASOURCES=apiVersion: 1",
                   "PATH=/bin",
                   NULL};
    (void)state;
    dash_conf_defaults(&c);
    diag_init(&d);
    assert_int_equal(dash_conf_load_env(&c, env, &d), 0);
    assert_string_equal(c.admin_user, "root");
    assert_string_equal(c.anonymous_role, "Editor");
    assert_int_equal(c.http_port, 4000);
    assert_string_equal(c.datasources_yaml, "apiVersion: 1");
    assert_int_equal(dash_conf_finish(&c, &d), 0);
    assert_string_equal(c.sub_path, ""); /* serve_from_sub_path is off by default */
    dash_conf_release(&c);
    diag_release(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(durations),
        cmocka_unit_test(ini_file),
        cmocka_unit_test(environment),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
