/*
 * SigV4 against AWS's signing test suite (aws-c-auth's v4 vectors). Every
 * folder holding a request.txt is one case and one cmocka test: the header
 * form must reproduce header-{canonical-request,string-to-sign,signature,
 * signed-request}.txt byte for byte, and the presigned form query-*.txt. Each
 * step is also checked on its own, fed the expected output of the step before,
 * so a failure names the first wrong step rather than everything after it.
 *
 * The suite directory: argv[1], else $CAIRN_SIGV4_SUITE, else
 * $CAIRN_TEST_DATA/aws-sigv4-suite (tests/data in the repository). Fewer
 * cases than the suite has (SUITE_CASES) is a failure: a lost folder must not
 * pass as a smaller suite.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "aws/sigv4.h"
#include "core/diag.h"
#include "core/strbuf.h"
#include "core/xmalloc.h"

#define MAX_FILE (1024 * 1024)

struct raw_request {
    struct strbuf text; /* the whole file; body points into it */
    char *method, *target, *version, *path, *query;
    struct http_header *h; /* names and values owned */
    size_t nh, ah;
    struct strbuf header_lines; /* as written, each ending in '\n' */
    const char *body;
    size_t body_len;
};

struct suite_context {
    struct creds creds;
    char *region, *service;
    time_t when;
    long expires;
    struct sigv4_options opts;
};

/* ---- reading a case ---- */

static char *path_of(const char *dir, const char *name)
{
    struct strbuf sb = STRBUF_INIT;

    strbuf_addf(&sb, "%s/%s", dir, name);
    return strbuf_detach(&sb, NULL);
}

static int read_file(const char *dir, const char *name, struct strbuf *out)
{
    char *path = path_of(dir, name);
    int ret;

    strbuf_init(out, MAX_FILE);
    ret = strbuf_read_file(out, path);
    free(path);
    return ret;
}

static int file_exists(const char *dir, const char *name)
{
    char *path = path_of(dir, name);
    struct stat st;
    int ret = stat(path, &st) == 0;

    free(path);
    return ret;
}

static void raw_request_release(struct raw_request *r)
{
    for (size_t i = 0; i < r->nh; i++) {
        free((char *)r->h[i].name);
        free((char *)r->h[i].value);
    }
    free(r->h);
    free(r->method);
    free(r->target);
    free(r->version);
    free(r->path);
    free(r->query);
    strbuf_release(&r->text);
    strbuf_release(&r->header_lines);
    memset(r, 0, sizeof(*r));
}

/* Raw HTTP: request line, headers (a line starting with blanks continues the
 * previous value), blank line, body. The target may hold spaces, so the
 * version is whatever follows the last space. */
static int parse_request(const char *dir, struct raw_request *r)
{
    const char *p, *end, *eol, *sp1, *sp2;

    memset(r, 0, sizeof(*r));
    strbuf_init(&r->header_lines, STRBUF_NOCAP);
    if (read_file(dir, "request.txt", &r->text) < 0) {
        print_error("%s/request.txt: %s\n", dir, strerror(errno));
        return -1;
    }
    p = r->text.buf;
    end = p + r->text.len;
    eol = memchr(p, '\n', (size_t)(end - p));
    if (!eol)
        eol = end;
    sp1 = memchr(p, ' ', (size_t)(eol - p));
    for (sp2 = eol; sp2 > p && sp2[-1] != ' '; sp2--)
        ;
    if (!sp1 || sp2 - 1 <= sp1) {
        print_error("%s/request.txt: bad request line\n", dir);
        return -1;
    }
    r->method = xstrndup(p, (size_t)(sp1 - p));
    r->target = xstrndup(sp1 + 1, (size_t)(sp2 - 1 - (sp1 + 1)));
    r->version = xstrndup(sp2, (size_t)(eol - sp2));
    {
        char *q = strchr(r->target, '?');
        r->path = q ? xstrndup(r->target, (size_t)(q - r->target)) : xstrdup(r->target);
        r->query = q ? xstrdup(q + 1) : NULL;
    }
    p = eol < end ? eol + 1 : end;
    while (p < end) {
        size_t n;
        eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        n = (size_t)(eol - p);
        if (n == 0) {
            p = eol + 1;
            break;
        }
        strbuf_add(&r->header_lines, p, n);
        strbuf_addc(&r->header_lines, '\n');
        if ((*p == ' ' || *p == '\t') && r->nh) {
            char *v = (char *)r->h[r->nh - 1].value;
            size_t vl = strlen(v);
            v = xrealloc(v, vl + 1 + n + 1);
            v[vl] = '\n';
            memcpy(v + vl + 1, p, n);
            v[vl + 1 + n] = '\0';
            r->h[r->nh - 1].value = v;
        } else {
            const char *colon = memchr(p, ':', n);
            if (!colon) {
                print_error("%s/request.txt: header line without ':'\n", dir);
                return -1;
            }
            XGROW(r->h, r->ah, r->nh + 1);
            r->h[r->nh].name = xstrndup(p, (size_t)(colon - p));
            r->h[r->nh].value = xstrndup(colon + 1, (size_t)(eol - colon - 1));
            r->nh++;
        }
        p = eol < end ? eol + 1 : end;
    }
    r->body = p < end ? p : "";
    r->body_len = p < end ? (size_t)(end - p) : 0;
    return 0;
}

