/*
 * cairn-dash: the Grafana-compatible dashboard server.
 *
 *   cairn-dash [--config=FILE] [cfg:section.key=value ...]
 *
 * Settings come from Grafana's defaults, then the ini file, then
 * GF_<SECTION>_<KEY> environment variables, then cfg: arguments.
 */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <sqlite3.h>

#include "core/healthcheck.h"
#include "core/http.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "dash/dash.h"

extern char **environ;

#ifndef CAIRN_DASH_UI_DIR
#define CAIRN_DASH_UI_DIR "/usr/share/cairn-dash/ui"
#endif

static void usage(FILE *out)
{
    fprintf(out,
            "usage: cairn-dash [--config=FILE] [--homepath=DIR] [cfg:section.key=value ...]\n"
            "       cairn-dash healthcheck [same flags]   GET /api/health of the server that\n"
            "                     this configuration starts: exit 0 on 200 (the image's check)\n"
            "\n"
            "A Grafana-compatible dashboard server. Configuration is read as Grafana reads it:\n"
            "defaults, then the ini file given with --config, then GF_<SECTION>_<KEY>\n"
            "environment variables, then cfg: arguments (cfg:server.http_port=3001).\n"
            "\n"
            "  --config=FILE      ini configuration file (Grafana's format)\n"
            "  --homepath=DIR     accepted for compatibility; provisioning is read from\n"
            "                     paths.provisioning\n"
            "  --ui-dir=DIR       the web UI's files (default: $CAIRN_DASH_UI_DIR or %s)\n"
            "  --log.level=LEVEL  error, warn, info (default), debug\n"
            "  --version          print the version\n"
            "  -h, --help         this help\n"
            "\n"
            "Environment: GF_SECURITY_ADMIN_USER, GF_SECURITY_ADMIN_PASSWORD, GF_PATHS_DATA,\n"
            "GF_PATHS_PROVISIONING, GF_SERVER_HTTP_ADDR, GF_SERVER_HTTP_PORT, GF_SERVER_ROOT_URL,\n"
            "GF_SERVER_SERVE_FROM_SUB_PATH, GF_AUTH_ANONYMOUS_ENABLED, ... (docs/dash.md);\n"
            "CAIRN_DASH_DATASOURCES and CAIRN_DASH_DASHBOARDS hold provisioning files' text.\n",
            CAIRN_DASH_UI_DIR);
}

static int apply_cfg_arg(struct dash_conf *c, const char *arg, struct diag *d)
{
    /* cfg:default.server.http_port=3001 or cfg:server.http_port=3001 */
    const char *s = arg + 4, *eq = strchr(s, '='), *dot;
    char section[128], key[128];
    if (strncmp(s, "default.", 8) == 0)
        s += 8;
    dot = NULL;
    for (const char *p = s; eq && p < eq; p++)
        if (*p == '.')
            dot = p;
    if (!eq || !dot || (size_t)(dot - s) >= sizeof(section) ||
        (size_t)(eq - dot - 1) >= sizeof(key)) {
        diag_error(d, NULL, "%s: expected cfg:section.key=value", arg);
        return -1;
    }
    snprintf(section, sizeof(section), "%.*s", (int)(dot - s), s);
    snprintf(key, sizeof(key), "%.*s", (int)(eq - dot - 1), dot + 1);
    return dash_conf_set(c, section, key, eq + 1, NULL, d);
}

/* `cairn-dash healthcheck`: GET /api/health where this configuration listens (a wildcard
 * address on loopback; /api/health answers beside the sub path) (core/healthcheck.h). */
static int healthcheck(const struct dash_conf *c, struct diag *d)
{
    char listen[300], url[512];
    int rc = 1;

    snprintf(listen, sizeof(listen), strchr(c->http_addr, ':') ? "[%s]:%u" : "%s:%u", c->http_addr,
             c->http_port);
    http_global_init();
    if (healthcheck_url(url, sizeof(url), listen, NULL, "/api/health", d) == 0 &&
        healthcheck_probe(url, 5000, d) == 0) {
        printf("%s: healthy\n", url);
        diag_clear(d);
        rc = 0;
    }
    http_global_cleanup();
    return rc;
}

