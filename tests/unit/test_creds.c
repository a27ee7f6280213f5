/*
 * The credential chain: environment, shared files, container endpoint and IMDSv2
 * (both against a loopback HTTP server run by this test), the "nothing found"
 * message, and refresh before expiry with a moved clock. Web identity through STS
 * is covered by tests/integration/test_credentials.py against moto.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "aws/creds.h"
#include "core/diag.h"
#include "core/http.h"
#include "core/isotime.h"

#define T0 ((time_t)1800000000) /* the test's clock: 2027-01-15T08:00:00Z */

static char tmpdir[256];

static const char *const env_vars[] = {
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_EC2_METADATA_SERVICE_ENDPOINT",
    "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
};

/* ---- a loopback HTTP server: container endpoint or IMDSv2 ---- */

struct server {
    int fd, port;
    pthread_t thread;
    pthread_mutex_t mu;
    int stop;
    /* Behaviour, set by the test. */
    int imds;              /* 1: IMDSv2, else container endpoint */
    int status;            /* container: status to answer with */
    char expect_auth[128]; /* container: required Authorization ("" none) */
    time_t expiration;
    /* Observations. */
    int requests;  /* credential documents served */
    int refused;   /* requests answered 401 */
    int token_put; /* IMDS token requests */
};

static struct server srv;

static void respond(int fd, int status, const char *type, const char *body)
{
    char head[256];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d X\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n",
                     status, type, strlen(body));

    if (write(fd, head, (size_t)n) < 0 || write(fd, body, strlen(body)) < 0)
        return;
}

/* Value of header name in the request head, into out; "" when absent. */
static void header(const char *req, const char *name, char *out, size_t n)
{
    const char *p = req;
    size_t len = strlen(name);

    out[0] = '\0';
    while ((p = strstr(p, "\r\n"))) {
        p += 2;
        if (strncasecmp(p, name, len) == 0 && p[len] == ':') {
            const char *v = p + len + 1, *e;
            while (*v == ' ')
                v++;
            e = strstr(v, "\r\n");
            if (!e || (size_t)(e - v) >= n)
                return;
            memcpy(out, v, (size_t)(e - v));
            out[e - v] = '\0';
            return;
        }
    }
}

static void creds_doc(char *buf, size_t n, int seq, int with_code)
{
    char exp[32];

    isotime_format(srv.expiration, exp, sizeof(exp));
    snprintf(buf, n,
             "{%s\"AccessKeyId\": \"ASIATEST%d\", \"SecretAccessKey\": \"secret%d\", "
             "\"Token\": \"token%d\", \"Expiration\": \"%s\"}",
             with_code ? "\"Code\": \"Success\", \"Type\": \"AWS-HMAC\", " : "", seq, seq, seq,
             exp);
}

static void serve_one(int fd)
{
    char req[8192], method[16], path[256], auth[256], ttl[64], tok[128], body[512];
    size_t len = 0;
    ssize_t r;

    while (len < sizeof(req) - 1 && (r = read(fd, req + len, sizeof(req) - 1 - len)) > 0) {
        len += (size_t)r;
        req[len] = '\0';
        if (strstr(req, "\r\n\r\n"))
            break;
    }
    req[len] = '\0';
    if (sscanf(req, "%15s %255s", method, path) != 2)
        return;
    pthread_mutex_lock(&srv.mu);
    header(req, "Authorization", auth, sizeof(auth));
    header(req, "X-aws-ec2-metadata-token-ttl-seconds", ttl, sizeof(ttl));
    header(req, "X-aws-ec2-metadata-token", tok, sizeof(tok));
    if (!srv.imds) {
        if (strcmp(method, "GET") != 0 || strcmp(path, "/creds") != 0) {
            respond(fd, 404, "text/plain", "no");
        } else if (strcmp(auth, srv.expect_auth) != 0) {
            srv.refused++;
            respond(fd, 401, "text/plain", "bad token");
        } else if (srv.status != 200) {
            srv.requests++;
            respond(fd, srv.status, "text/plain", "broken");
        } else {
            creds_doc(body, sizeof(body), ++srv.requests, 0);
            respond(fd, 200, "application/json", body);
        }
    } else if (strcmp(method, "PUT") == 0 && strcmp(path, "/latest/api/token") == 0) {
        srv.token_put++;
        respond(fd, strcmp(ttl, "21600") == 0 ? 200 : 400, "text/plain", "IMDSTOKEN");
    } else if (strcmp(method, "GET") != 0 || strcmp(tok, "IMDSTOKEN") != 0) {
        /* IMDSv2 only: no token, no answer. */
        srv.refused++;
        respond(fd, 401, "text/plain", "");
    } else if (strcmp(path, "/latest/meta-data/iam/security-credentials/") == 0) {
        respond(fd, 200, "text/plain", "test-role");
    } else if (strcmp(path, "/latest/meta-data/iam/security-credentials/test-role") == 0) {
        creds_doc(body, sizeof(body), ++srv.requests, 1);
        respond(fd, 200, "application/json", body);
    } else {
        respond(fd, 404, "text/plain", "");
    }
    pthread_mutex_unlock(&srv.mu);
}

