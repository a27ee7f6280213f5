/* Shared config/credentials files, profile name and region resolution. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aws/profile.h"
#include "aws/region.h"
#include "core/diag.h"

static char tmpdir[256];

static const char *const env_vars[] = {
    "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
    "AWS_REGION",      "AWS_DEFAULT_REGION",
};

static char *path_in(const char *name)
{
    static char buf[4][512];
    static int i;

    i = (i + 1) % 4;
    snprintf(buf[i], sizeof(buf[i]), "%s/%s", tmpdir, name);
    return buf[i];
}

static const char *write_file(const char *name, const char *text)
{
    const char *p = path_in(name);
    FILE *f = fopen(p, "wb");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return p;
}

static int setup(void **state)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/cairn-test-profile-XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    for (size_t i = 0; i < sizeof(env_vars) / sizeof(env_vars[0]); i++)
        unsetenv(env_vars[i]);
    setenv("AWS_CONFIG_FILE", "/nonexistent", 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent", 1);
    return 0;
}

static int teardown(void **state)
{
    char cmd[600];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Everything diag_print() would show, for substring checks. */
static char *render(const struct diag *d)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    diag_print(d, f, "cairn");
    fclose(f);
    return buf;
}

static void config_sections_and_syntax(void **state)
{
    const char *cfg = write_file("config", "# a comment\n"
                                           "; another comment\n"
                                           "[default]\n"
                                           "region = us-east-1\n"
                                           "output=json\n"
                                           "\n"
                                           "[profile dev]\n"
                                           "  region   =   eu-west-1  \n"
                                           "\t# indented comment\n"
                                           "aws_access_key_id = AKIDCONFIG\n"
                                           "s3 =\n"
                                           "  addressing_style = path\n"
                                           "  signature_version = s3v4\n"
                                           "after_nested = yes\n"
                                           "inline = json # not a comment for botocore\n"
                                           "\n"
                                           "[dev]\n"
                                           "region = not-a-profile-in-config\n"
                                           "[sso-session corp]\n"
                                           "sso_region = us-east-1\n"
                                           "[services local]\n"
                                           "s3 =\n"
                                           "  endpoint_url = http://localhost\n"
                                           "[profile \"quoted name\"]\n"
                                           "region = ap-south-1\n"
                                           "[ profile spaced ]\n"
                                           "region = ap-east-1\n"
                                           "[profile dup]\n"
                                           "region = us-west-1\n"
                                           "region = us-west-2\n"
                                           "[profile other]\n"
                                           "region = sa-east-1\n"
                                           "[profile dup]\n"
                                           "output = text\n"
                                           "Key_Upper = v\n"
                                           "colon: yes\n"
                                           "empty =\n"
                                           "multi = first\n"
                                           "  second\n"
                                           "[profilex]\n"
                                           "region = nope\n");
    struct profile_set set;
    struct profile_value pv;
    struct diag d;

    diag_init(&d);
    profile_set_init(&set);
    assert_int_equal(profile_set_load_files(&set, cfg, NULL, &d), 0);
    assert_false(diag_has_errors(&d));
    assert_true(set.files[PROFILE_CONFIG].found);

    assert_string_equal(profile_get(&set, "default", "region"), "us-east-1");
    assert_string_equal(profile_get(&set, "default", "output"), "json");
    assert_string_equal(profile_get(&set, "dev", "region"), "eu-west-1");
    assert_string_equal(profile_get(&set, "dev", "aws_access_key_id"), "AKIDCONFIG");
    /* The sub-section is skipped, key and all; what follows it is not. */
    assert_null(profile_get(&set, "dev", "s3"));
    assert_null(profile_get(&set, "dev", "addressing_style"));
    assert_string_equal(profile_get(&set, "dev", "after_nested"), "yes");
    assert_string_equal(profile_get(&set, "dev", "inline"), "json # not a comment for botocore");
    /* [dev] in the config file is not the profile dev, and sso-session/services are no profiles. */
    assert_false(profile_exists(&set, "corp", PROFILE_CONFIG));
    assert_false(profile_exists(&set, "local", PROFILE_CONFIG));
    assert_null(profile_get(&set, "sso-session corp", "sso_region"));
    assert_string_equal(profile_get(&set, "quoted name", "region"), "ap-south-1");
    assert_string_equal(profile_get(&set, "spaced", "region"), "ap-east-1");
    /* Later duplicates win, repeated sections merge. */
    assert_string_equal(profile_get(&set, "dup", "region"), "us-west-2");
    assert_string_equal(profile_get(&set, "dup", "output"), "text");
    assert_string_equal(profile_get(&set, "dup", "key_upper"), "v");
    assert_string_equal(profile_get(&set, "dup", "colon"), "yes");
    assert_string_equal(profile_get(&set, "dup", "empty"), "");
    assert_string_equal(profile_get(&set, "dup", "multi"), "first\nsecond");
    assert_int_equal(profile_lookup(&set, "dup", "region", &pv), 0);
    assert_int_equal(pv.line, 30);
    assert_int_equal(pv.kind, PROFILE_CONFIG);
    assert_string_equal(pv.path, cfg);
    assert_false(profile_exists(&set, "x", PROFILE_CONFIG));
    assert_false(profile_exists(&set, "profilex", PROFILE_CONFIG));
    assert_null(profile_get(&set, "nosuch", "region"));

    profile_set_release(&set);
    diag_release(&d);
}

