/*
 * cairn-tsdb: a Prometheus-compatible TSDB daemon (remote-write in, the
 * Prometheus HTTP API out, Prometheus's data directory format), and the
 * `cairn-tsdb tsdb ...` tools. Flags are Prometheus's (flags.c).
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/healthcheck.h"
#include "core/http.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "tsdb/compact.h"
#include "tsdb/fsutil.h"
#include "tsdbd/scraper.h"
#include "tsdbd/tool.h"
#include "tsdbd/tsdbd.h"

/* Set by the main thread, which alone takes the signals (sigwaitinfo). */
static volatile sig_atomic_t stop_requested;

static void logfmt(const char *level, const char *msg, const char *kv)
{
    struct timespec ts;
    struct tm tm;
    char when[64];
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    fprintf(stderr, "level=%s ts=%s.%03ldZ caller=main.c msg=\"%s\"%s%s\n", level, when,
            ts.tv_nsec / 1000000, msg, kv ? " " : "", kv ? kv : "");
}

static void *compactor(void *arg)
{
    struct tsdbd *t = arg;
    /* Prometheus checks every minute; a check costs little, so every second. */
    while (!stop_requested) {
        for (int i = 0; i < 10 && !stop_requested; i++)
            usleep(100000);
        if (stop_requested)
            break;
        struct diag d;
        diag_init(&d);
        if (compact_run(t->db, &d) != 0) {
            char kv[1024];
            snprintf(kv, sizeof kv, "err=\"%s\"", diag_last(&d));
            logfmt("error", "compaction failed", kv);
        }
        diag_release(&d);
    }
    return NULL;
}

/*
 * The scrape configuration: CAIRN_SCRAPE_CONFIG's text when set (the stack
 * passes it so, see scraper.h), else --config.file when given; *text stays
 * NULL without either.
 */
static int read_config(const struct tsdbd *t, char **text, size_t *n, const char **name,
                       struct diag *d)
{
    const char *env = getenv("CAIRN_SCRAPE_CONFIG");
    *text = NULL;
    *n = 0;
    if (env && *env) {
        *text = xstrdup(env);
        *n = strlen(*text);
        *name = "CAIRN_SCRAPE_CONFIG";
        return 0;
    }
    if (!t->flags.config_given)
        return 0;
    *name = t->flags.config_file;
    return fsutil_read_file(t->flags.config_file, text, n, d);
}

/* Kept for /api/v1/status/config, which HTTP threads read under the lock. */
static void set_config(struct tsdbd *t, char *text, size_t n, const char *name)
{
    pthread_mutex_lock(&t->config_lock);
    free(t->config_text);
    t->config_text = text;
    t->config_len = n;
    t->config_name = name;
    pthread_mutex_unlock(&t->config_lock);
}

static int start_scraping(struct tsdbd *t, struct diag *d)
{
    if (!t->config_text)
        return 0;
    const char *dns = getenv("CAIRN_DNS_SERVER");
    struct scraper *s = scraper_new(t->db, dns && *dns ? dns : NULL);
    if (scraper_load(s, t->config_name, t->config_text, t->config_len, d) != 0 ||
        scraper_start(s, d) != 0) {
        scraper_free(s);
        return -1;
    }
    __atomic_store_n(&t->scraper, s, __ATOMIC_RELEASE); /* HTTP threads may look now */
    return 0;
}

/*
 * SIGHUP and POST /-/reload, as Prometheus: re-read the configuration; a bad
 * one keeps the old (-1, the reason in d, also logged).
 */