static char *json_str(json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? xstrdup(s) : NULL;
}

static void suite_context_release(struct suite_context *c)
{
    free(c->creds.access_key_id);
    free(c->creds.secret_access_key);
    free(c->creds.session_token);
    free(c->region);
    free(c->service);
    memset(c, 0, sizeof(*c));
}

static int parse_context(const char *dir, struct suite_context *c)
{
    char *path = path_of(dir, "context.json");
    json_error_t err;
    json_t *root, *cr;
    struct tm tm = {0};
    const char *ts;
    int ret = -1;

    memset(c, 0, sizeof(*c));
    root = json_load_file(path, 0, &err);
    if (!root) {
        print_error("%s:%d: %s\n", path, err.line, err.text);
        goto out;
    }
    cr = json_object_get(root, "credentials");
    c->creds.access_key_id = json_str(cr, "access_key_id");
    c->creds.secret_access_key = json_str(cr, "secret_access_key");
    c->creds.session_token = json_str(cr, "token");
    c->region = json_str(root, "region");
    c->service = json_str(root, "service");
    c->expires = (long)json_integer_value(json_object_get(root, "expiration_in_seconds"));
    ts = json_string_value(json_object_get(root, "timestamp"));
    if (!c->creds.access_key_id || !c->creds.secret_access_key || !c->region || !c->service ||
        !ts ||
        sscanf(ts, "%4d-%2d-%2dT%2d:%2d:%2dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec) != 6) {
        print_error("%s: missing credentials, region, service or timestamp\n", path);
        goto out;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    c->when = timegm(&tm);
    /* The suite re-encodes the path in every case; "normalize" only removes dot segments. */
    c->opts.normalize_path = json_is_true(json_object_get(root, "normalize"));
    c->opts.encode_path = 1;
    c->opts.add_content_sha256 = json_is_true(json_object_get(root, "sign_body"));
    c->opts.unsigned_token = json_is_true(json_object_get(root, "omit_session_token"));
    ret = 0;
out:
    json_decref(root);
    free(path);
    return ret;
}

/* ---- comparing ---- */

static void print_line(const char *label, const char *s, size_t n)
{
    struct strbuf e = STRBUF_INIT;

    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c >= 0x7f || c == '\\')
            strbuf_addf(&e, "\\x%02x", c);
        else
            strbuf_addc(&e, (char)c);
    }
    print_error("    %s %s\n", label, e.buf);
    strbuf_release(&e);
}

/* 0 when identical; else prints the first differing line and returns 1. */
static int same(const char *dir, const char *file, const char *got, size_t glen)
{
    struct strbuf want;
    const char *w, *g;
    size_t off = 0, line = 1, bol = 0, wl, gl;

    if (read_file(dir, file, &want) < 0) {
        print_error("%s/%s: %s\n", dir, file, strerror(errno));
        strbuf_release(&want);
        return 1;
    }
    if (want.len == glen && memcmp(want.buf, got, glen) == 0) {
        strbuf_release(&want);
        return 0;
    }
    while (off < want.len && off < glen && want.buf[off] == got[off]) {
        if (got[off] == '\n') {
            line++;
            bol = off + 1;
        }
        off++;
    }
    w = want.buf + bol;
    g = got + bol;
    wl = strcspn(w, "\n");
    gl = strcspn(g, "\n");
    print_error("%s/%s: differs at line %zu, byte %zu (want %zu bytes, got %zu)\n", dir, file, line,
                off, want.len, glen);
    print_line("want:", w, wl);
    print_line("got: ", g, gl);
    strbuf_release(&want);
    return 1;
}

/* The line before the payload hash in a canonical request: the signed headers. */
static char *signed_headers_of(const struct strbuf *canonical)
{
    const char *last = strrchr(canonical->buf, '\n');
    const char *prev = last;

    if (!last)
        return xstrdup("");
    while (prev > canonical->buf && prev[-1] != '\n')
        prev--;
    return xstrndup(prev, (size_t)(last - prev));
}

