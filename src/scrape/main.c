/*
 * cairn-scrape: the standalone scraper. Reads a Prometheus configuration,
 * scrapes its targets and sends every sample by remote write; serves its own
 * /metrics, /-/healthy, /-/ready and /-/reload. SIGHUP reloads, SIGTERM
 * flushes the queues and exits. Flags are Prometheus's where one exists.
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "core/diag.h"
#include "core/http.h"
#include "core/log.h"
#include "core/strbuf.h"
#include "core/xmalloc.h"
#include "httpd/httpd.h"
#include "metrics/expo.h"
#include "metrics/expo_write.h"
#include "metrics/labels.h"
#include "scrape/promcfg.h"
#include "scrape/rwsend.h"
#include "scrape/scrapeloop.h"

#define FLUSH_MS 60000 /* Prometheus's default flush deadline on shutdown */

struct opts {
    const char *config_file;
    const char *listen;
    const char *check_config;
    const char *dns_server;
    const char *log_level;
    int check_metrics, openmetrics, help, version;
};

struct flag {
    const char *name;
    int takes_value;
    size_t off;
    const char *help;
};

#define OPT(f) offsetof(struct opts, f)

static const struct flag flags[] = {
    {"config.file", 1, OPT(config_file), "Prometheus configuration file path (prometheus.yml)."},
    {"web.listen-address", 1, OPT(listen),
     "Address to listen on for /metrics and the lifecycle endpoints (127.0.0.1:9091)."},
    {"check-config", 1, OPT(check_config),
     "Validate a configuration file and exit: 0 if valid, 1 with located errors."},
    {"check-metrics", 0, OPT(check_metrics),
     "Parse one exposition from standard input and exit: 0 if valid, 1 with the error."},
    {"openmetrics", 0, OPT(openmetrics), "With --check-metrics: the input is OpenMetrics 1.0."},
    {"discovery.dns-server", 1, OPT(dns_server),
     "cairn extension: DNS server (ip:port) for dns_sd_configs instead of /etc/resolv.conf; "
     "also CAIRN_DNS_SERVER."},
    {"log.level", 1, OPT(log_level),
     "Only log messages with the given severity or above: debug, "
     "info, warn, error (info)."},
    {"web.enable-lifecycle", 0, 0, "Accepted for compatibility: /-/reload is always enabled."},
    {"help", 0, OPT(help), "Show this help and exit."},
    {"version", 0, OPT(version), "Show the version and exit."},
};
#define NFLAGS (sizeof(flags) / sizeof(flags[0]))

static void usage(FILE *out)
{
    fprintf(out, "usage: cairn-scrape [<flags>]\n\n"
                 "Scrape Prometheus targets and send the samples by remote write.\n\nFlags:\n");
    for (size_t i = 0; i < NFLAGS; i++)
        fprintf(out, "  --%s%s\n      %s\n", flags[i].name, flags[i].takes_value ? "=VALUE" : "",
                flags[i].help);
}

static int parse_flags(int argc, char **argv, struct opts *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *eq;
        size_t nlen, k;

        if (strncmp(a, "--", 2) != 0 && !(a[0] == '-' && a[1] && a[1] != '-')) {
            fprintf(stderr, "cairn-scrape: error: unexpected argument '%s'\n", a);
            return -1;
        }
        a += a[1] == '-' ? 2 : 1;
        eq = strchr(a, '=');
        nlen = eq ? (size_t)(eq - a) : strlen(a);
        for (k = 0; k < NFLAGS; k++)
            if (strlen(flags[k].name) == nlen && !strncmp(flags[k].name, a, nlen))
                break;
        if (k == NFLAGS) {
            fprintf(stderr, "cairn-scrape: error: unknown long flag '--%.*s'\n", (int)nlen, a);
            return -1;
        }
        if (flags[k].takes_value) {
            const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
            if (!v) {
                fprintf(stderr, "cairn-scrape: error: expected argument for flag '--%s'\n",
                        flags[k].name);
                return -1;
            }
            *(const char **)((char *)o + flags[k].off) = v;
        } else if (flags[k].off || !strcmp(flags[k].name, "config.file")) {
            *(int *)((char *)o + flags[k].off) = 1;
        }
    }
    return 0;
}

static int check_config(const char *path)
{
    struct promcfg c;
    struct diag d;
    int rc;

    promcfg_init(&c);
    diag_init(&d);
    rc = promcfg_load_file(&c, path, &d);
    diag_print(&d, stderr, "cairn-scrape");
    if (rc == 0)
        printf("%s: SUCCESS: %zu scrape configs, %zu remote_write\n", path, c.njobs, c.nrws);
    diag_release(&d);
    promcfg_release(&c);
    return rc == 0 ? 0 : 1;
}