int tsdbd_reload(struct tsdbd *t, struct diag *d)
{
    char kv[4200];
    char *text = NULL;
    size_t n = 0;
    pthread_mutex_lock(&t->reload_lock);
    const char *name = t->config_name;
    struct scraper *s = tsdbd_scraper(t);
    if (!s) {
        diag_error(d, NULL, "no scrape configuration at start");
        goto fail;
    }
    if (read_config(t, &text, &n, &name, d) != 0)
        goto fail;
    if (!text) {
        diag_error(d, NULL, "no scrape configuration");
        goto fail;
    }
    if (scraper_load(s, name, text, n, d) != 0)
        goto fail;
    set_config(t, text, n, name);
    pthread_mutex_unlock(&t->reload_lock);
    snprintf(kv, sizeof kv, "filename=%s", name);
    logfmt("info", "Completed loading of configuration file", kv);
    return 0;
fail:
    pthread_mutex_unlock(&t->reload_lock);
    free(text);
    /* One line with the place, as Prometheus's "couldn't load configuration" error. */
    for (size_t i = d->n; i > 0; i--) {
        const struct diag_entry *e = &d->v[i - 1];
        if (e->severity != DIAG_ERROR)
            continue;
        if (e->file && e->loc.line)
            diag_error(d, NULL, "couldn't load configuration (--config.file=\"%s\"): %s:%u:%u: %s",
                       name ? name : "", e->file, e->loc.line, e->loc.col, e->msg);
        break;
    }
    snprintf(kv, sizeof kv, "err=\"%s\"", diag_last(d));
    logfmt("error", "Error reloading config", kv);
    return -1;
}

static int run(struct tsdbd *t, const sigset_t *sigs)
{
    struct diag d;
    diag_init(&d);
    int rc = 1;
    pthread_t th;
    int have_thread = 0;
    char kv[4200];
    char *text;
    size_t n;
    const char *name = NULL;
    if (read_config(t, &text, &n, &name, &d) != 0) {
        diag_print(&d, stderr, "cairn-tsdb");
        snprintf(kv, sizeof kv, "err=\"%s\"", diag_last(&d));
        logfmt("error", "Error loading config", kv);
        goto out;
    }
    set_config(t, text, n, name);
    struct db_options o;
    db_options_default(&o);
    o.retention_ms = t->flags.retention_ms;
    o.retention_bytes = t->flags.retention_bytes;
    o.block_range = t->flags.min_block_ms;
    o.wal_compression = t->flags.wal_compression;
    snprintf(kv, sizeof kv, "path=%s retention=%s", t->flags.path, t->flags.retention_time);
    logfmt("info", "Starting TSDB ...", kv);
    if (db_open(&t->db, t->flags.path, &o, &d) != 0) {
        snprintf(kv, sizeof kv, "err=\"%s\"", diag_last(&d));
        logfmt("error", "Opening storage failed", kv);
        goto out;
    }
    logfmt("info", "TSDB started", NULL);
    const char *prefix = t->flags.route_prefix;
    if ((!prefix || !*prefix) && t->flags.external_url && *t->flags.external_url) {
        /* Like Prometheus: the route prefix defaults to the external URL's path. */
        const char *p = strstr(t->flags.external_url, "://");
        p = p ? strchr(p + 3, '/') : NULL;
        prefix = p ? p : "";
    }
    struct httpd_options ho = {0};
    ho.listen = t->flags.listen;
    ho.prefix = prefix;
    ho.routes = tsdbd_routes;
    ho.nroutes = tsdbd_nroutes;
    ho.ctx = t;
    ho.not_found = tsdbd_not_found;
    ho.max_body = 64u << 20;
    ho.server_name = "cairn-tsdb";
    t->httpd = httpd_new(&ho, &d);
    if (!t->httpd || httpd_start(t->httpd, &d) != 0) {
        snprintf(kv, sizeof kv, "err=\"%s\"", diag_last(&d));
        logfmt("error", "Error starting web server", kv);
        goto out;
    }
    snprintf(kv, sizeof kv, "address=%s port=%u", t->flags.listen, httpd_port(t->httpd));
    logfmt("info", "Listening on", kv);
    if (pthread_create(&th, NULL, compactor, t) == 0)
        have_thread = 1;
    if (start_scraping(t, &d) != 0) {
        diag_print(&d, stderr, "cairn-tsdb");
        snprintf(kv, sizeof kv, "err=\"%s\"", diag_last(&d));
        logfmt("error", "Error starting the scrape manager", kv);
        goto out;
    }
    __atomic_store_n(&t->ready, 1, __ATOMIC_RELEASE);
    logfmt("info", "Server is ready to receive web requests.", NULL);
    for (;;) {
        int sig = sigwaitinfo(sigs, NULL);
        if (sig == SIGHUP) {
            struct diag rd;
            diag_init(&rd);
            tsdbd_reload(t, &rd);
            diag_release(&rd);
        } else if (sig == SIGTERM || sig == SIGINT) {
            break;
        }
    }
    if (__atomic_load_n(&t->quit_requested, __ATOMIC_ACQUIRE))
        logfmt("warn", "Received termination request via web service, exiting gracefully...", NULL);
    else
        logfmt("warn", "Received SIGTERM, exiting gracefully...", NULL);
    rc = 0;
out:
    stop_requested = 1;
    if (t->httpd) /* first: handlers read the scraper */
        httpd_stop(t->httpd, 5000);
    scraper_free(t->scraper); /* no appends once the head closes */
    if (have_thread)
        pthread_join(th, NULL);
    if (t->httpd)
        httpd_free(t->httpd);
    db_close(t->db);
    free(t->config_text);
    diag_release(&d);
    if (rc == 0)
        logfmt("info", "See you next time!", NULL);
    return rc;
}

