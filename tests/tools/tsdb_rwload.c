/*
 * tsdb_rwload: the benchmark's remote-write load (tools/bench/tsdb). Series
 * shaped like a Node.js service instrumented with prom-client: per
 * instance, process and nodejs gauges and counters, and
 * http_request_duration_seconds histograms (12 buckets, _sum, _count) per
 * route, method and status code: 500 series per instance. Every THREADS
 * sender owns a slice of the instances and walks the simulated hours at
 * STEP_S, posting SERIES_PER_REQ series per request as fast as the server
 * answers. Deterministic: two servers get the same stream.
 *
 *   tsdb_rwload URL INSTANCES HOURS STEP_S START_MS THREADS SERIES_PER_REQ
 *
 * Prints "samples=N seconds=S failed=F".
 */
#include <curl/curl.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/diag.h"
#include "core/strbuf.h"
#include "core/xmalloc.h"
#include "metrics/remotewrite.h"

#define PER_INSTANCE 500

static const char *url;
static int ninst, nthreads, per_req;
static int64_t start_ms, step_ms, nsteps;
/* Senders move through simulated time together, so no series falls more than a step
 * behind the others (a lagging sender's samples would be out of bounds). */
static pthread_barrier_t step_barrier;

struct series_def {
    struct label lv[8];
    size_t n;
    int kind; /* 0 gauge (bytes), 1 counter, 2 bucket, 3 float gauge */
    double base;
};

static const char *routes[] = {"/", "/api/users", "/api/orders", "/api/items", "/health"};
static const char *methods[] = {"GET", "POST"};
static const char *codes[] = {"200", "404", "500"};
static const char *les[] = {"0.005", "0.01", "0.025", "0.05", "0.1", "0.25",
                            "0.5",   "1",    "2.5",   "5",    "10",  "+Inf"};

static char *sdup(const char *s)
{
    return xstrdup(s);
}

/* The 500 series of instance i. */
static struct series_def *make_instance(int i, size_t *n)
{
    struct series_def *v = xcalloc(PER_INSTANCE, sizeof *v);
    char inst[64];
    snprintf(inst, sizeof inst, "10.0.%d.%d:3000", i / 250, i % 250);
    char *instance = sdup(inst);
    size_t k = 0;
    static const char *gauges[] = {"nodejs_heap_size_used_bytes",  "nodejs_heap_size_total_bytes",
                                   "nodejs_external_memory_bytes", "process_resident_memory_bytes",
                                   "nodejs_active_handles_total",  "nodejs_active_requests_total"};
    for (size_t g = 0; g < 6; g++) {
        struct series_def *s = &v[k++];
        s->lv[0] = (struct label){"__name__", gauges[g]};
        s->lv[1] = (struct label){"instance", instance};
        s->lv[2] = (struct label){"job", "api"};
        s->n = 3;
        s->kind = g < 4 ? 0 : 3;
        s->base = g < 4 ? 5e7 * (g + 1) : 10;
    }
    struct series_def *s = &v[k++];
    s->lv[0] = (struct label){"__name__", "process_cpu_seconds_total"};
    s->lv[1] = (struct label){"instance", instance};
    s->lv[2] = (struct label){"job", "api"};
    s->n = 3;
    s->kind = 1;
    for (size_t r = 0; r < 5 && k < PER_INSTANCE; r++)
        for (size_t m = 0; m < 2; m++)
            for (size_t c = 0; c < 3; c++) {
                for (size_t b = 0; b < 14 && k < PER_INSTANCE; b++) {
                    s = &v[k++];
                    const char *name = b < 12    ? "http_request_duration_seconds_bucket"
                                       : b == 12 ? "http_request_duration_seconds_sum"
                                                 : "http_request_duration_seconds_count";
                    size_t l = 0;
                    s->lv[l++] = (struct label){"__name__", name};
                    s->lv[l++] = (struct label){"instance", instance};
                    s->lv[l++] = (struct label){"job", "api"};
                    if (b < 12)
                        s->lv[l++] = (struct label){"le", les[b]};
                    s->lv[l++] = (struct label){"method", methods[m]};
                    s->lv[l++] = (struct label){"route", routes[r]};
                    s->lv[l++] = (struct label){"status_code", codes[c]};
                    s->n = l;
                    s->kind = b == 12 ? 3 : 2;
                    s->base = (double)(b + 1) / (c + 1);
                }
            }
    /* Fill up to 500 with nodejs_gc_duration_seconds-like summaries. */
    for (int q = 0; k < PER_INSTANCE; q++) {
        char qs[32];
        snprintf(qs, sizeof qs, "%d", q);
        s = &v[k++];
        s->lv[0] = (struct label){"__name__", "nodejs_eventloop_lag_seconds"};
        s->lv[1] = (struct label){"instance", instance};
        s->lv[2] = (struct label){"job", "api"};
        s->lv[3] = (struct label){"shard", sdup(qs)};
        s->n = 4;
        s->kind = 3;
        s->base = 0.001;
    }
    *n = k;
    return v;
}

