/*
 * tsdb_rwload: the benchmark's remote-write load (tools/bench/tsdb). Per
 * instance, the 500 series a Node.js service instrumented with prom-client
 * exposes: its default metrics (process_*, nodejs_* gauges, counters and the
 * GC histogram) and http_request_duration_seconds histograms (12 buckets,
 * _sum, _count) per route, method and status code. Values evolve as real
 * ones do, so chunk sizes are realistic: counters grow by small steps at
 * steady rates, histograms count Poisson-distributed requests of log-normal
 * durations into cumulative buckets (most error-code series repeat), most
 * gauges repeat or move slowly, the event-loop lag statistics are new floats
 * every scrape. Timestamps: each instance is scraped at its own offset in
 * the STEP_S grid (as Prometheus spreads targets), and 1 scrape in 40 is 1 to
 * 5 ms late, so about 95 % of the timestamps' delta-of-deltas are zero, as
 * Gorilla measured on real data (96 %). Every THREADS sender owns a slice of
 * the instances and walks the simulated hours, posting SERIES_PER_REQ series
 * per request as fast as the server answers. Deterministic: two servers get
 * the same stream.
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

enum kind {
    K_CONST,     /* start time, max fds, version info */
    K_SLOW,      /* small integer gauge: +-1 now and then (handles, fds) */
    K_PAGES,     /* bytes gauge moving in whole 4 KiB pages most scrapes (RSS) */
    K_BYTES,     /* bytes gauge moving every scrape (heap used) */
    K_STEPPED,   /* bytes gauge moving in 256 KiB steps now and then (heap total) */
    K_CPU,       /* CPU seconds counter: microseconds / 1e6 */
    K_FLOAT,     /* a new float every scrape (event-loop lag statistics) */
    K_HIST,      /* first series of a histogram: its buckets, then _sum, then _count */
    K_HIST_PART, /* the other series of a histogram (updated by its K_HIST) */
};

struct series_def {
    struct label lv[8];
    size_t n;
    enum kind kind;
    double v;           /* current value */
    double rate, scale; /* K_HIST: requests per scrape, median duration in s */
    int nb;             /* K_HIST: number of buckets */
    const double *le;   /* K_HIST: upper bounds */
};

static const char *routes[] = {"/", "/api/users", "/api/orders", "/api/items", "/health"};
static const double route_rate[] = {1.0, 2.0, 0.5, 1.0, 0.25};
static const char *methods[] = {"GET", "POST"};
static const double method_rate[] = {1.0, 0.3};
static const char *codes[] = {"200", "404", "500"};
static const double code_rate[] = {1.0, 0.02, 0.005};
static const char *http_les[] = {"0.005", "0.01", "0.025", "0.05", "0.1", "0.25",
                                 "0.5",   "1",    "2.5",   "5",    "10",  "+Inf"};
static const double http_le[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, INFINITY};
static const char *gc_les[] = {"0.001", "0.01", "0.1", "1", "2", "5", "+Inf"};
static const double gc_le[] = {0.001, 0.01, 0.1, 1, 2, 5, INFINITY};
static const char *gc_kinds[] = {"minor", "major", "incremental", "weakcb"};
static const double gc_rate[] = {3.0, 0.1, 0.5, 0.05}, gc_scale[] = {0.0008, 0.012, 0.002, 0.0001};
static const char *spaces[] = {"new", "old", "code", "map", "large_object", "read_only"};

/* Deterministic randomness: a hash of (instance, series, step, draw). */
static uint64_t mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

static double unif(uint64_t *st)
{
    *st = mix(*st + 0x9e3779b97f4a7c15ull);
    return (double)(*st >> 11) / 9007199254740992.0;
}

static int poisson(uint64_t *st, double lambda)
{
    double l = exp(-lambda), p = 1;
    int k = 0;
    do {
        k++;
        p *= unif(st);
    } while (p > l && k < 1000);
    return k - 1;
}

struct builder {
    struct series_def *v;
    size_t k;
    const char *instance;
};

static struct series_def *add(struct builder *b, const char *name, enum kind kind, double v)
{
    if (b->k >= PER_INSTANCE) {
        fprintf(stderr, "tsdb_rwload: more than %d series per instance\n", PER_INSTANCE);
        exit(2);
    }
    struct series_def *s = &b->v[b->k++];
    s->lv[0] = (struct label){"__name__", name};
    s->lv[1] = (struct label){"instance", b->instance};
    s->lv[2] = (struct label){"job", "api"};
    s->n = 3;
    s->kind = kind;
    s->v = v;
    return s;
}