/* The steps on their own, each fed the expected result of the one before. */
static int check_steps(const char *dir, const char *form, const struct suite_context *c,
                       const char *amz_date)
{
    struct strbuf cr, sts, got = STRBUF_INIT;
    char file[64], sig[SIGV4_HEX_LEN + 1];
    int failures = 0;

    snprintf(file, sizeof(file), "%s-canonical-request.txt", form);
    if (read_file(dir, file, &cr) < 0) {
        print_error("%s/%s: %s\n", dir, file, strerror(errno));
        failures++;
    }
    snprintf(file, sizeof(file), "%s-string-to-sign.txt", form);
    if (read_file(dir, file, &sts) < 0) {
        print_error("%s/%s: %s\n", dir, file, strerror(errno));
        failures++;
    }
    if (failures)
        goto out;
    sigv4_string_to_sign(amz_date, c->region, c->service, cr.buf, cr.len, &got);
    failures += same(dir, file, got.buf, got.len);
    sigv4_signature(c->creds.secret_access_key, amz_date, c->region, c->service, sts.buf, sts.len,
                    sig);
    snprintf(file, sizeof(file), "%s-signature.txt", form);
    failures += same(dir, file, sig, strlen(sig));
out:
    strbuf_release(&cr);
    strbuf_release(&sts);
    strbuf_release(&got);
    return failures;
}

static int check_header_form(const char *dir, const struct suite_context *c,
                             const struct raw_request *r)
{
    struct sigv4_request req = {r->method, r->path, r->query,    r->h,
                                r->nh,     r->body, r->body_len, NULL};
    struct sigv4_context ctx = {&c->creds, c->region, c->service, c->when, c->opts};
    struct sigv4_signed s;
    struct strbuf out = STRBUF_INIT, auth = STRBUF_INIT;
    struct diag d;
    char *signed_list = NULL;
    int failures = 0;

    diag_init(&d);
    sigv4_signed_init(&s);
    if (sigv4_sign(&req, &ctx, &s, &d) < 0) {
        print_error("%s: sigv4_sign failed: %s\n", dir, diag_last(&d));
        failures++;
        goto out;
    }
    failures +=
        same(dir, "header-canonical-request.txt", s.canonical_request.buf, s.canonical_request.len);
    failures += same(dir, "header-string-to-sign.txt", s.string_to_sign.buf, s.string_to_sign.len);
    failures += same(dir, "header-signature.txt", s.signature, strlen(s.signature));
    strbuf_addf(&out, "%s %s %s\n", r->method, r->target, r->version);
    strbuf_add(&out, r->header_lines.buf, r->header_lines.len);
    for (size_t i = 0; i < s.nheaders; i++)
        strbuf_addf(&out, "%s:%s\n", s.headers[i].name, s.headers[i].value);
    strbuf_addc(&out, '\n');
    strbuf_add(&out, r->body, r->body_len);
    failures += same(dir, "header-signed-request.txt", out.buf, out.len);

    failures += check_steps(dir, "header", c, s.amz_date);
    /* Authorization from the parts alone matches what sigv4_sign() put in. */
    signed_list = signed_headers_of(&s.canonical_request);
    sigv4_authorization(c->creds.access_key_id, s.amz_date, c->region, c->service, signed_list,
                        s.signature, &auth);
    if (strcmp(auth.buf, s.authorization.buf) != 0) {
        print_error("%s: sigv4_authorization() and sigv4_sign() disagree\n", dir);
        failures++;
    }
out:
    free(signed_list);
    strbuf_release(&out);
    strbuf_release(&auth);
    sigv4_signed_release(&s);
    diag_release(&d);
    return failures;
}

static int check_query_form(const char *dir, const struct suite_context *c,
                            const struct raw_request *r)
{
    struct sigv4_request req = {r->method, r->path, r->query,    r->h,
                                r->nh,     r->body, r->body_len, NULL};
    struct sigv4_context ctx = {&c->creds, c->region, c->service, c->when, c->opts};
    struct sigv4_signed s;
    struct strbuf out = STRBUF_INIT;
    struct diag d;
    int failures = 0;

    diag_init(&d);
    sigv4_signed_init(&s);
    if (sigv4_presign(&req, &ctx, c->expires, &s, &d) < 0) {
        print_error("%s: sigv4_presign failed: %s\n", dir, diag_last(&d));
        failures++;
        goto out;
    }
    failures +=
        same(dir, "query-canonical-request.txt", s.canonical_request.buf, s.canonical_request.len);
    failures += same(dir, "query-string-to-sign.txt", s.string_to_sign.buf, s.string_to_sign.len);
    failures += same(dir, "query-signature.txt", s.signature, strlen(s.signature));
    strbuf_addf(&out, "%s %s%c%s %s\n", r->method, r->target, r->query ? '&' : '?', s.query.buf,
                r->version);
    strbuf_add(&out, r->header_lines.buf, r->header_lines.len);
    strbuf_addc(&out, '\n');
    strbuf_add(&out, r->body, r->body_len);
    failures += same(dir, "query-signed-request.txt", out.buf, out.len);
    failures += check_steps(dir, "query", c, s.amz_date);
out:
    strbuf_release(&out);
    sigv4_signed_release(&s);
    diag_release(&d);
    return failures;
}