int main(int argc, char **argv)
{
    static struct dash g;
    struct diag d;
    struct httpd_options o = {0};
    const char *config = NULL, *ui = getenv("CAIRN_DASH_UI_DIR");
    char listen[300];
    sigset_t set;
    int sig, rc = 1, i, probe = argc > 1 && strcmp(argv[1], "healthcheck") == 0;

    /* One malloc arena per connection thread would keep each thread's freed request
     * memory resident; two arenas keep the daemon small (goal: under 20 MB). */
    mallopt(M_ARENA_MAX, 2);
    diag_init(&d);
    log_set_level(LOGLVL_INFO);
    dash_conf_defaults(&g.conf);
    for (i = 1 + probe; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0 || strcmp(a, "-help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--version") == 0 || strcmp(a, "-v") == 0) {
            printf("cairn-dash %s\n", CAIRN_VERSION);
            return 0;
        } else if (strncmp(a, "--config=", 9) == 0 || strncmp(a, "-config=", 8) == 0) {
            config = strchr(a, '=') + 1;
        } else if ((strcmp(a, "--config") == 0 || strcmp(a, "-config") == 0) && i + 1 < argc) {
            config = argv[++i];
        } else if (strncmp(a, "--homepath", 10) == 0 || strncmp(a, "-homepath", 9) == 0) {
            if (!strchr(a, '=') && i + 1 < argc)
                i++;
        } else if (strncmp(a, "--ui-dir=", 9) == 0) {
            ui = a + 9;
        } else if (strncmp(a, "--log.level=", 12) == 0) {
            int l = log_parse_level(a + 12);
            if (l < 0) {
                fprintf(stderr, "cairn-dash: unknown log level %s\n", a + 12);
                return 2;
            }
            log_set_level((enum log_level)l);
        } else if (strncmp(a, "cfg:", 4) == 0) {
            continue; /* after the file and the environment */
        } else {
            fprintf(stderr, "cairn-dash: unknown argument %s (see --help)\n", a);
            return 2;
        }
    }
    if (config && dash_conf_load_ini(&g.conf, config, &d) < 0)
        goto out;
    if (dash_conf_load_env(&g.conf, environ, &d) < 0)
        goto out;
    for (i = 1; i < argc; i++)
        if (strncmp(argv[i], "cfg:", 4) == 0 && apply_cfg_arg(&g.conf, argv[i], &d) < 0)
            goto out;
    if (dash_conf_finish(&g.conf, &d) < 0)
        goto out;
    if (probe) {
        rc = healthcheck(&g.conf, &d);
        goto out;
    }
    g.conf.ui_dir = xstrdup(ui ? ui : CAIRN_DASH_UI_DIR);
    snprintf(g.version, sizeof(g.version), "%s", CAIRN_VERSION);
    pthread_mutex_init(&g.dblock, NULL);
    pthread_mutex_init(&g.lock, NULL);
    http_global_init();

    if (dash_db_open(&g, &d) < 0 || dash_auth_ensure_admin(&g, &d) < 0)
        goto out;
    /* The admin's password is stored hashed; the plain text goes now. */
    OPENSSL_cleanse(g.conf.admin_password, strlen(g.conf.admin_password));
    if (dash_prov_load(&g, &d) < 0)
        goto out;

    if (strchr(g.conf.http_addr, ':'))
        snprintf(listen, sizeof(listen), "[%s]:%u", g.conf.http_addr, g.conf.http_port);
    else
        snprintf(listen, sizeof(listen), "%s:%u", g.conf.http_addr, g.conf.http_port);
    o.listen = listen;
    o.prefix = g.conf.sub_path;
    o.prefix_optional = 1; /* as Grafana: /api/health answers beside /grafana/api/health */
    o.routes = dash_routes;
    o.nroutes = dash_nroutes;
    o.ctx = &g;
    o.not_found = dash_not_found;
    o.max_body = 8u << 20;
    o.server_name = "cairn-dash";
    o.request_timeout_ms = (unsigned)g.conf.query_timeout_s * 1000;

    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* before threads start: they inherit it */
    signal(SIGPIPE, SIG_IGN);
    g.http = httpd_new(&o, &d);
    if (!g.http || httpd_start(g.http, &d) < 0)
        goto out;
    dash_prov_watch(&g);
    log_info("cairn-dash %s: listening on %s (port %u)%s%s", g.version, listen, httpd_port(g.http),
             *g.conf.sub_path ? ", under " : "", g.conf.sub_path);
    sigwait(&set, &sig);
    log_info("cairn-dash: %s, shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    httpd_stop(g.http, 10000);
    rc = 0;
out:
    if (diag_has_errors(&d))
        diag_print(&d, stderr, "cairn-dash");
    httpd_free(g.http);
    dash_prov_unwatch(&g);
    dash_db_close(&g);
    free(g.attempts);
    dash_conf_release(&g.conf);
    diag_release(&d);
    http_global_cleanup();
    return rc;
}