static int check_metrics(int openmetrics)
{
    struct strbuf sb;
    struct diag d;
    char buf[65536];
    size_t n;
    int rc;

    strbuf_init(&sb, 256u << 20);
    while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0) {
        if (strbuf_add(&sb, buf, n) < 0) {
            fprintf(stderr, "cairn-scrape: error: input larger than 256 MiB\n");
            return 1;
        }
    }
    diag_init(&d);
    rc = expo_check(sb.buf, sb.len, openmetrics ? EXPO_OPENMETRICS : EXPO_TEXT, &d, "<stdin>");
    diag_print(&d, stderr, "cairn-scrape");
    diag_release(&d);
    strbuf_release(&sb);
    return rc == 0 ? 0 : 1;
}

/* ---- the daemon ---- */

struct daemon {
    struct opts o;
    struct scrapeloop *loop;
    struct rwsend_fanout *fan;
    struct promcfg *rwcfg; /* the configuration the senders borrow relabel rules from */
    pthread_mutex_t reload_mu;
    struct httpd *http;
};

static struct promcfg *load(const char *path, struct diag *d)
{
    struct promcfg *c = xmalloc(sizeof(*c));

    promcfg_init(c);
    if (promcfg_load_file(c, path, d) < 0) {
        promcfg_release(c);
        free(c);
        return NULL;
    }
    return c;
}

/* Load, build senders, swap. Old senders flush while the new ones take over. */
static int apply_config(struct daemon *dm, struct diag *d)
{
    struct promcfg *scfg, *rcfg;
    struct rwsend **w, **old = NULL;
    size_t nold = 0;

    pthread_mutex_lock(&dm->reload_mu);
    scfg = load(dm->o.config_file, d);
    rcfg = scfg ? load(dm->o.config_file, d) : NULL;
    if (!rcfg) {
        if (scfg) {
            promcfg_release(scfg);
            free(scfg);
        }
        pthread_mutex_unlock(&dm->reload_mu);
        return -1;
    }
    w = xcalloc(rcfg->nrws + 1, sizeof(*w));
    for (size_t i = 0; i < rcfg->nrws; i++) {
        w[i] = rwsend_new(&rcfg->rws[i], &rcfg->external_labels, d);
        if (!w[i] || rwsend_start(w[i], d) < 0) {
            for (size_t k = 0; k <= i; k++)
                rwsend_free(w[k], 0);
            free(w);
            promcfg_release(scfg);
            free(scfg);
            promcfg_release(rcfg);
            free(rcfg);
            pthread_mutex_unlock(&dm->reload_mu);
            return -1;
        }
    }
    rwsend_fanout_set(dm->fan, w, rcfg->nrws, &old, &nold);
    scrapeloop_apply(dm->loop, scfg);
    for (size_t i = 0; i < nold; i++)
        rwsend_free(old[i], FLUSH_MS);
    free(old);
    if (dm->rwcfg) {
        promcfg_release(dm->rwcfg);
        free(dm->rwcfg);
    }
    dm->rwcfg = rcfg;
    pthread_mutex_unlock(&dm->reload_mu);
    log_info("msg=\"Completed loading of configuration file\" filename=%s", dm->o.config_file);
    return 0;
}

static void h_healthy(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    httpd_resp_text(resp, 200, "text/plain; charset=utf-8", "Prometheus Server is Healthy.\n");
}

static void h_ready(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    struct daemon *dm = ctx;
    if (scrapeloop_ready(dm->loop))
        httpd_resp_text(resp, 200, "text/plain; charset=utf-8", "Prometheus Server is Ready.\n");
    else
        httpd_resp_text(resp, 503, "text/plain; charset=utf-8", "Service Unavailable");
}

static void h_reload(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    struct daemon *dm = ctx;
    struct diag d;

    diag_init(&d);
    if (apply_config(dm, &d) < 0) {
        log_error("msg=\"Error reloading config\" err=\"%s\"", diag_last(&d));
        httpd_resp_text(resp, 500, "text/plain; charset=utf-8", "failed to reload config: %s\n",
                        diag_last(&d));
    } else {
        httpd_resp_status(resp, 200);
    }
    diag_release(&d);
}

/* Our own metrics through the metrics library's writer (text format 0.0.4). */
static void family(struct expo_writer *w, const char *name, enum expo_mtype type, const char *help)
{
    expo_write_family(w, name, type, help, NULL);
}