static double value(const struct series_def *s, int inst, int64_t step, size_t idx)
{
    uint64_t h = (uint64_t)inst * 1000003u + idx * 7919u + (uint64_t)step * 104729u;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    switch (s->kind) {
    case 0:
        return floor(s->base + (double)(h % 4096) * 1024);
    case 1:
        return (double)step * 0.15 + (double)(h % 100) / 1000.0 + 0.0;
    case 2:
        return floor((double)step * s->base * 3);
    default:
        return (double)(h % 1000) / 1000.0 * s->base * 10;
    }
}

struct thr {
    int id;
    uint64_t samples, failed;
};

static size_t sink(char *p, size_t a, size_t b, void *u)
{
    return a * b;
}

static void *sender(void *arg)
{
    struct thr *th = arg;
    CURL *c = curl_easy_init();
    struct curl_slist *hdr = NULL;
    hdr = curl_slist_append(hdr, "Content-Encoding: snappy");
    hdr = curl_slist_append(hdr, "Content-Type: application/x-protobuf");
    hdr = curl_slist_append(hdr, "X-Prometheus-Remote-Write-Version: 0.1.0");
    size_t ninsts = 0;
    int *insts = xcalloc((size_t)ninst + 1, sizeof *insts);
    for (int i = th->id; i < ninst; i += nthreads)
        insts[ninsts++] = i;
    struct series_def **defs = xcalloc(ninsts + 1, sizeof *defs);
    size_t *ndefs = xcalloc(ninsts + 1, sizeof *ndefs);
    for (size_t i = 0; i < ninsts; i++)
        defs[i] = make_instance(insts[i], &ndefs[i]);
    size_t total = ninsts * PER_INSTANCE;
    struct remotewrite_series *rs = xcalloc((size_t)per_req + 1, sizeof *rs);
    struct sample *smp = xcalloc((size_t)per_req + 1, sizeof *smp);
    struct strbuf body;
    strbuf_init(&body, STRBUF_NOCAP);
    for (int64_t st = 0; st < nsteps; st++) {
        int64_t t = start_ms + st * step_ms;
        for (size_t first = 0; first < total; first += (size_t)per_req) {
            size_t n = 0;
            for (size_t k = first; k < total && n < (size_t)per_req; k++, n++) {
                size_t i = k / PER_INSTANCE, j = k % PER_INSTANCE;
                const struct series_def *s = &defs[i][j];
                smp[n] = (struct sample){t, value(s, insts[i], st, j)};
                rs[n].labels = (struct labels){s->lv, s->n};
                rs[n].samples = &smp[n];
                rs[n].nsamples = 1;
            }
            struct remotewrite_request req = {rs, n, NULL, 0};
            struct diag d;
            diag_init(&d);
            strbuf_reset(&body);
            remotewrite_encode(&req, &body, &d);
            diag_release(&d);
            long status = 0;
            for (int attempt = 0; attempt < 50; attempt++) {
                curl_easy_setopt(c, CURLOPT_URL, url);
                curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.buf);
                curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)body.len);
                curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
                curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
                status = 0;
                if (curl_easy_perform(c) == CURLE_OK)
                    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
                if ((status >= 200 && status < 300) || (status >= 400 && status < 500))
                    break;
            }
            if (status >= 200 && status < 300)
                th->samples += n;
            else
                th->failed += n;
        }
        pthread_barrier_wait(&step_barrier);
    }
    strbuf_release(&body);
    free(rs);
    free(smp);
    curl_slist_free_all(hdr);
    curl_easy_cleanup(c);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 8) {
        fprintf(stderr, "usage: tsdb_rwload URL INSTANCES HOURS STEP_S START_MS THREADS "
                        "SERIES_PER_REQ\n");
        return 2;
    }
    url = argv[1];
    ninst = atoi(argv[2]);
    double hours = atof(argv[3]);
    step_ms = atoll(argv[4]) * 1000;
    start_ms = atoll(argv[5]);
    nthreads = atoi(argv[6]);
    per_req = atoi(argv[7]);
    nsteps = (int64_t)(hours * 3600000.0) / step_ms;
    curl_global_init(CURL_GLOBAL_ALL);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pthread_barrier_init(&step_barrier, NULL, (unsigned)nthreads);
    pthread_t *ids = xcalloc((size_t)nthreads, sizeof *ids);
    struct thr *th = xcalloc((size_t)nthreads, sizeof *th);
    for (int i = 0; i < nthreads; i++) {
        th[i].id = i;
        pthread_create(&ids[i], NULL, sender, &th[i]);
    }
    uint64_t samples = 0, failed = 0;
    for (int i = 0; i < nthreads; i++) {
        pthread_join(ids[i], NULL);
        samples += th[i].samples;
        failed += th[i].failed;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("samples=%" PRIu64 " seconds=%.3f failed=%" PRIu64 "\n", samples, secs, failed);
    curl_global_cleanup();
    return failed ? 1 : 0;
}
