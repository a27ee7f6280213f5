/*
 * tsdb_rw: a remote-write 1.0 sender for tests. Sends deterministic
 * synthetic series (the shape of tsdb_synth) in batches to URL and prints
 * every sample the server acknowledged (2xx) as "{labels} value ts" lines.
 * A 5xx or a connection error is retried (as Prometheus's sender does) for
 * up to --retry-seconds; a 4xx stops with exit status 3. The count of
 * retries and 5xx answers (and the first 5xx body) goes to stderr.
 *
 *   tsdb_rw URL NSERIES NSAMPLES START_MS STEP_MS [PER_REQUEST] [RETRY_SECONDS]
 */
#include <curl/curl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/diag.h"
#include "core/strbuf.h"
#include "core/xmalloc.h"
#include "metrics/remotewrite.h"

static double value_at(int s, int i)
{
    if (s % 7 == 3 && i % 50 == 49)
        return NAN;
    if (s % 5 == 0)
        return (double)(i * (s + 1));
    return sin(i * 0.1 + s) * 1000.0 / (s + 1);
}

static size_t discard(char *p, size_t a, size_t b, void *u)
{
    struct strbuf *sb = u;
    strbuf_add(sb, p, a * b);
    return a * b;
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: tsdb_rw URL NSERIES NSAMPLES START_MS STEP_MS [PER_REQUEST] "
                        "[RETRY_SECONDS]\n");
        return 2;
    }
    const char *url = argv[1];
    int nseries = atoi(argv[2]), nsamples = atoi(argv[3]);
    int64_t start = strtoll(argv[4], NULL, 10), step = strtoll(argv[5], NULL, 10);
    int per = argc > 6 ? atoi(argv[6]) : 10;
    int retry_s = argc > 7 ? atoi(argv[7]) : 30;
    curl_global_init(CURL_GLOBAL_ALL);
    CURL *c = curl_easy_init();
    struct curl_slist *hdr = NULL;
    hdr = curl_slist_append(hdr, "Content-Encoding: snappy");
    hdr = curl_slist_append(hdr, "Content-Type: application/x-protobuf");
    hdr = curl_slist_append(hdr, "X-Prometheus-Remote-Write-Version: 0.1.0");
    struct strbuf lb, resp;
    strbuf_init(&lb, STRBUF_NOCAP);
    strbuf_init(&resp, STRBUF_NOCAP);
    char inst[64], code[16];
    struct remotewrite_series *ser = xcalloc((size_t)nseries, sizeof *ser);
    struct label *lv = xcalloc((size_t)nseries * 4, sizeof *lv);
    char **strs = xcalloc((size_t)nseries * 2, sizeof *strs);
    struct sample *smp = xcalloc((size_t)nseries * (size_t)per, sizeof *smp);
    for (int s = 0; s < nseries; s++) {
        snprintf(inst, sizeof inst, "host-%d:9100", s / 4);
        snprintf(code, sizeof code, "%d", 200 + (s % 4) * 100);
        strs[2 * s] = xstrdup(inst);
        strs[2 * s + 1] = xstrdup(code);
        struct label *l = &lv[s * 4];
        l[0] = (struct label){"__name__", s % 3 ? "rw_requests_total" : "rw_temp"};
        l[1] = (struct label){"code", strs[2 * s + 1]};
        l[2] = (struct label){"instance", strs[2 * s]};
        l[3] = (struct label){"job", "rw"};
        ser[s].labels = (struct labels){l, 4};
    }
    int rc = 0;
    long retried = 0, status5xx = 0;
    for (int i0 = 0; i0 < nsamples && rc == 0; i0 += per) {
        int k = nsamples - i0 < per ? nsamples - i0 : per;
        for (int s = 0; s < nseries; s++) {
            for (int j = 0; j < k; j++)
                smp[s * per + j] =
                    (struct sample){start + (int64_t)(i0 + j) * step + s % 10, value_at(s, i0 + j)};
            ser[s].samples = &smp[s * per];
            ser[s].nsamples = (size_t)k;
        }
        struct remotewrite_request req = {ser, (size_t)nseries, NULL, 0};
        struct strbuf body;
        struct diag d;
        strbuf_init(&body, STRBUF_NOCAP);
        diag_init(&d);
        if (remotewrite_encode(&req, &body, &d) != 0) {
            diag_print(&d, stderr, "tsdb_rw");
            return 1;
        }
        diag_release(&d);
        long status = 0;
        for (int attempt = 0; attempt < retry_s * 10; attempt++) {
            strbuf_reset(&resp);
            curl_easy_setopt(c, CURLOPT_URL, url);
            curl_easy_setopt(c, CURLOPT_POST, 1L);
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.buf);
            curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)body.len);
            curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
            curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
            curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
            curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
            CURLcode cr = curl_easy_perform(c);
            status = 0;
            if (cr == CURLE_OK)
                curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
            if (status >= 200 && status < 300)
                break;
            retried++;
            if (status >= 500) {
                status5xx++;
                if (status5xx == 1)
                    fprintf(stderr, "tsdb_rw: first %ld: %s", status, resp.buf);
            }
            if (status >= 400 && status < 500) {
                fprintf(stderr, "tsdb_rw: %ld: %s", status, resp.buf);
                rc = 3;
                break;
            }
            usleep(100000);
        }
        strbuf_release(&body);
        if (rc)
            break;
        if (status < 200 || status >= 300) {
            fprintf(stderr, "tsdb_rw: giving up after %d s\n", retry_s);
            rc = 4;
            break;
        }
        for (int s = 0; s < nseries; s++) {
            strbuf_reset(&lb);
            labels_format(&ser[s].labels, &lb);
            for (int j = 0; j < k; j++)
                printf("%s %.17g %" PRId64 "\n", lb.buf, smp[s * per + j].v, smp[s * per + j].t);
        }
        fflush(stdout);
    }
    fprintf(stderr, "tsdb_rw: %ld retries, %ld answers 5xx\n", retried, status5xx);
    for (int s = 0; s < 2 * nseries; s++)
        free(strs[s]);
    free(strs);
    free(ser);
    free(lv);
    free(smp);
    strbuf_release(&lb);
    strbuf_release(&resp);
    curl_slist_free_all(hdr);
    curl_easy_cleanup(c);
    curl_global_cleanup();
    return rc;
}
