/*
 * cairn-dash authentication, as Grafana does it: passwords hashed with
 * PBKDF2-HMAC-SHA256, 10000 rounds, 50-byte key, hex (Grafana's
 * util.EncodePassword), a random salt per user; sessions as a random token
 * in the grafana_session cookie (HttpOnly, SameSite, Secure behind HTTPS)
 * stored only as its SHA-256; HTTP basic auth; API keys in Grafana's format
 * (base64 of {"k":secret,"n":name,"id":1}) sent as "Authorization: Bearer".
 * Cookie-authenticated writes must carry X-CSRF-Token, equal to the
 * non-HttpOnly cairn_csrf cookie (an HMAC of the session under secret_key):
 * a page on another origin can make the browser send the session cookie,
 * but cannot read the CSRF cookie to copy it into the header.
 * Failed logins are counted per login; five within five minutes block it.
 */
#include "dash/dash.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/hex.h"
#include "core/log.h"
#include "core/xmalloc.h"

#define LOGIN_MAX_FAILS  5
#define LOGIN_WINDOW_MS  (5 * 60 * 1000)
#define PBKDF2_ROUNDS    10000
#define PBKDF2_KEY_BYTES 50

struct dash_attempt {
    char login[128];
    int64_t first_ms;
    int fails;
};

void dash_auth_hash(const char *password, const char *salt, char out[101])
{
    unsigned char key[PBKDF2_KEY_BYTES];
    PKCS5_PBKDF2_HMAC(password, (int)strlen(password), (const unsigned char *)salt,
                      (int)strlen(salt), PBKDF2_ROUNDS, EVP_sha256(), sizeof(key), key);
    hex_encode(key, sizeof(key), out);
    OPENSSL_cleanse(key, sizeof(key));
}

void dash_auth_random_hex(char *out, size_t nbytes)
{
    unsigned char buf[64];
    if (nbytes > sizeof(buf))
        nbytes = sizeof(buf);
    if (RAND_bytes(buf, (int)nbytes) != 1)
        abort(); /* no randomness: no safe session can be made */
    hex_encode(buf, nbytes, out);
}

static void sha256_hex(const char *s, char out[65])
{
    unsigned char md[32];
    unsigned int n = 0;
    EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL);
    hex_encode(md, 32, out);
}

static void csrf_for(struct dash *g, const char *session, char out[65])
{
    unsigned char md[32];
    unsigned int n = 32;
    HMAC(EVP_sha256(), g->conf.secret_key, (int)strlen(g->conf.secret_key),
         (const unsigned char *)session, strlen(session), md, &n);
    hex_encode(md, 32, out);
}

static enum dash_role role_parse(const char *s)
{
    if (s && strcasecmp(s, "Admin") == 0)
        return DASH_ADMIN;
    if (s && strcasecmp(s, "Editor") == 0)
        return DASH_EDITOR;
    return DASH_VIEWER;
}

int dash_auth_ensure_admin(struct dash *g, struct diag *d)
{
    sqlite3_stmt *st = NULL;
    char salt[21], hash[101];
    int64_t now = dash_now_ms() / 1000;
    int rc = -1;

    /* Grafana creates the admin once and never resets its password from config. */
    sqlite3_prepare_v2(g->db, "SELECT id FROM user WHERE login = ?", -1, &st, NULL);
    sqlite3_bind_text(st, 1, g->conf.admin_user, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        rc = 0;
        goto out;
    }
    sqlite3_finalize(st);
    dash_auth_random_hex(salt, 10);
    dash_auth_hash(g->conf.admin_password, salt, hash);
    sqlite3_prepare_v2(g->db,
                       "INSERT INTO user (login, email, name, password, salt, role, is_admin,"
                       " created, updated) VALUES (?, 'admin@localhost', '', ?, ?, 'Admin', 1,"
                       " ?, ?)",
                       -1, &st, NULL);
    sqlite3_bind_text(st, 1, g->conf.admin_user, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, salt, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, now);
    sqlite3_bind_int64(st, 5, now);
    if (sqlite3_step(st) != SQLITE_DONE) {
        diag_error(d, NULL, "database: creating the admin user: %s", sqlite3_errmsg(g->db));
        goto out;
    }
    log_info("cairn-dash: created admin user %s", g->conf.admin_user);
    rc = 0;
out:
    sqlite3_finalize(st);
    OPENSSL_cleanse(hash, sizeof(hash));
    return rc;
}