static void credentials_file_wins_over_config(void **state)
{
    const char *cfg = write_file("config", "[profile dev]\n"
                                           "aws_access_key_id = AKIDFROMCONFIG\n"
                                           "region = eu-west-1\n"
                                           "output = json\n");
    const char *cred = write_file("credentials", "\xef\xbb\xbf[default]\r\n"
                                                 "aws_access_key_id = AKIDDEFAULT\r\n"
                                                 "[dev]\n"
                                                 "aws_access_key_id = AKIDFROMCREDS\n"
                                                 "region = ca-central-1\n"
                                                 "[profile dev]\n"
                                                 "aws_access_key_id = literal-section-name\n");
    struct profile_set set;
    struct profile_value pv;
    struct diag d;

    diag_init(&d);
    profile_set_init(&set);
    setenv("AWS_CONFIG_FILE", cfg, 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", cred, 1);
    assert_int_equal(profile_set_load(&set, &d), 0);
    /* BOM and CRLF are tolerated. */
    assert_string_equal(profile_get(&set, "default", "aws_access_key_id"), "AKIDDEFAULT");
    assert_int_equal(profile_lookup(&set, "dev", "aws_access_key_id", &pv), 0);
    assert_string_equal(pv.value, "AKIDFROMCREDS");
    assert_int_equal(pv.kind, PROFILE_CREDENTIALS);
    assert_string_equal(pv.path, cred);
    assert_int_equal(pv.line, 4);
    assert_string_equal(profile_get(&set, "dev", "region"), "ca-central-1");
    assert_string_equal(profile_get(&set, "dev", "output"), "json");
    /* In the credentials file the header is the name, "profile" prefix and all. */
    assert_string_equal(profile_get(&set, "profile dev", "aws_access_key_id"),
                        "literal-section-name");
    assert_true(profile_exists(&set, "dev", PROFILE_CONFIG));
    assert_true(profile_exists(&set, "dev", PROFILE_CREDENTIALS));
    assert_false(profile_exists(&set, "default", PROFILE_CONFIG));
    profile_set_release(&set);
    diag_release(&d);
}

static void malformed_lines_are_reported_with_file_and_line(void **state)
{
    const char *cfg = write_file("config", "orphan = 1\n"
                                           "[default]\n"
                                           "region = us-east-1\n"
                                           "AKIASECRETLOOKINGLINE\n"
                                           "[unclosed\n"
                                           "[]\n"
                                           "= value\n"
                                           "ok = 1\n");
    struct profile_set set;
    struct diag d;
    char *out, want[600];

    diag_init(&d);
    profile_set_init(&set);
    assert_int_equal(profile_set_load_files(&set, cfg, NULL, &d), -1);
    assert_int_equal(d.nerrors, 5);
    assert_string_equal(d.v[0].loc.file, cfg);
    assert_int_equal(d.v[0].loc.line, 1);
    assert_int_equal(d.v[1].loc.line, 4);
    assert_int_equal(d.v[2].loc.line, 5);
    assert_int_equal(d.v[3].loc.line, 6);
    assert_int_equal(d.v[4].loc.line, 7);
    out = render(&d);
    snprintf(want, sizeof(want),
             "%s:4: error: expected 'key = value', a [section] header or a comment", cfg);
    assert_non_null(strstr(out, want));
    snprintf(want, sizeof(want), "%s:1: error: 'key = value' line before any [section]", cfg);
    assert_non_null(strstr(out, want));
    assert_non_null(strstr(out, "closing ']'"));
    /* The offending line may be a secret: it is never echoed. */
    assert_null(strstr(out, "AKIASECRET"));
    free(out);
    profile_set_release(&set);
    diag_release(&d);
}

static void missing_unreadable_and_oversized_files(void **state)
{
    struct profile_set set;
    struct diag d;
    const char *big = path_in("big");
    FILE *f;

    diag_init(&d);
    profile_set_init(&set);
    /* Missing files are fine. */
    assert_int_equal(profile_set_load_files(&set, "/nonexistent/config", path_in("nope"), &d), 0);
    assert_false(set.files[PROFILE_CONFIG].found);
    assert_false(set.files[PROFILE_CREDENTIALS].found);
    assert_string_equal(set.files[PROFILE_CONFIG].path, "/nonexistent/config");
    profile_set_release(&set);

    /* A directory is not a config file. */
    profile_set_init(&set);
    assert_int_equal(profile_set_load_files(&set, tmpdir, NULL, &d), -1);
    assert_non_null(strstr(diag_last(&d), "is a directory"));
    profile_set_release(&set);

    /* Over the 1 MiB cap. */
    f = fopen(big, "wb");
    assert_non_null(f);
    fputs("[default]\n", f);
    for (int i = 0; i < 70000; i++)
        fputs("key_number_x = 1\n", f);
    fclose(f);
    diag_clear(&d);
    profile_set_init(&set);
    assert_int_equal(profile_set_load_files(&set, NULL, big, &d), -1);
    assert_non_null(strstr(diag_last(&d), "larger than 1024 KiB"));
    assert_non_null(strstr(diag_last(&d), "shared credentials file"));
    profile_set_release(&set);
    diag_release(&d);
}

static void home_expansion_and_default_paths(void **state)
{
    char *p, dir[600];
    struct profile_set set;
    struct diag d;

    setenv("HOME", tmpdir, 1);
    p = profile_expand_path("~/.aws/config");
    snprintf(dir, sizeof(dir), "%s/.aws/config", tmpdir);
    assert_string_equal(p, dir);
    free(p);
    p = profile_expand_path("~");
    assert_string_equal(p, tmpdir);
    free(p);
    p = profile_expand_path("~other/x");
    assert_string_equal(p, "~other/x");
    free(p);
    p = profile_expand_path("/abs/~/x");
    assert_string_equal(p, "/abs/~/x");
    free(p);

    /* With the variables unset, ~/.aws/config and ~/.aws/credentials are read. */
    snprintf(dir, sizeof(dir), "%s/.aws", tmpdir);
    assert_int_equal(mkdir(dir, 0700), 0);
    write_file(".aws/config", "[default]\nregion = eu-north-1\n");
    unsetenv("AWS_CONFIG_FILE");
    unsetenv("AWS_SHARED_CREDENTIALS_FILE");
    diag_init(&d);
    profile_set_init(&set);
    assert_int_equal(profile_set_load(&set, &d), 0);
    assert_true(set.files[PROFILE_CONFIG].found);
    assert_false(set.files[PROFILE_CREDENTIALS].found);
    assert_non_null(strstr(set.files[PROFILE_CREDENTIALS].path, "/.aws/credentials"));
    assert_string_equal(profile_get(&set, "default", "region"), "eu-north-1");
    profile_set_release(&set);
    diag_release(&d);
}

static void profile_name_precedence(void **state)
{
    const char *src;

    assert_string_equal(profile_name(NULL, &src), "default");
    assert_string_equal(src, "default");
    setenv("AWS_DEFAULT_PROFILE", "olddefault", 1);
    assert_string_equal(profile_name(NULL, &src), "olddefault");
    assert_string_equal(src, "AWS_DEFAULT_PROFILE");
    setenv("AWS_PROFILE", "envprof", 1);
    assert_string_equal(profile_name(NULL, &src), "envprof");
    assert_string_equal(src, "AWS_PROFILE");
    assert_string_equal(profile_name("cli", &src), "cli");
    assert_string_equal(src, "--profile");
    /* Empty means unset. */
    assert_string_equal(profile_name("", &src), "envprof");
    setenv("AWS_PROFILE", "", 1);
    assert_string_equal(profile_name(NULL, NULL), "olddefault");
}

static void region_precedence(void **state)
{
    const char *cfg = write_file("config", "[default]\n"
                                           "region = us-east-2\n"
                                           "[profile dev]\n"
                                           "output = json\n"
                                           "region = eu-west-3\n");
    char *name = NULL, *source = NULL, want[600];
    struct diag d;

    diag_init(&d);
    setenv("AWS_CONFIG_FILE", cfg, 1);
    setenv("AWS_PROFILE", "dev", 1);
    assert_int_equal(region_resolve(NULL, NULL, &name, &source, &d), 0);
    assert_string_equal(name, "eu-west-3");
    snprintf(want, sizeof(want), "profile 'dev' in %s", cfg);
    assert_string_equal(source, want);
    free(name);
    free(source);

    assert_int_equal(region_resolve(NULL, "default", &name, &source, &d), 0);
    assert_string_equal(name, "us-east-2");
    free(name);
    free(source);

    setenv("AWS_DEFAULT_REGION", "ap-northeast-1", 1);
    assert_int_equal(region_resolve(NULL, NULL, &name, &source, &d), 0);
    assert_string_equal(name, "ap-northeast-1");
    assert_string_equal(source, "AWS_DEFAULT_REGION");
    free(name);
    free(source);

    setenv("AWS_REGION", "eu-central-1", 1);
    assert_int_equal(region_resolve(NULL, NULL, &name, &source, &d), 0);
    assert_string_equal(name, "eu-central-1");
    assert_string_equal(source, "AWS_REGION");
    free(name);
    free(source);

    assert_int_equal(region_resolve("us-gov-west-1", NULL, &name, &source, &d), 0);
    assert_string_equal(name, "us-gov-west-1");
    assert_string_equal(source, "--region");
    free(name);
    free(source);

    /* An empty variable is unset. */
    setenv("AWS_REGION", "", 1);
    assert_int_equal(region_resolve(NULL, NULL, &name, &source, &d), 0);
    assert_string_equal(source, "AWS_DEFAULT_REGION");
    free(name);
    free(source);
    assert_false(diag_has_errors(&d));
    diag_release(&d);
}

static void region_validation(void **state)
{
    const char *cfg = write_file("config", "[default]\nregion = EU West 1\n");
    char *name = NULL, *source = NULL;
    struct diag d;

    assert_true(region_valid("us-east-1"));
    assert_true(region_valid("cn-northwest-1"));
    assert_false(region_valid(""));
    assert_false(region_valid("US-EAST-1"));
    assert_false(region_valid("us_east_1"));
    assert_false(region_valid("us-east-1."));
    assert_false(region_valid("-us"));
    assert_false(region_valid("a.b/c"));
    assert_true(region_valid("us-gov-west-1"));
    assert_true(region_valid("eusc-de-east-1"));
    assert_false(region_valid("us-east1"));   /* a dash is missing */
    assert_false(region_valid("eu-west-1a")); /* a zone, not a region */
    assert_false(region_valid("local"));

    diag_init(&d);
    setenv("AWS_REGION", "Europe", 1);
    assert_int_equal(region_resolve(NULL, NULL, &name, &source, &d), -1);
    assert_null(name);
    assert_null(source);
    assert_string_equal(diag_last(&d), "invalid region 'Europe' from AWS_REGION: expected a "
                                       "region name such as us-east-1");
    unsetenv("AWS_REGION");
    diag_clear(&d);
    setenv("AWS_CONFIG_FILE", cfg, 1);
    assert_int_equal(region_resolve(NULL, NULL, &name, &source, &d), -1);
    assert_string_equal(d.v[0].loc.file, cfg);
    assert_int_equal(d.v[0].loc.line, 2);
    assert_non_null(strstr(diag_last(&d), "invalid region 'EU West 1' from profile 'default'"));
    diag_release(&d);
}

static void no_region_names_every_place(void **state)
{
    const char *cfg = write_file("config", "[profile dev]\noutput = json\n");
    char *name = NULL, *source = NULL, want[1024];
    struct diag d;

    diag_init(&d);
    assert_int_equal(region_resolve(NULL, NULL, &name, &source, &d), -1);
    assert_int_equal(d.nerrors, 1);
    assert_string_equal(diag_last(&d),
                        "no AWS region configured; looked at: --region (not given); AWS_REGION "
                        "(not set); AWS_DEFAULT_REGION (not set); profile 'default' in "
                        "/nonexistent (file not found). Set AWS_REGION or pass --region");

    diag_clear(&d);
    setenv("AWS_CONFIG_FILE", cfg, 1);
    assert_int_equal(region_resolve(NULL, "ci", &name, &source, &d), -1);
    snprintf(want, sizeof(want), "profile 'ci' in %s (profile not found)", cfg);
    assert_non_null(strstr(diag_last(&d), want));

    diag_clear(&d);
    assert_int_equal(region_resolve(NULL, "dev", &name, &source, &d), -1);
    snprintf(want, sizeof(want), "profile 'dev' in %s (no 'region' setting)", cfg);
    assert_non_null(strstr(diag_last(&d), want));

    /* A malformed file is its own error, not "no region". */
    diag_clear(&d);
    write_file("config", "[default\n");
    assert_int_equal(region_resolve(NULL, NULL, &name, &source, &d), -1);
    assert_null(strstr(diag_last(&d), "no AWS region"));
    assert_int_equal(d.v[0].loc.line, 1);
    assert_null(name);
    diag_release(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(config_sections_and_syntax, setup, teardown),
        cmocka_unit_test_setup_teardown(credentials_file_wins_over_config, setup, teardown),
        cmocka_unit_test_setup_teardown(malformed_lines_are_reported_with_file_and_line, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(missing_unreadable_and_oversized_files, setup, teardown),
        cmocka_unit_test_setup_teardown(home_expansion_and_default_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(profile_name_precedence, setup, teardown),
        cmocka_unit_test_setup_teardown(region_precedence, setup, teardown),
        cmocka_unit_test_setup_teardown(region_validation, setup, teardown),
        cmocka_unit_test_setup_teardown(no_region_names_every_place, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