static void counter(struct expo_writer *w, const char *name, const char *help, double v)
{
    family(w, name, EXPO_COUNTER, help);
    expo_write_sample(w, name, NULL, v, NULL, NULL);
}

static void gauge(struct expo_writer *w, const char *name, const char *help, double v)
{
    family(w, name, EXPO_GAUGE, help);
    expo_write_sample(w, name, NULL, v, NULL, NULL);
}

struct rw_render {
    struct expo_writer *w;
    size_t field;
    const char *name;
};

static void rw_sample(struct rwsend *s, void *arg)
{
    struct rw_render *r = arg;
    struct rwsend_stats st;
    double v;

    rwsend_get_stats(s, &st);
    if (r->field == offsetof(struct rwsend_stats, highest_sent_ms))
        v = (double)st.highest_sent_ms / 1000.0;
    else
        v = (double)*(uint64_t *)((char *)&st + r->field);
    struct label l[2] = {{"remote_name", rwsend_name(s)}, {"url", rwsend_url(s)}};
    struct labels ls = {l, 2};
    expo_write_sample(r->w, r->name, &ls, v, NULL, NULL);
}

static void h_metrics(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    static const struct {
        const char *name, *help;
        size_t field;
        enum expo_mtype type;
    } rw[] = {
        {"prometheus_remote_storage_samples_total",
         "Total number of samples sent to remote storage.", offsetof(struct rwsend_stats, sent),
         EXPO_COUNTER},
        {"prometheus_remote_storage_samples_failed_total",
         "Total number of samples which failed on send to remote storage, non-recoverable errors.",
         offsetof(struct rwsend_stats, failed), EXPO_COUNTER},
        {"prometheus_remote_storage_samples_retried_total",
         "Total number of samples which failed on send to remote storage but were retried because "
         "the send error was recoverable.",
         offsetof(struct rwsend_stats, retried), EXPO_COUNTER},
        {"prometheus_remote_storage_samples_dropped_total",
         "Total number of samples which were dropped because the queue was full.",
         offsetof(struct rwsend_stats, dropped), EXPO_COUNTER},
        {"prometheus_remote_storage_samples_pending",
         "The number of samples pending in the queues shards to be sent to the remote storage.",
         offsetof(struct rwsend_stats, pending), EXPO_GAUGE},
        {"prometheus_remote_storage_bytes_total",
         "The total number of bytes of data (not metadata) sent by the queue after compression.",
         offsetof(struct rwsend_stats, bytes), EXPO_COUNTER},
        {"prometheus_remote_storage_queue_highest_sent_timestamp_seconds",
         "Timestamp from a WAL sample, the highest timestamp successfully sent by this queue, in "
         "seconds since epoch.",
         offsetof(struct rwsend_stats, highest_sent_ms), EXPO_GAUGE},
    };
    struct daemon *dm = ctx;
    struct scrapeloop_stats st;
    struct strbuf *out = httpd_resp_body(resp);
    struct expo_writer w;

    scrapeloop_get_stats(dm->loop, &st);
    expo_write_init(&w, out, EXPO_TEXT);
    counter(&w, "prometheus_target_scrapes_exceeded_body_size_limit_total",
            "Total number of scrapes that hit the body size limit",
            (double)st.exceeded_body_size_limit);
    counter(&w, "prometheus_target_scrapes_exceeded_sample_limit_total",
            "Total number of scrapes that hit the sample limit and were rejected.",
            (double)st.exceeded_sample_limit);
    counter(&w, "prometheus_target_scrapes_sample_duplicate_timestamp_total",
            "Total number of scrapes with samples rejected due to duplicate timestamps but "
            "different values.",
            (double)st.sample_duplicate_timestamp);
    counter(&w, "prometheus_config_reloads_total", "Configuration reloads applied.",
            (double)st.reloads);
    counter(&w, "cairn_scrape_scrapes_total", "Scrapes completed, successful or not.",
            (double)st.scrapes);
    counter(&w, "cairn_scrape_scrape_failures_total",
            "Scrapes that failed (connection, timeout, status, parse, limits).",
            (double)st.scrape_failures);
    counter(&w, "cairn_scrape_samples_appended_total", "Samples appended after metric relabeling.",
            (double)st.samples_appended);
    gauge(&w, "cairn_scrape_targets", "Targets being scraped.", (double)st.targets);
    for (size_t i = 0; i < sizeof(rw) / sizeof(rw[0]); i++) {
        struct rw_render r = {&w, rw[i].field, rw[i].name};
        family(&w, rw[i].name, rw[i].type, rw[i].help);
        rwsend_fanout_each(dm->fan, rw_sample, &r);
    }
    expo_write_end(&w);
    httpd_stats_write(dm->http, out, "prometheus_http_requests_total", NULL);
    httpd_resp_header(resp, "Content-Type", expo_content_type(EXPO_TEXT));
}

