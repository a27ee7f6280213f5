/*
 * httpd internals shared by the files of src/httpd (not for daemons: they
 * use httpd.h only, so the layout here can change freely).
 */
#ifndef CAIRN_HTTPD_IMPL_H
#define CAIRN_HTTPD_IMPL_H

#include <pthread.h>
#include <stdint.h>

#include "httpd/httpd.h"

struct MHD_Connection;

#define HTTPD_MAX_PARAMS 8

struct httpd_resp {
    struct arena *arena;
    int status;
    struct httpd_kv *headers;
    size_t nheaders, aheaders;
    struct strbuf body;
    const void *static_data; /* set by httpd_resp_static() */
    size_t static_len;
};

struct httpd_req {
    struct arena arena;
    struct httpd *server;
    struct MHD_Connection *conn;
    const char *method;
    const char *uri;          /* as received */
    const char *path;         /* decoded, prefix removed */
    const char *query_string; /* raw, after '?' */
    const char *pattern;
    const char *prefix;
    long route; /* index into the table, -1 none */
    struct httpd_kv params[HTTPD_MAX_PARAMS];
    size_t nparams;
    struct httpd_kv *query;
    size_t nquery;
    struct httpd_kv *form;
    size_t nform;
    struct strbuf body;
    int too_large;   /* body beyond the cap: drained and answered 413 */
    int dispatched;  /* response queued */
    int counted;     /* in-flight counter taken */
    char remote[64]; /* client address */
    int64_t start_ms, deadline_ms;
    struct httpd_resp resp;
};

/* Counter cell: one per (route, status). */
struct httpd_stat {
    long route; /* -1: no route matched */
    int status;
    uint64_t count;
    double seconds;
};

struct httpd {
    struct httpd_options opt;
    char *prefix; /* normalised: "" or "/x" without trailing '/' */
    char *listen;
    int fd; /* listening socket until handed to libmicrohttpd */
    unsigned port;
    struct MHD_Daemon *mhd;
    int stopped;
    pthread_mutex_t lock; /* guards stats and inflight */
    pthread_cond_t idle;
    unsigned inflight;
    struct httpd_stat *stats;
    size_t nstats, astats;
};

int64_t httpd_now_ms(void);
void httpd_req_setup(struct httpd_req *req, struct httpd *h, const char *uri);
void httpd_req_release(struct httpd_req *req);
/* Parse the form body when its Content-Type says urlencoded. */
void httpd_req_parse_form(struct httpd_req *req, const char *content_type);
void httpd_resp_init(struct httpd_resp *resp, struct arena *a);
void httpd_resp_release(struct httpd_resp *resp);
void httpd_stats_add(struct httpd *h, long route, int status, double seconds);

#endif