static void label(struct series_def *s, const char *name, const char *value)
{
    s->lv[s->n++] = (struct label){name, value};
}

static char *concat(const char *a, const char *b)
{
    char *s = xmalloc(strlen(a) + strlen(b) + 1);
    strcpy(s, a);
    strcat(s, b);
    return s;
}

/* A histogram: its buckets, _sum and _count, each with the extra labels (name, value)*. */
static void histogram(struct builder *b, const char *name, const char *const *les, const double *le,
                      int nb, double rate, double scale, const char *const *extra, size_t nextra)
{
    char *bucket = concat(name, "_bucket"), *sum = concat(name, "_sum");
    char *count = concat(name, "_count");
    for (int i = 0; i < nb + 2; i++) {
        struct series_def *s = add(b,
                                   i < nb    ? bucket
                                   : i == nb ? sum
                                             : count,
                                   i == 0 ? K_HIST : K_HIST_PART, 0);
        /* Labels sorted by name: le sorts between job and the extra labels used here. */
        for (size_t e = 0; e < nextra; e += 2)
            if (strcmp(extra[e], "le") < 0)
                label(s, extra[e], extra[e + 1]);
        if (i < nb)
            label(s, "le", les[i]);
        for (size_t e = 0; e < nextra; e += 2)
            if (strcmp(extra[e], "le") > 0)
                label(s, extra[e], extra[e + 1]);
        s->rate = rate;
        s->scale = scale;
        s->nb = nb;
        s->le = le;
    }
}

/* The 500 series of instance i (labels sorted by name, as senders send them). */
static struct series_def *make_instance(int i)
{
    char inst[64];
    snprintf(inst, sizeof inst, "10.0.%d.%d:3000", i / 250, i % 250);
    struct builder b = {xcalloc(PER_INSTANCE, sizeof(struct series_def)), 0, xstrdup(inst)};
    double cpu = 100 + i % 50;
    add(&b, "process_cpu_user_seconds_total", K_CPU, cpu * 0.8);
    add(&b, "process_cpu_system_seconds_total", K_CPU, cpu * 0.2);
    add(&b, "process_cpu_seconds_total", K_CPU, cpu);
    add(&b, "process_start_time_seconds", K_CONST, 1.7e9 + i * 37);
    add(&b, "process_resident_memory_bytes", K_PAGES, 9.8e7 + i * 4096.0);
    add(&b, "process_virtual_memory_bytes", K_STEPPED, 1.1e9);
    add(&b, "process_heap_bytes", K_PAGES, 1.3e8);
    add(&b, "process_open_fds", K_SLOW, 24);
    add(&b, "process_max_fds", K_CONST, 65536);
    static const char *lag[] = {"", "_min", "_max", "_mean", "_stddev", "_p50", "_p90", "_p99"};
    for (size_t l = 0; l < 8; l++)
        add(&b, concat("nodejs_eventloop_lag", concat(lag[l], "_seconds")), K_FLOAT, 0.01);
    label(add(&b, "nodejs_active_handles", K_SLOW, 12), "type", "Socket");
    label(add(&b, "nodejs_active_handles", K_SLOW, 3), "type", "Timeout");
    add(&b, "nodejs_active_handles_total", K_SLOW, 15);
    add(&b, "nodejs_active_requests_total", K_SLOW, 0);
    add(&b, "nodejs_active_resources_total", K_SLOW, 17);
    add(&b, "nodejs_heap_size_total_bytes", K_STEPPED, 6.5e7);
    add(&b, "nodejs_heap_size_used_bytes", K_BYTES, 4.1e7);
    add(&b, "nodejs_external_memory_bytes", K_STEPPED, 2.2e6);
    for (size_t sp = 0; sp < 6; sp++) {
        label(add(&b, "nodejs_heap_space_size_total_bytes", K_STEPPED, 1.6e7 / (sp + 1)), "space",
              spaces[sp]);
        label(add(&b, "nodejs_heap_space_size_used_bytes", sp < 2 ? K_BYTES : K_SLOW,
                  sp < 2 ? 1.2e7 / (sp + 1) : 3e5),
              "space", spaces[sp]);
        label(add(&b, "nodejs_heap_space_size_available_bytes", sp < 2 ? K_BYTES : K_CONST,
                  sp < 2 ? 4e6 / (sp + 1) : 0),
              "space", spaces[sp]);
    }
    label(add(&b, "nodejs_version_info", K_CONST, 1), "version", "v20.10.0");
    for (size_t g = 0; g < 4; g++) {
        const char *extra[] = {"kind", gc_kinds[g]};
        histogram(&b, "nodejs_gc_duration_seconds", gc_les, gc_le, 7, gc_rate[g], gc_scale[g],
                  extra, 2);
    }
    for (size_t r = 0; r < 5; r++)
        for (size_t m = 0; m < 2; m++)
            for (size_t c = 0; c < 3; c++) {
                const char *extra[] = {"method",  methods[m],    "route",
                                       routes[r], "status_code", codes[c]};
                histogram(&b, "http_request_duration_seconds", http_les, http_le, 12,
                          6.0 * route_rate[r] * method_rate[m] * code_rate[c],
                          0.02 * (r + 1) * (c == 2 ? 5 : 1), extra, 6);
            }
    if (b.k != PER_INSTANCE) {
        fprintf(stderr, "tsdb_rwload: %zu series per instance, not %d\n", b.k, PER_INSTANCE);
        exit(2);
    }
    return b.v;
}