static void conformance_case(void **state)
{
    const char *dir = *state;
    struct suite_context c;
    struct raw_request r;
    int failures = 0;

    if (parse_context(dir, &c) < 0 || parse_request(dir, &r) < 0)
        fail_msg("%s: cannot load the case", dir);
    failures += check_header_form(dir, &c, &r);
    /* Presigning is checked wherever the case has the expectations for it. */
    if (file_exists(dir, "query-canonical-request.txt"))
        failures += check_query_form(dir, &c, &r);
    suite_context_release(&c);
    raw_request_release(&r);
    if (failures)
        fail_msg("%s: %d mismatch(es)", dir, failures);
}

/* ---- the signer's own refusals (not in the suite) ---- */

static const char example_secret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

static void refuses_what_it_cannot_sign(void **state)
{
    struct creds cr = {.access_key_id = "AKIDEXAMPLE", .secret_access_key = (char *)example_secret};
    struct http_header host[] = {{"Host", "example.amazonaws.com"}};
    struct http_header dup[] = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "x"}};
    struct http_header bad[] = {{"Host", "example.amazonaws.com"}, {"My Header", "x"}};
    struct sigv4_signed s;

    sigv4_signed_init(&s);
    assert_int_equal(sigv4_sign_request(&s, "GET", "/", NULL, NULL, 0, NULL, 0, "us-east-1",
                                        "service", &cr, 1440938160),
                     -1);
    assert_non_null(strstr(s.error, "Host"));
    assert_int_equal(sigv4_sign_request(&s, "GET", "/", "a=%zz", host, 1, NULL, 0, "us-east-1",
                                        "service", &cr, 1440938160),
                     -1);
    assert_non_null(strstr(s.error, "offset 2"));
    assert_int_equal(sigv4_sign_request(&s, "GET", "/", "a=%4", host, 1, NULL, 0, "us-east-1",
                                        "service", &cr, 1440938160),
                     -1);
    assert_int_equal(sigv4_sign_request(&s, "GET", "/", NULL, dup, 2, NULL, 0, "us-east-1",
                                        "service", &cr, 1440938160),
                     -1);
    assert_non_null(strstr(s.error, "X-Amz-Date"));
    assert_int_equal(sigv4_sign_request(&s, "GET", "/", NULL, bad, 2, NULL, 0, "us-east-1",
                                        "service", &cr, 1440938160),
                     -1);
    cr.secret_access_key = NULL;
    assert_int_equal(sigv4_sign_request(&s, "GET", "/", NULL, host, 1, NULL, 0, "us-east-1",
                                        "service", &cr, 1440938160),
                     -1);
    sigv4_signed_release(&s);
}

static void presign_bounds_expiry(void **state)
{
    struct creds cr = {.access_key_id = "AKIDEXAMPLE", .secret_access_key = (char *)example_secret};
    struct http_header host[] = {{"Host", "example.amazonaws.com"}};
    struct sigv4_request req = {"GET", "/", NULL, host, 1, NULL, 0, NULL};
    struct sigv4_context ctx = {&cr, "us-east-1", "service", 1440938160, {1, 1, 0, 0}};
    struct sigv4_signed s;
    struct diag d;

    diag_init(&d);
    sigv4_signed_init(&s);
    assert_int_equal(sigv4_presign(&req, &ctx, 0, &s, &d), -1);
    assert_int_equal(sigv4_presign(&req, &ctx, 604801, &s, &d), -1);
    assert_int_equal(sigv4_presign(&req, &ctx, 604800, &s, &d), 0);
    assert_non_null(strstr(s.query.buf, "X-Amz-Expires=604800&X-Amz-Signature="));
    sigv4_signed_release(&s);
    diag_release(&d);
}

/* S3 signs the wire path as it is and adds x-amz-content-sha256; others
 * normalize and encode again. The secret shows up in no output. */