static void *server_main(void *arg)
{
    for (;;) {
        struct pollfd p = {srv.fd, POLLIN, 0};
        int stop, c;

        pthread_mutex_lock(&srv.mu);
        stop = srv.stop;
        pthread_mutex_unlock(&srv.mu);
        if (stop)
            break;
        if (poll(&p, 1, 50) <= 0)
            continue;
        if ((c = accept(srv.fd, NULL, NULL)) < 0)
            continue;
        serve_one(c);
        close(c);
    }
    return NULL;
}

static void server_start(int imds)
{
    struct sockaddr_in a;
    socklen_t alen = sizeof(a);

    memset(&srv, 0, sizeof(srv));
    pthread_mutex_init(&srv.mu, NULL);
    srv.imds = imds;
    srv.status = 200;
    srv.expiration = T0 + 3600;
    srv.fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(srv.fd >= 0);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(srv.fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(srv.fd, 16), 0);
    assert_int_equal(getsockname(srv.fd, (struct sockaddr *)&a, &alen), 0);
    srv.port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&srv.thread, NULL, server_main, NULL), 0);
}

static void server_stop(void)
{
    pthread_mutex_lock(&srv.mu);
    srv.stop = 1;
    pthread_mutex_unlock(&srv.mu);
    pthread_join(srv.thread, NULL);
    close(srv.fd);
    pthread_mutex_destroy(&srv.mu);
}

/* ---- fixtures ---- */