static void fill_user(sqlite3_stmt *st, struct dash_user *u)
{
    u->id = sqlite3_column_int64(st, 0);
    snprintf(u->login, sizeof(u->login), "%s", (const char *)sqlite3_column_text(st, 1));
    snprintf(u->email, sizeof(u->email), "%s", (const char *)sqlite3_column_text(st, 2));
    snprintf(u->name, sizeof(u->name), "%s", (const char *)sqlite3_column_text(st, 3));
    u->role = role_parse((const char *)sqlite3_column_text(st, 4));
    u->is_admin = sqlite3_column_int(st, 5);
    u->created = sqlite3_column_int64(st, 6);
    u->updated = sqlite3_column_int64(st, 7);
}

#define USER_COLS "u.id, u.login, u.email, u.name, u.role, u.is_admin, u.created, u.updated"

static int attempt_blocked(struct dash *g, const char *login, int record_fail)
{
    int64_t now = dash_now_ms();
    struct dash_attempt *a = NULL;
    int blocked;
    if (g->conf.brute_force_disabled)
        return 0;
    pthread_mutex_lock(&g->lock);
    for (size_t i = 0; i < g->nattempts; i++)
        if (strcmp(g->attempts[i].login, login) == 0)
            a = &g->attempts[i];
    if (a && now - a->first_ms > LOGIN_WINDOW_MS) {
        a->fails = 0;
        a->first_ms = now;
    }
    if (record_fail) {
        if (!a) {
            XGROW(g->attempts, g->aattempts, g->nattempts + 1);
            a = &g->attempts[g->nattempts++];
            snprintf(a->login, sizeof(a->login), "%s", login);
            a->first_ms = now;
            a->fails = 0;
        }
        a->fails++;
    }
    blocked = a && a->fails >= LOGIN_MAX_FAILS;
    pthread_mutex_unlock(&g->lock);
    return blocked;
}

/* 0 and u filled when login/password match. */
static int check_password(struct dash *g, const char *login, const char *password,
                          struct dash_user *u)
{
    sqlite3_stmt *st = NULL;
    char hash[101];
    int rc = -1;
    sqlite3_prepare_v2(g->db,
                       "SELECT " USER_COLS ", u.password, u.salt FROM user u"
                       " WHERE u.login = ? OR u.email = ?",
                       -1, &st, NULL);
    sqlite3_bind_text(st, 1, login, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, login, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        dash_auth_hash(password, (const char *)sqlite3_column_text(st, 9), hash);
        if (CRYPTO_memcmp(hash, sqlite3_column_text(st, 8), 100) == 0) {
            fill_user(st, u);
            rc = 0;
        }
    }
    sqlite3_finalize(st);
    return rc;
}

static int from_session(struct dash *g, const char *token, struct dash_user *u)
{
    sqlite3_stmt *st = NULL;
    char th[65];
    int64_t now = dash_now_ms() / 1000;
    int rc = -1;
    sha256_hex(token, th);
    sqlite3_prepare_v2(g->db,
                       "SELECT " USER_COLS ", t.created_at, t.seen_at, t.id FROM user_auth_token t"
                       " JOIN user u ON u.id = t.user_id WHERE t.token_hash = ?",
                       -1, &st, NULL);
    sqlite3_bind_text(st, 1, th, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        int64_t created = sqlite3_column_int64(st, 8), seen = sqlite3_column_int64(st, 9);
        int64_t id = sqlite3_column_int64(st, 10);
        if (now - created < g->conf.session_lifetime_s && now - seen < g->conf.session_inactive_s) {
            fill_user(st, u);
            rc = 0;
        }
        sqlite3_finalize(st);
        st = NULL;
        if (rc == 0 && now != seen) {
            sqlite3_prepare_v2(g->db, "UPDATE user_auth_token SET seen_at = ? WHERE id = ?", -1,
                               &st, NULL);
            sqlite3_bind_int64(st, 1, now);
            sqlite3_bind_int64(st, 2, id);
            sqlite3_step(st);
        }
    }
    sqlite3_finalize(st);
    if (rc == 0) {
        u->via_cookie = 1;
        csrf_for(g, token, u->csrf);
    }
    return rc;
}