/* Move instance inst's series from one scrape to the next. */
static void advance(struct series_def *v, int inst, int64_t step)
{
    for (size_t j = 0; j < PER_INSTANCE; j++) {
        struct series_def *s = &v[j];
        uint64_t st = mix((uint64_t)inst * 1000003u + j * 7919u + (uint64_t)step * 104729u);
        double u = unif(&st);
        switch (s->kind) {
        case K_CONST:
        case K_HIST_PART:
            break;
        case K_SLOW:
            if (u < 0.05)
                s->v += s->v > 0 && unif(&st) < 0.5 ? -1 : 1;
            break;
        case K_PAGES:
            if (u < 0.7)
                s->v += 4096.0 * (double)((int)(unif(&st) * 64) - 31);
            break;
        case K_BYTES:
            s->v += floor((unif(&st) - 0.45) * 2e6 / 8) * 8;
            if (s->v < 1e6)
                s->v = 1e6;
            break;
        case K_STEPPED:
            if (u < 0.02)
                s->v += 262144.0 * (unif(&st) < 0.6 ? 1 : -1);
            break;
        case K_CPU:
            /* prom-client: (user + system microseconds) / 1e6. */
            s->v = (round(s->v * 1e6) + floor(u * 30000 + 5000)) / 1e6;
            break;
        case K_FLOAT:
            s->v = floor((0.0101 + u * 0.004) * 1e9) / 1e9;
            break;
        case K_HIST: {
            int n = poisson(&st, s->rate);
            for (int r = 0; r < n; r++) {
                /* Log-normal around scale: exp of a sum of uniforms. */
                double g = unif(&st) + unif(&st) + unif(&st) - 1.5;
                double d = s->scale * exp(g * 1.2);
                /* process.hrtime: nanoseconds. */
                d = floor(d * 1e9) / 1e9;
                for (int k = 0; k < s->nb; k++)
                    if (d <= s->le[k])
                        s[k].v += 1;
                s[s->nb].v += d;
                s[s->nb + 1].v += 1;
            }
            break;
        }
        }
    }
}

/* The scrape time of instance inst at step: its offset in the grid, late now and then. */
static int64_t scrape_time(int inst, int64_t step)
{
    uint64_t h = mix((uint64_t)inst * 2654435761u + 17);
    int64_t off = (int64_t)(h % (uint64_t)step_ms);
    uint64_t j = mix(h ^ ((uint64_t)step * 0x9e3779b97f4a7c15ull));
    int64_t late = j % 40 == 0 ? 1 + (int64_t)((j >> 8) % 5) : 0;
    return start_ms + step * step_ms + off + late;
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
    int64_t *ts = xcalloc(ninsts + 1, sizeof *ts);
    for (size_t i = 0; i < ninsts; i++)
        defs[i] = make_instance(insts[i]);
    size_t total = ninsts * PER_INSTANCE;
    struct remotewrite_series *rs = xcalloc((size_t)per_req + 1, sizeof *rs);
    struct sample *smp = xcalloc((size_t)per_req + 1, sizeof *smp);
    struct strbuf body;
    strbuf_init(&body, STRBUF_NOCAP);
    for (int64_t st = 0; st < nsteps; st++) {
        for (size_t i = 0; i < ninsts; i++) {
            advance(defs[i], insts[i], st);
            ts[i] = scrape_time(insts[i], st);
        }
        for (size_t first = 0; first < total; first += (size_t)per_req) {
            size_t n = 0;
            for (size_t k = first; k < total && n < (size_t)per_req; k++, n++) {
                size_t i = k / PER_INSTANCE, j = k % PER_INSTANCE;
                const struct series_def *s = &defs[i][j];
                smp[n] = (struct sample){ts[i], s->v};
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
    free(ts);
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
