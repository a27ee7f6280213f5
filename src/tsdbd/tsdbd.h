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
    const char *config_name; /* where it came from, for diagnostics */
    struct scraper *scraper; /* NULL without a configuration */
    double start_time;
    uint64_t rw_requests, rw_samples, rw_rejected, rw_failed;
};

extern const struct httpd_route tsdbd_routes[];
extern const size_t tsdbd_nroutes;
void tsdbd_not_found(struct httpd_req *req, struct httpd_resp *resp, void *ctx);

#endif