static int from_api_key(struct dash *g, const char *b64, struct dash_user *u)
{
    unsigned char raw[1024];
    int n = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)strnlen(b64, 1300));
    json_t *j;
    const char *k = NULL;
    char kh[65];
    sqlite3_stmt *st = NULL;
    int rc = -1;
    if (n <= 0 || strlen(b64) > 1300)
        return -1;
    raw[n] = '\0';
    j = json_loads((const char *)raw, JSON_DISABLE_EOF_CHECK, NULL);
    if (!j || json_unpack(j, "{s:s}", "k", &k) < 0) {
        json_decref(j);
        return -1;
    }
    sha256_hex(k, kh);
    json_decref(j);
    sqlite3_prepare_v2(g->db, "SELECT id, name, role, expires FROM api_key WHERE key_hash = ?", -1,
                       &st, NULL);
    sqlite3_bind_text(st, 1, kh, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW && (sqlite3_column_type(st, 3) == SQLITE_NULL ||
                                           sqlite3_column_int64(st, 3) > dash_now_ms() / 1000)) {
        memset(u, 0, sizeof(*u));
        u->id = -sqlite3_column_int64(st, 0);
        snprintf(u->login, sizeof(u->login), "api_key:%s", sqlite3_column_text(st, 1));
        u->role = role_parse((const char *)sqlite3_column_text(st, 2));
        rc = 0;
    }
    sqlite3_finalize(st);
    return rc;
}

int dash_auth_identify(struct dash *g, struct httpd_req *req, struct dash_user *u)
{
    const char *auth = httpd_req_header(req, "Authorization");
    const char *cookie = httpd_req_cookie(req, g->conf.login_cookie_name);
    memset(u, 0, sizeof(*u));
    if (auth && strncasecmp(auth, "Bearer ", 7) == 0)
        return from_api_key(g, auth + 7, u);
    if (auth && strncasecmp(auth, "Basic ", 6) == 0 && g->conf.basic_auth_enabled) {
        unsigned char raw[512];
        char *colon;
        int n = EVP_DecodeBlock(raw, (const unsigned char *)auth + 6, (int)strnlen(auth + 6, 600));
        if (n <= 0 || strlen(auth + 6) >= 600)
            return -1;
        raw[n] = '\0';
        colon = strchr((char *)raw, ':');
        if (!colon)
            return -1;
        *colon = '\0';
        if (attempt_blocked(g, (char *)raw, 0))
            return -1;
        if (check_password(g, (char *)raw, colon + 1, u) < 0) {
            attempt_blocked(g, (char *)raw, 1);
            OPENSSL_cleanse(raw, sizeof(raw));
            return -1;
        }
        OPENSSL_cleanse(raw, sizeof(raw));
        return 0;
    }
    if (cookie && *cookie)
        return from_session(g, cookie, u);
    if (g->conf.anonymous_enabled) {
        u->id = 0;
        snprintf(u->login, sizeof(u->login), "anonymous");
        u->role = role_parse(g->conf.anonymous_role);
        return 0;
    }
    return -1;
}

int dash_require(struct dash *g, struct httpd_req *req, struct httpd_resp *resp,
                 enum dash_role role, struct dash_user *u)
{
    const char *m = httpd_req_method(req);
    if (dash_auth_identify(g, req, u) < 0) {
        dash_error(resp, 401, "Unauthorized");
        return -1;
    }
    if (u->via_cookie && strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0) {
        const char *h = httpd_req_header(req, "X-CSRF-Token");
        if (!h || strlen(h) != 64 || CRYPTO_memcmp(h, u->csrf, 64) != 0) {
            dash_error(resp, 403, "CSRF token missing or invalid");
            return -1;
        }
    }
    if (u->role < role) {
        dash_error(resp, 403, "Access denied");
        return -1;
    }
    return 0;
}

static void set_cookies(struct dash *g, struct httpd_req *req, struct httpd_resp *resp,
                        const char *token, long max_age)
{
    const char *proto = httpd_req_header(req, "X-Forwarded-Proto");
    int secure = g->conf.cookie_secure || (proto && strcasecmp(proto, "https") == 0);
    const char *path = *g->conf.sub_path ? g->conf.sub_path : "/";
    char csrf[65] = "";
    char *c;
    if (*token)
        csrf_for(g, token, csrf);
    c = arena_printf(httpd_req_arena(req), "%s=%s; Path=%s; Max-Age=%ld; HttpOnly; SameSite=%s%s",
                     g->conf.login_cookie_name, token, path, max_age, g->conf.cookie_samesite,
                     secure ? "; Secure" : "");
    httpd_resp_header(resp, "Set-Cookie", c);
    c = arena_printf(httpd_req_arena(req), "cairn_csrf=%s; Path=%s; Max-Age=%ld; SameSite=Strict%s",
                     csrf, path, max_age, secure ? "; Secure" : "");
    httpd_resp_header(resp, "Set-Cookie", c);
}