/*
 * `cairn-tsdb healthcheck [<flags>]`: the image's health check (core/healthcheck.h). With the
 * server's flags it GETs /-/healthy where the server listens, under its route prefix.
 */
static int healthcheck(int argc, char **argv)
{
    struct flags f;
    struct diag d;
    char url[512];
    int rc = 1;

    diag_init(&d);
    if (flags_parse(&f, argc, argv, &d) != 0) {
        fprintf(stderr, "cairn-tsdb healthcheck: error: %s, try --help\n", diag_last(&d));
        rc = 2;
        goto out;
    }
    if (f.help) {
        printf("usage: cairn-tsdb healthcheck [<flags>]\n\n"
               "GET /-/healthy from the server the same flags start (--web.listen-address,\n"
               "--web.route-prefix, --web.external-url; a wildcard address is probed on\n"
               "loopback): exit 0 when it answers 200, 1 otherwise. The image's health check.\n");
        rc = 0;
        goto out;
    }
    const char *prefix = f.route_prefix;
    if ((!prefix || !*prefix) && f.external_url && *f.external_url) {
        const char *p = strstr(f.external_url, "://"); /* as run() does */
        p = p ? strchr(p + 3, '/') : NULL;
        prefix = p ? p : "";
    }
    http_global_init();
    if (healthcheck_url(url, sizeof url, f.listen, prefix, "/-/healthy", &d) == 0 &&
        healthcheck_probe(url, 5000, &d) == 0) {
        printf("%s: healthy\n", url);
        rc = 0;
    } else {
        fprintf(stderr, "cairn-tsdb healthcheck: %s\n", diag_last(&d));
    }
    http_global_cleanup();
out:
    diag_release(&d);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "tsdb") == 0)
        return tool_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "healthcheck") == 0)
        return healthcheck(argc - 1, argv + 1);
    struct tsdbd t;
    struct diag d;
    memset(&t, 0, sizeof t);
    pthread_mutex_init(&t.config_lock, NULL);
    pthread_mutex_init(&t.reload_lock, NULL);
    diag_init(&d);
    if (flags_parse(&t.flags, argc, argv, &d) != 0) {
        fprintf(stderr, "cairn-tsdb: error: %s, try --help\n", diag_last(&d));
        diag_release(&d);
        return 2;
    }
    diag_release(&d);
    if (t.flags.help) {
        flags_usage(stdout);
        return 0;
    }
    if (t.flags.version) {
        printf("cairn-tsdb, version %s (Prometheus 2.42 compatible storage and API)\n",
               CAIRN_VERSION);
        return 0;
    }
    /*
     * Every remote-write request allocates and frees megabytes (decoded body,
     * request arena): keep freed memory instead of trimming and faulting it
     * back in on the next request.
     */
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
    mallopt(M_MMAP_THRESHOLD, 256 << 20);
    mallopt(M_TOP_PAD, 64 << 20);
    int lvl = log_parse_level(t.flags.log_level);
    log_set_level(lvl < 0 ? LOGLVL_INFO : (enum log_level)lvl);
    /* Signals go to the main thread only: blocked before any thread starts. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    http_global_init();
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    t.start_time = (double)ts.tv_sec + ts.tv_nsec / 1e9;
    srandom((unsigned)ts.tv_nsec ^ (unsigned)getpid());
    int rc = run(&t, &sigs);
    http_global_cleanup();
    return rc;
}
