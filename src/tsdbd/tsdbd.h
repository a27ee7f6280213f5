/*
 * tsdbd: the cairn-tsdb daemon's shared state and its HTTP API (api.c):
 * remote-write ingestion and the non-PromQL parts of Prometheus's HTTP API,
 * with Prometheus 2.42's JSON envelope and status codes.
 */
#ifndef CAIRN_TSDBD_H
#define CAIRN_TSDBD_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "httpd/httpd.h"
#include "tsdb/db.h"
#include "tsdbd/flags.h"
#include "tsdbd/scraper.h"

struct tsdbd {
    struct flags flags;
    struct db *db;
    struct httpd *httpd;
    pthread_mutex_t config_lock; /* guards config_*: SIGHUP swaps them */
    char *config_text;           /* the scrape configuration, NULL without one */
    size_t config_len;
    const char *config_name;     /* where it came from, for diagnostics */
    struct scraper *scraper;     /* NULL without a configuration; read with tsdbd_scraper() */
    pthread_mutex_t reload_lock; /* one reload at a time: SIGHUP or /-/reload */
    int ready;                   /* set once scraping runs: /-/ready answers 200 */
    int quit_requested;          /* POST /-/quit, for the exit's log line */
    double start_time;
    uint64_t rw_requests, rw_samples, rw_rejected, rw_failed;
};

/* The scraper once started (HTTP threads run before it is), or NULL. */
static inline struct scraper *tsdbd_scraper(struct tsdbd *t)
{
    return __atomic_load_n(&t->scraper, __ATOMIC_ACQUIRE);
}

/* Re-read and apply the scrape configuration, as SIGHUP does (main.c). */
int tsdbd_reload(struct tsdbd *t, struct diag *d);

/* api.c's envelope for the other handler files. */
struct strbuf *tsdbd_ok_begin(struct httpd_resp *resp);
void tsdbd_ok_end(struct strbuf *b);
void tsdbd_bad_data(struct httpd_resp *resp, const char *msg);
/* A label set as the JSON object Prometheus's API writes ({"name":"value",...}). */
struct labels;
void tsdbd_labels_json(struct strbuf *b, const struct labels *ls);

/* apitargets.c: scrape targets, metadata and the lifecycle endpoints. */
void tsdbd_h_targets(struct httpd_req *req, struct httpd_resp *resp, void *ctx);
void tsdbd_h_targets_metadata(struct httpd_req *req, struct httpd_resp *resp, void *ctx);
void tsdbd_h_metadata(struct httpd_req *req, struct httpd_resp *resp, void *ctx);
void tsdbd_h_scrape_pools(struct httpd_req *req, struct httpd_resp *resp, void *ctx);
void tsdbd_h_reload(struct httpd_req *req, struct httpd_resp *resp, void *ctx);
void tsdbd_h_quit(struct httpd_req *req, struct httpd_resp *resp, void *ctx);

extern const struct httpd_route tsdbd_routes[];
extern const size_t tsdbd_nroutes;
void tsdbd_not_found(struct httpd_req *req, struct httpd_resp *resp, void *ctx);

#endif