void dash_auth_login(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    struct dash *g = ctx;
    json_error_t je;
    json_t *body = httpd_req_json(req, &je);
    const char *login = NULL, *password = NULL;
    struct dash_user u;
    char token[65], th[65];
    sqlite3_stmt *st = NULL;
    int64_t now = dash_now_ms() / 1000;

    if (!body || json_unpack(body, "{s:s, s:s}", "user", &login, "password", &password) < 0) {
        dash_error(resp, 400, "bad login data");
        goto out;
    }
    if (attempt_blocked(g, login, 0)) {
        dash_error(resp, 401,
                   "too many consecutive incorrect login attempts for user - login "
                   "for user temporarily blocked");
        goto out;
    }
    if (check_password(g, login, password, &u) < 0) {
        attempt_blocked(g, login, 1);
        log_info("cairn-dash: failed login for %s from %s", login, httpd_req_remote(req));
        dash_error(resp, 401, "Invalid username or password");
        goto out;
    }
    dash_auth_random_hex(token, 32);
    sha256_hex(token, th);
    sqlite3_prepare_v2(g->db,
                       "INSERT INTO user_auth_token (user_id, token_hash, created_at, seen_at)"
                       " VALUES (?, ?, ?, ?)",
                       -1, &st, NULL);
    sqlite3_bind_int64(st, 1, u.id);
    sqlite3_bind_text(st, 2, th, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, now);
    sqlite3_bind_int64(st, 4, now);
    if (sqlite3_step(st) != SQLITE_DONE) {
        dash_error(resp, 500, "Failed to create session");
        goto out;
    }
    set_cookies(g, req, resp, token, g->conf.session_lifetime_s);
    httpd_resp_json(resp, 200,
                    json_pack("{s:s, s:s}", "message", "Logged in", "redirectUrl",
                              *g->conf.sub_path
                                  ? arena_printf(httpd_req_arena(req), "%s/", g->conf.sub_path)
                                  : "/"));
out:
    sqlite3_finalize(st);
    if (password)
        OPENSSL_cleanse((char *)password, strlen(password));
    json_decref(body);
}

void dash_auth_logout(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    struct dash *g = ctx;
    const char *cookie = httpd_req_cookie(req, g->conf.login_cookie_name);
    if (cookie && *cookie) {
        sqlite3_stmt *st = NULL;
        char th[65];
        sha256_hex(cookie, th);
        sqlite3_prepare_v2(g->db, "DELETE FROM user_auth_token WHERE token_hash = ?", -1, &st,
                           NULL);
        sqlite3_bind_text(st, 1, th, -1, SQLITE_STATIC);
        sqlite3_step(st);
        sqlite3_finalize(st);
    }
    set_cookies(g, req, resp, "", 0);
    httpd_resp_redirect(resp, 302,
                        arena_printf(httpd_req_arena(req), "%s/login", g->conf.sub_path));
}

static const char *role_name(enum dash_role r)
{
    return r == DASH_ADMIN ? "Admin" : r == DASH_EDITOR ? "Editor" : "Viewer";
}

void dash_auth_user(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    struct dash_user u;
    if (dash_require(ctx, req, resp, DASH_VIEWER, &u) < 0)
        return;
    httpd_resp_json(resp, 200,
                    json_pack("{s:I, s:s, s:s, s:s, s:s, s:i, s:b, s:b, s:b, s:s, s:s, s:I, s:I}",
                              "id", (json_int_t)u.id, "email", u.email, "name", u.name, "login",
                              u.login, "theme", "", "orgId", 1, "isGrafanaAdmin", u.is_admin,
                              "isDisabled", 0, "isExternal", 0, "role", role_name(u.role),
                              "csrfToken", u.via_cookie ? u.csrf : "", "createdAt",
                              (json_int_t)u.created, "updatedAt", (json_int_t)u.updated));
}