static const char *write_file(const char *name, const char *text)
{
    static char buf[4][512];
    static int i;
    FILE *f;

    i = (i + 1) % 4;
    snprintf(buf[i], sizeof(buf[i]), "%s/%s", tmpdir, name);
    f = fopen(buf[i], "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return buf[i];
}

static int setup(void **state)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/cairn-test-creds-XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    for (size_t i = 0; i < sizeof(env_vars) / sizeof(env_vars[0]); i++)
        unsetenv(env_vars[i]);
    setenv("AWS_CONFIG_FILE", "/nonexistent", 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent", 1);
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    /* The servers are on loopback: no proxy in between. */
    setenv("NO_PROXY", "127.0.0.1,localhost", 1);
    setenv("no_proxy", "127.0.0.1,localhost", 1);
    return 0;
}

static int teardown(void **state)
{
    char cmd[600];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Resolve with a fresh provider; returns what creds_provider_get() returned. */
static int get_once(const char *profile, struct creds *c, struct diag *d)
{
    struct creds_provider *p = creds_provider_new(profile);
    int r = creds_provider_get(p, NULL, T0, c, d);

    creds_provider_free(p);
    return r;
}

/* ---- tests ---- */

static void creds_helpers(void **state)
{
    struct creds a, b;

    creds_init(&a);
    creds_init(&b);
    assert_false(creds_expired(&a, T0, CREDS_REFRESH_MARGIN)); /* never expires */
    a.access_key_id = strdup("AKID");
    a.secret_access_key = strdup("SECRET");
    a.expiration = T0 + 600;
    strcpy(a.source, "here");
    assert_false(creds_expired(&a, T0, CREDS_REFRESH_MARGIN));
    assert_false(creds_expired(&a, T0 + 299, CREDS_REFRESH_MARGIN));
    assert_true(creds_expired(&a, T0 + 300, CREDS_REFRESH_MARGIN));
    assert_false(creds_expired(&a, T0 + 599, 0));
    assert_true(creds_expired(&a, T0 + 600, 0));
    b.session_token = strdup("old"); /* released by the copy */
    creds_copy(&b, &a);
    assert_string_equal(b.access_key_id, "AKID");
    assert_string_equal(b.secret_access_key, "SECRET");
    assert_null(b.session_token);
    assert_int_equal(b.expiration, T0 + 600);
    assert_string_equal(b.source, "here");
    assert_ptr_not_equal(b.access_key_id, a.access_key_id);
    creds_release(&a);
    creds_release(&b);
    assert_null(b.access_key_id);
    assert_int_equal(b.expiration, 0);
}

static void environment_link(void **state)
{
    struct creds c;
    struct diag d;

    creds_init(&c);
    diag_init(&d);
    setenv("AWS_ACCESS_KEY_ID", "AKIAENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
    /* A broken config file does not stand in the way of explicit keys. */
    setenv("AWS_CONFIG_FILE", write_file("config", "garbage\n"), 1);
    assert_int_equal(get_once(NULL, &c, &d), 0);
    assert_string_equal(c.access_key_id, "AKIAENV");
    assert_string_equal(c.secret_access_key, "envsecret");
    assert_null(c.session_token);
    assert_int_equal(c.expiration, 0);
    assert_string_equal(c.source, "environment (AWS_ACCESS_KEY_ID)");

    setenv("AWS_SECURITY_TOKEN", "legacytoken", 1);
    assert_int_equal(get_once(NULL, &c, &d), 0);
    assert_string_equal(c.session_token, "legacytoken");
    setenv("AWS_SESSION_TOKEN", "sessiontoken", 1);
    assert_int_equal(get_once(NULL, &c, &d), 0);
    assert_string_equal(c.session_token, "sessiontoken");
    assert_false(diag_has_errors(&d));
    creds_release(&c);
    diag_release(&d);
}

static void environment_half_set_is_an_error(void **state)
{
    struct creds c;
    struct diag d;

    creds_init(&c);
    diag_init(&d);
    /* Valid keys in a profile must not be picked up silently instead. */
    setenv("AWS_SHARED_CREDENTIALS_FILE",
           write_file("credentials", "[default]\naws_access_key_id = A\naws_secret_access_key = "
                                     "B\n"),
           1);
    setenv("AWS_ACCESS_KEY_ID", "AKIAHALF", 1);
    assert_int_equal(get_once(NULL, &c, &d), -1);
    assert_int_equal(d.nerrors, 1);
    assert_non_null(strstr(diag_last(&d), "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY "
                                          "is not"));
    assert_null(strstr(diag_last(&d), "AKIAHALF"));
    assert_null(c.access_key_id);

    diag_clear(&d);
    unsetenv("AWS_ACCESS_KEY_ID");
    setenv("AWS_SECRET_ACCESS_KEY", "s", 1);
    assert_int_equal(get_once(NULL, &c, &d), -1);
    assert_non_null(strstr(diag_last(&d), "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID "
                                          "is not"));
    creds_release(&c);
    diag_release(&d);
}

static void profile_link(void **state)
{
    const char *cred = write_file("credentials", "[default]\n"
                                                 "aws_access_key_id = AKIADEFAULT\n"
                                                 "aws_secret_access_key = defaultsecret\n"
                                                 "[ci]\n"
                                                 "aws_access_key_id = AKIACI\n"
                                                 "aws_secret_access_key = cisecret\n"
                                                 "aws_session_token = citoken\n");
    const char *cfg = write_file("config", "[profile dev]\n"
                                           "region = eu-west-1\n"
                                           "aws_access_key_id = AKIADEV\n"
                                           "aws_secret_access_key = devsecret\n"
                                           "[profile ci]\n"
                                           "aws_access_key_id = AKIA-LOSES-TO-CREDENTIALS-FILE\n");
    char want[600];
    struct creds c;
    struct diag d;

    creds_init(&c);
    diag_init(&d);
    setenv("AWS_SHARED_CREDENTIALS_FILE", cred, 1);
    setenv("AWS_CONFIG_FILE", cfg, 1);
    assert_int_equal(get_once(NULL, &c, &d), 0);
    assert_string_equal(c.access_key_id, "AKIADEFAULT");
    assert_null(c.session_token);
    snprintf(want, sizeof(want), "shared credentials file %s (profile default)", cred);
    assert_string_equal(c.source, want);

    setenv("AWS_PROFILE", "ci", 1);
    assert_int_equal(get_once(NULL, &c, &d), 0);
    assert_string_equal(c.access_key_id, "AKIACI");
    assert_string_equal(c.secret_access_key, "cisecret");
    assert_string_equal(c.session_token, "citoken");
    snprintf(want, sizeof(want), "shared credentials file %s (profile ci)", cred);
    assert_string_equal(c.source, want);

    /* The explicit profile beats AWS_PROFILE; keys in the config file count too. */
    assert_int_equal(get_once("dev", &c, &d), 0);
    assert_string_equal(c.access_key_id, "AKIADEV");
    snprintf(want, sizeof(want), "shared config file %s (profile dev)", cfg);
    assert_string_equal(c.source, want);
    assert_false(diag_has_errors(&d));
    creds_release(&c);
    diag_release(&d);
}

static void profile_problems_are_errors(void **state)
{
    const char *cfg = write_file("config", "[profile half]\n"
                                           "aws_access_key_id = AKIAHALF\n"
                                           "[profile assume]\n"
                                           "role_arn = arn:aws:iam::123456789012:role/x\n"
                                           "source_profile = default\n"
                                           "[profile proc]\n"
                                           "credential_process = /bin/echo {}\n"
                                           "[profile sso]\n"
                                           "sso_session = corp\n"
                                           "[profile web]\n"
                                           "web_identity_token_file = /x\n");
    struct creds c;
    struct diag d;

    creds_init(&c);
    diag_init(&d);
    setenv("AWS_CONFIG_FILE", cfg, 1);
    assert_int_equal(get_once("half", &c, &d), -1);
    assert_int_equal(d.nerrors, 1);
    assert_string_equal(d.v[0].loc.file, cfg);
    assert_int_equal(d.v[0].loc.line, 2);
    assert_string_equal(diag_last(&d),
                        "profile 'half' sets aws_access_key_id but not aws_secret_access_key");

    diag_clear(&d);
    assert_int_equal(get_once("assume", &c, &d), -1);
    assert_non_null(strstr(diag_last(&d), "role_arn + source_profile (AssumeRole), which cairn "
                                          "does not support"));
    assert_int_equal(d.v[0].loc.line, 5);

    diag_clear(&d);
    assert_int_equal(get_once("proc", &c, &d), -1);
    assert_non_null(strstr(diag_last(&d), "credential_process, which cairn does not support"));

    diag_clear(&d);
    assert_int_equal(get_once("sso", &c, &d), -1);
    assert_non_null(strstr(diag_last(&d), "IAM Identity Center"));

    diag_clear(&d);
    assert_int_equal(get_once("web", &c, &d), -1);
    assert_string_equal(diag_last(&d),
                        "profile 'web' sets web_identity_token_file but not role_arn");

    /* A malformed file stops the chain with file:line. */
    diag_clear(&d);
    write_file("config", "[default]\nnot a setting\n");
    assert_int_equal(get_once(NULL, &c, &d), -1);
    assert_int_equal(d.v[0].loc.line, 2);
    assert_null(c.access_key_id);
    creds_release(&c);
    diag_release(&d);
}

static void web_identity_configuration_errors(void **state)
{
    const char *token = write_file("token", "  eyJ.token.value \n");
    const char *empty = write_file("empty", " \n");
    char cfg[600];
    struct creds c;
    struct diag d;

    creds_init(&c);
    diag_init(&d);
    setenv("AWS_WEB_IDENTITY_TOKEN_FILE", token, 1);
    assert_int_equal(get_once(NULL, &c, &d), -1);
    assert_string_equal(diag_last(&d), "AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is "
                                       "not; web identity needs both");

    diag_clear(&d);
    unsetenv("AWS_WEB_IDENTITY_TOKEN_FILE");
    setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/ci", 1);
    assert_int_equal(get_once(NULL, &c, &d), -1);
    assert_non_null(strstr(diag_last(&d), "AWS_ROLE_ARN is set but AWS_WEB_IDENTITY_TOKEN_FILE"));

    diag_clear(&d);
    setenv("AWS_WEB_IDENTITY_TOKEN_FILE", empty, 1);
    assert_int_equal(get_once(NULL, &c, &d), -1);
    assert_non_null(strstr(diag_last(&d), "web identity (role arn:aws:iam::123456789012:role/ci)"));
    assert_non_null(strstr(diag_last(&d), "is empty"));

    diag_clear(&d);
    setenv("AWS_WEB_IDENTITY_TOKEN_FILE", "/nonexistent/token", 1);
    assert_int_equal(get_once(NULL, &c, &d), -1);
    assert_non_null(strstr(diag_last(&d), "cannot read web identity token file "
                                          "/nonexistent/token"));

    /* Role from the environment, token file from the profile: they go together, and
     * the token is read before STS is asked (no session here, so that is where it stops). */
    diag_clear(&d);
    unsetenv("AWS_WEB_IDENTITY_TOKEN_FILE");
    snprintf(cfg, sizeof(cfg), "[default]\nweb_identity_token_file = %s\n", token);
    setenv("AWS_CONFIG_FILE", write_file("config", cfg), 1);
    assert_int_equal(get_once(NULL, &c, &d), -1);
    assert_string_equal(diag_last(&d), "web identity (role arn:aws:iam::123456789012:role/ci): "
                                       "no AWS session to call STS with");
    creds_release(&c);
    diag_release(&d);
}

static void nothing_found_names_every_place(void **state)
{
    const char *cfg = write_file("config", "[profile other]\nregion = eu-west-1\n");
    const char *cred = write_file("credentials", "[default]\nregion = eu-west-1\n");
    char want[2048];
    struct creds c;
    struct diag d;

    creds_init(&c);
    diag_init(&d);
    assert_int_equal(get_once(NULL, &c, &d), -1);
    assert_int_equal(d.nerrors, 1);
    assert_string_equal(diag_last(&d),
                        "no AWS credentials found; looked at: environment (AWS_ACCESS_KEY_ID not "
                        "set); web identity (AWS_WEB_IDENTITY_TOKEN_FILE not set); shared "
                        "credentials file /nonexistent (not found); shared config file "
                        "/nonexistent (not found); container credentials "
                        "(AWS_CONTAINER_CREDENTIALS_RELATIVE_URI/FULL_URI not set); EC2 instance "
                        "metadata (disabled by AWS_EC2_METADATA_DISABLED)");

    diag_clear(&d);
    setenv("AWS_CONFIG_FILE", cfg, 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", cred, 1);
    assert_int_equal(get_once(NULL, &c, &d), -1);
    snprintf(want, sizeof(want),
             "shared credentials file %s (profile 'default' has no aws_access_key_id); shared "
             "config file %s (profile 'default' not found)",
             cred, cfg);
    assert_non_null(strstr(diag_last(&d), want));
    assert_null(c.access_key_id);
    creds_release(&c);
    diag_release(&d);
}

static void container_endpoint_and_refresh(void **state)
{
    const char *auth = write_file("auth", "first-token\n");
    char url[128], want[256];
    struct creds_provider *p;
    struct creds c;
    struct diag d;

    creds_init(&c);
    diag_init(&d);
    server_start(0);
    strcpy(srv.expect_auth, "first-token");
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/creds", srv.port);
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", auth, 1);
    p = creds_provider_new(NULL);

    assert_int_equal(creds_provider_get(p, NULL, T0, &c, &d), 0);
    assert_string_equal(c.access_key_id, "ASIATEST1");
    assert_string_equal(c.secret_access_key, "secret1");
    assert_string_equal(c.session_token, "token1");
    assert_int_equal(c.expiration, T0 + 3600);
    snprintf(want, sizeof(want), "container credentials endpoint %s", url);
    assert_string_equal(c.source, want);
    assert_int_equal(srv.requests, 1);

    /* 600 s left: more than CREDS_REFRESH_MARGIN, so the cached ones are used. */
    assert_int_equal(creds_provider_get(p, NULL, T0 + 3000, &c, &d), 0);
    assert_string_equal(c.access_key_id, "ASIATEST1");
    assert_int_equal(srv.requests, 1);

    /* 200 s left: refreshed, with the rotated token file read again. */
    write_file("auth", "second-token");
    strcpy(srv.expect_auth, "second-token");
    srv.expiration = T0 + 7200;
    assert_int_equal(creds_provider_get(p, NULL, T0 + 3400, &c, &d), 0);
    assert_string_equal(c.access_key_id, "ASIATEST2");
    assert_int_equal(c.expiration, T0 + 7200);
    assert_int_equal(srv.requests, 2);
    assert_int_equal(srv.refused, 0);

    /* A failed refresh while the old ones are still valid keeps them (one retry on 5xx)... */
    srv.status = 503;
    assert_int_equal(creds_provider_get(p, NULL, T0 + 7000, &c, &d), 0);
    assert_string_equal(c.access_key_id, "ASIATEST2");
    assert_int_equal(srv.requests, 4);
    assert_false(diag_has_errors(&d));
    /* ...but not once they have expired. */
    assert_int_equal(creds_provider_get(p, NULL, T0 + 7200, &c, &d), -1);
    assert_non_null(strstr(diag_last(&d), "expired and could not be refreshed"));
    assert_non_null(strstr(diag_last(&d), "HTTP 503"));
    srv.status = 200;
    assert_int_equal(creds_provider_get(p, NULL, T0 + 7201, &c, &d), 0);
    assert_string_equal(c.access_key_id, "ASIATEST7");
    creds_provider_free(p);

    /* A wrong token is an error of this link, not a fall-through. */
    diag_clear(&d);
    unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "wrong", 1);
    assert_int_equal(get_once(NULL, &c, &d), -1);
    snprintf(want, sizeof(want), "container credentials endpoint %s: HTTP 401", url);
    assert_string_equal(diag_last(&d), want);
    assert_int_equal(srv.refused, 1);
    server_stop();
    creds_release(&c);
    diag_release(&d);
}

static void container_full_uri_rules(void **state)
{
    static const char *const refused[] = {
        "http://10.0.0.1/creds",       "http://169.254.169.254/latest",
        "http://example.com/creds",    "http://127.0.0.1@evil.example/creds",
        "http://[fd00:ec2::24]/creds", "ftp://127.0.0.1/creds",
    };
    struct creds c;
    struct diag d;

    creds_init(&c);
    diag_init(&d);
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        diag_clear(&d);
        setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", refused[i], 1);
        assert_int_equal(get_once(NULL, &c, &d), -1);
        assert_non_null(strstr(diag_last(&d), refused[i]));
        assert_non_null(
            strstr(diag_last(&d), i == 5 ? "not an http:// or https:// URL" : "is not allowed"));
    }
    /* Allowed hosts fail on the network instead (nothing listens on port 9 here), which
     * shows the URL check let them through. */
    static const char *const allowed[] = {
        "http://127.0.0.1:9/c", "http://127.1.2.3:9/c", "http://localhost:9/c",
        "http://[::1]:9/c",     "http://LOCALHOST:9/c",
    };
    for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
        diag_clear(&d);
        setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", allowed[i], 1);
        assert_int_equal(get_once(NULL, &c, &d), -1);
        assert_null(strstr(diag_last(&d), "is not allowed"));
        assert_non_null(strstr(diag_last(&d), "container credentials endpoint"));
    }
    creds_release(&c);
    diag_release(&d);
}

static void imds_v2(void **state)
{
    char ep[64], want[256];
    struct creds_provider *p;
    struct creds c;
    struct diag d;

    creds_init(&c);
    diag_init(&d);
    server_start(1);
    snprintf(ep, sizeof(ep), "http://127.0.0.1:%d/", srv.port);
    unsetenv("AWS_EC2_METADATA_DISABLED");
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", ep, 1);
    p = creds_provider_new(NULL);
    assert_int_equal(creds_provider_get(p, NULL, T0, &c, &d), 0);
    assert_string_equal(c.access_key_id, "ASIATEST1");
    assert_string_equal(c.session_token, "token1");
    assert_int_equal(c.expiration, T0 + 3600);
    assert_string_equal(c.source, "EC2 instance metadata (IMDSv2)");
    assert_int_equal(srv.token_put, 1);
    assert_int_equal(srv.refused, 0);

    srv.expiration = T0 + 7200;
    assert_int_equal(creds_provider_get(p, NULL, T0 + 3500, &c, &d), 0);
    assert_string_equal(c.access_key_id, "ASIATEST2");
    assert_int_equal(srv.token_put, 2);
    creds_provider_free(p);
    server_stop();

    /* Nobody answering is "nothing here", named in the list. */
    diag_clear(&d);
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:9", 1);
    assert_int_equal(get_once(NULL, &c, &d), -1);
    snprintf(want, sizeof(want), "; EC2 instance metadata http://127.0.0.1:9 (");
    assert_non_null(strstr(diag_last(&d), "no AWS credentials found; looked at: "));
    assert_non_null(strstr(diag_last(&d), want));
    creds_release(&c);
    diag_release(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(creds_helpers),
        cmocka_unit_test_setup_teardown(environment_link, setup, teardown),
        cmocka_unit_test_setup_teardown(environment_half_set_is_an_error, setup, teardown),
        cmocka_unit_test_setup_teardown(profile_link, setup, teardown),
        cmocka_unit_test_setup_teardown(profile_problems_are_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(web_identity_configuration_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(nothing_found_names_every_place, setup, teardown),
        cmocka_unit_test_setup_teardown(container_endpoint_and_refresh, setup, teardown),
        cmocka_unit_test_setup_teardown(container_full_uri_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(imds_v2, setup, teardown),
    };
    int r;

    http_global_init();
    r = cmocka_run_group_tests(tests, NULL, NULL);
    http_global_cleanup();
    return r;
}