static const struct httpd_route routes[] = {
    {"GET", "/metrics", h_metrics},  {"GET", "/-/healthy", h_healthy}, {"GET", "/-/ready", h_ready},
    {"POST", "/-/reload", h_reload}, {"PUT", "/-/reload", h_reload},
};

static int run(struct daemon *dm)
{
    struct httpd_options ho = {0};
    struct diag d;
    sigset_t set;
    int rc = 1;

    diag_init(&d);
    /* Signals go to this thread only: block them before any thread starts. */
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    http_global_init();
    pthread_mutex_init(&dm->reload_mu, NULL);
    dm->fan = rwsend_fanout_new();
    dm->loop = scrapeloop_new(rwsend_fanout_appender(dm->fan), dm->o.dns_server);
    scrapeloop_keep_metadata(dm->loop, 0); /* no metadata API, none sent */
    if (apply_config(dm, &d) < 0) {
        diag_print(&d, stderr, "cairn-scrape");
        goto out;
    }
    if (scrapeloop_start(dm->loop, &d) < 0)
        goto out;
    ho.listen = dm->o.listen;
    ho.routes = routes;
    ho.nroutes = sizeof(routes) / sizeof(routes[0]);
    ho.ctx = dm;
    ho.server_name = "cairn-scrape";
    dm->http = httpd_new(&ho, &d);
    if (!dm->http || httpd_start(dm->http, &d) < 0) {
        diag_print(&d, stderr, "cairn-scrape");
        goto out;
    }
    log_info("msg=\"Server is ready to receive web requests.\" address=%s", dm->o.listen);
    for (;;) {
        int sig = sigwaitinfo(&set, NULL);
        if (sig == SIGHUP) {
            diag_clear(&d);
            if (apply_config(dm, &d) < 0)
                log_error("msg=\"Error reloading config\" err=\"%s\"", diag_last(&d));
        } else if (sig == SIGTERM || sig == SIGINT) {
            log_info("msg=\"Received SIGTERM, exiting gracefully...\"");
            break;
        }
    }
    rc = 0;
out:
    if (dm->http) {
        httpd_stop(dm->http, 2000);
        httpd_free(dm->http);
    }
    scrapeloop_free(dm->loop);             /* stop scraping first: no more appends */
    rwsend_fanout_free(dm->fan, FLUSH_MS); /* then flush what is queued */
    if (dm->rwcfg) {
        promcfg_release(dm->rwcfg);
        free(dm->rwcfg);
    }
    pthread_mutex_destroy(&dm->reload_mu);
    diag_release(&d);
    http_global_cleanup();
    return rc;
}

int main(int argc, char **argv)
{
    struct daemon dm;

    memset(&dm, 0, sizeof(dm));
    /*
     * Every scrape allocates and frees about the same memory as the last one:
     * keep it instead of returning it to the kernel and faulting it back in.
     */
    mallopt(M_TRIM_THRESHOLD, 16 << 20);
    mallopt(M_MMAP_THRESHOLD, 4 << 20);
    mallopt(M_ARENA_MAX, 2);
    dm.o.config_file = "prometheus.yml";
    dm.o.listen = "127.0.0.1:9091";
    dm.o.dns_server = getenv("CAIRN_DNS_SERVER");
    if (parse_flags(argc, argv, &dm.o) < 0) {
        fprintf(stderr, "cairn-scrape: see --help\n");
        return 2;
    }
    if (dm.o.help) {
        usage(stdout);
        return 0;
    }
    if (dm.o.version) {
        printf("cairn-scrape, version %s\n", CAIRN_VERSION);
        return 0;
    }
    if (dm.o.log_level) {
        int l = log_parse_level(dm.o.log_level);
        if (l < 0) {
            fprintf(stderr, "cairn-scrape: error: unknown log level '%s'\n", dm.o.log_level);
            return 2;
        }
        log_set_level((enum log_level)l);
    }
    if (dm.o.check_config)
        return check_config(dm.o.check_config);
    if (dm.o.check_metrics)
        return check_metrics(dm.o.openmetrics);
    return run(&dm);
}