void dash_auth_create_user(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    struct dash *g = ctx;
    struct dash_user u;
    json_t *b;
    const char *login = NULL, *email = "", *name = "", *password = NULL;
    char salt[21], hash[101];
    sqlite3_stmt *st = NULL;
    int64_t now = dash_now_ms() / 1000;
    if (dash_require(g, req, resp, DASH_ADMIN, &u) < 0)
        return;
    if (!(b = dash_body(req, resp, NULL, "{s?s, s?s, s?s, s:s}", "login", &login, "email", &email,
                        "name", &name, "password", &password)))
        return;
    if (!(login || *email)) {
        dash_error(resp, 400, "bad request data");
        goto out;
    }
    if (!login)
        login = email;
    dash_auth_random_hex(salt, 10);
    dash_auth_hash(password, salt, hash);
    sqlite3_prepare_v2(g->db,
                       "INSERT INTO user (login, email, name, password, salt, role, created,"
                       " updated) VALUES (?, ?, ?, ?, ?, 'Viewer', ?, ?)",
                       -1, &st, NULL);
    sqlite3_bind_text(st, 1, login, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, email, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, salt, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, now);
    sqlite3_bind_int64(st, 7, now);
    if (sqlite3_step(st) != SQLITE_DONE) {
        dash_error(resp, 412, "User with same email or login already exists");
        goto out;
    }
    httpd_resp_json(resp, 200,
                    json_pack("{s:I, s:s}", "id", (json_int_t)sqlite3_last_insert_rowid(g->db),
                              "message", "User created"));
out:
    sqlite3_finalize(st);
    json_decref(b);
}

void dash_auth_set_role(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    struct dash *g = ctx;
    struct dash_user u;
    json_t *b;
    const char *role = NULL;
    sqlite3_stmt *st = NULL;
    if (dash_require(g, req, resp, DASH_ADMIN, &u) < 0)
        return;
    if (!(b = dash_body(req, resp, NULL, "{s:s}", "role", &role)))
        return;
    if (strcmp(role, "Viewer") && strcmp(role, "Editor") && strcmp(role, "Admin")) {
        dash_error(resp, 400, "bad request data");
        goto out;
    }
    sqlite3_prepare_v2(g->db, "UPDATE user SET role = ? WHERE id = ?", -1, &st, NULL);
    sqlite3_bind_text(st, 1, role, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, strtoll(httpd_req_param(req, "id"), NULL, 10));
    if (sqlite3_step(st) != SQLITE_DONE || sqlite3_changes(g->db) == 0)
        dash_error(resp, 404, "user not found");
    else
        httpd_resp_json(resp, 200, json_pack("{s:s}", "message", "Organization user updated"));
out:
    sqlite3_finalize(st);
    json_decref(b);
}

void dash_auth_create_key(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    struct dash *g = ctx;
    struct dash_user u;
    json_t *b, *kj;
    const char *name = NULL, *role = "Viewer";
    json_int_t ttl = 0;
    char secret[65], kh[65];
    char *kjs;
    unsigned char enc[512];
    sqlite3_stmt *st = NULL;
    if (dash_require(g, req, resp, DASH_ADMIN, &u) < 0)
        return;
    if (!(b = dash_body(req, resp, NULL, "{s:s, s?s, s?I}", "name", &name, "role", &role,
                        "secondsToLive", &ttl)))
        return;
    dash_auth_random_hex(secret, 16);
    sha256_hex(secret, kh);
    sqlite3_prepare_v2(g->db,
                       "INSERT INTO api_key (name, key_hash, role, created, expires)"
                       " VALUES (?, ?, ?, ?, ?)",
                       -1, &st, NULL);
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, kh, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, role_name(role_parse(role)), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, dash_now_ms() / 1000);
    if (ttl > 0)
        sqlite3_bind_int64(st, 5, dash_now_ms() / 1000 + ttl);
    else
        sqlite3_bind_null(st, 5);
    if (sqlite3_step(st) != SQLITE_DONE) {
        dash_error(resp, 409, "API Key Organization ID And Name Must Be Unique");
        goto out;
    }
    kj = json_pack("{s:s, s:s, s:i}", "k", secret, "n", name, "id", 1);
    kjs = json_dumps(kj, JSON_COMPACT);
    EVP_EncodeBlock(enc, (const unsigned char *)kjs, (int)strlen(kjs));
    httpd_resp_json(resp, 200,
                    json_pack("{s:I, s:s, s:s}", "id", (json_int_t)sqlite3_last_insert_rowid(g->db),
                              "name", name, "key", (char *)enc));
    free(kjs);
    json_decref(kj);
out:
    sqlite3_finalize(st);
    json_decref(b);
}