static void s3_keeps_the_wire_path(void **state)
{
    struct creds cr = {.access_key_id = "AKIDEXAMPLE",
                       .secret_access_key = (char *)example_secret,
                       .session_token = "tok/en+="};
    struct http_header h[] = {{"Host", "b.s3.amazonaws.com"}, {"User-Agent", "cairn"}};
    struct sigv4_signed s;

    sigv4_signed_init(&s);
    assert_int_equal(sigv4_sign_request(&s, "PUT", "/a//b/../c%20d", "x", h, 2, "hi", 2,
                                        "eu-west-1", "s3", &cr, 1440938160),
                     0);
    assert_non_null(strstr(s.canonical_request.buf, "PUT\n/a//b/../c%20d\nx=\n"));
    assert_string_equal(s.signed_headers.buf,
                        "host;x-amz-content-sha256;x-amz-date;x-amz-security-token");
    assert_int_equal(s.nheaders, 4);
    assert_string_equal(s.headers[0].value, "tok/en+=");
    assert_string_equal(s.headers[2].name, "x-amz-content-sha256");
    assert_string_equal(s.headers[2].value,
                        "8f434346648f6b96df89dda901c5176b10a6d83961dd3c1ac88b59b2dc327aa4");
    assert_null(strstr(s.canonical_request.buf, example_secret));
    assert_null(strstr(s.authorization.buf, example_secret));

    assert_int_equal(sigv4_sign_request(&s, "PUT", "/a//b/../c%20d", NULL, h, 2, "hi", 2,
                                        "eu-west-1", "ec2", &cr, 1440938160),
                     0);
    assert_non_null(strstr(s.canonical_request.buf, "PUT\n/a/c%2520d\n\n"));
    assert_string_equal(s.signed_headers.buf, "host;x-amz-date;x-amz-security-token");
    assert_int_equal(s.nheaders, 3);
    sigv4_signed_release(&s);
}

/* ---- finding the cases ---- */

static int has_request(const struct dirent *e)
{
    return e->d_name[0] != '.';
}

static char *suite_dir(int argc, char **argv)
{
    const char *env;

    if (argc > 1)
        return xstrdup(argv[1]);
    if ((env = getenv("CAIRN_SIGV4_SUITE")) && *env)
        return xstrdup(env);
    if ((env = getenv("CAIRN_TEST_DATA")) && *env)
        return path_of(env, "aws-sigv4-suite");
    return NULL;
}

/* The cases in tests/data/aws-sigv4-suite (see its README). */
#define SUITE_CASES 38

static void suite_has_cases(void **state)
{
    fail_msg("fewer than %d SigV4 test cases found in %s (folders holding request.txt)",
             SUITE_CASES,
             *state ? (const char *)*state
                    : "(no directory: pass one, or set CAIRN_SIGV4_SUITE "
                      "or CAIRN_TEST_DATA)");
}

int main(int argc, char **argv)
{
    char *dir = suite_dir(argc, argv);
    struct dirent **names = NULL;
    struct CMUnitTest *tests;
    char **paths;
    int n = dir ? scandir(dir, &names, has_request, alphasort) : -1;
    size_t ntests = 0;
    int rc;

    tests = xcalloc((size_t)(n > 0 ? n : 0) + 4, sizeof(*tests));
    paths = xcalloc((size_t)(n > 0 ? n : 0) + 1, sizeof(*paths));
    for (int i = 0; i < n; i++) {
        char *path = path_of(dir, names[i]->d_name);
        if (!file_exists(path, "request.txt")) {
            free(path);
        } else {
            paths[ntests] = path;
            tests[ntests] =
                (struct CMUnitTest){names[i]->d_name, conformance_case, NULL, NULL, paths[ntests]};
            ntests++;
        }
    }
    if (ntests < SUITE_CASES)
        tests[ntests++] =
            (struct CMUnitTest){"suite_has_cases", suite_has_cases, NULL, NULL, (void *)dir};
    tests[ntests++] = (struct CMUnitTest){"refuses_what_it_cannot_sign",
                                          refuses_what_it_cannot_sign, NULL, NULL, NULL};
    tests[ntests++] =
        (struct CMUnitTest){"presign_bounds_expiry", presign_bounds_expiry, NULL, NULL, NULL};
    tests[ntests++] =
        (struct CMUnitTest){"s3_keeps_the_wire_path", s3_keeps_the_wire_path, NULL, NULL, NULL};
    rc = _cmocka_run_group_tests("sigv4_suite", tests, ntests, NULL, NULL);
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    for (size_t i = 0; paths[i]; i++)
        free(paths[i]);
    free(paths);
    free(tests);
    free(dir);
    return rc;
}
