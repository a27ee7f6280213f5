/*
 * rw_tool: the remote-write codec for the Python tests.
 *
 *   rw_tool encode < EXPOSITION > BODY   every sample of a text exposition
 *                                        (timestamps required) as one
 *                                        snappy-compressed WriteRequest
 *   rw_tool decode < BODY                the series of a WriteRequest, one
 *                                        line per sample: labels value ts
 *
 * decode exits 1 with the decoder's message (what a receiver answers with
 * 400) when the body is refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/expo.h"
#include "metrics/expo_write.h"
#include "metrics/remotewrite.h"

static int encode(const struct strbuf *in)
{
    struct expo_parser p;
    struct arena a;
    enum expo_entry e;
    size_t n = 0, alloc = 64;
    struct remotewrite_series *series = malloc(alloc * sizeof(*series));
    arena_init(&a);
    expo_parser_init(&p, in->buf, in->len, EXPO_TEXT);
    while ((e = expo_next(&p)) == EXPO_SERIES || e == EXPO_HELP || e == EXPO_TYPE ||
           e == EXPO_COMMENT) {
        if (e != EXPO_SERIES)
            continue;
        struct labels ls = expo_labels(&p);
        struct sample *s = arena_alloc(&a, sizeof(*s));
        if (!expo_timestamp(&p, &s->t)) {
            fprintf(stderr, "rw_tool: line %u: a timestamp is required\n", expo_line(&p));
            return 2;
        }
        s->v = expo_value(&p);
        if (n == alloc)
            series = realloc(series, (alloc *= 2) * sizeof(*series));
        series[n++] = (struct remotewrite_series){labels_dup(&a, &ls), s, 1, NULL, 0};
    }
    if (e == EXPO_ERROR) {
        fprintf(stderr, "rw_tool: %s\n", expo_error(&p));
        return 2;
    }
    struct remotewrite_request req = {series, n, NULL, 0};
    struct strbuf out = STRBUF_INIT;
    struct diag d;
    diag_init(&d);
    int rc = remotewrite_encode(&req, &out, &d);
    if (rc == 0)
        fwrite(out.buf, 1, out.len, stdout);
    else
        fprintf(stderr, "rw_tool: %s\n", diag_last(&d));
    diag_release(&d);
    strbuf_release(&out);
    expo_parser_release(&p);
    arena_release(&a);
    free(series);
    return rc ? 1 : 0;
}

static int decode(const struct strbuf *in)
{
    struct remotewrite_request req;
    struct arena a;
    struct diag d;
    struct strbuf sb = STRBUF_INIT;
    arena_init(&a);
    diag_init(&d);
    int rc = remotewrite_decode(in->buf, in->len, NULL, &a, &req, &d);
    if (rc < 0) {
        printf("%s\n", diag_last(&d));
    } else {
        for (size_t i = 0; i < req.nseries; i++) {
            const struct remotewrite_series *s = &req.series[i];
            for (size_t j = 0; j < s->nsamples; j++) {
                strbuf_reset(&sb);
                labels_format(&s->labels, &sb);
                strbuf_addc(&sb, ' ');
                if (sample_is_stale(s->samples[j].v))
                    strbuf_adds(&sb, "StaleNaN");
                else
                    expo_write_value(&sb, s->samples[j].v, EXPO_TEXT);
                strbuf_addf(&sb, " %lld", (long long)s->samples[j].t);
                puts(sb.buf);
            }
        }
        for (size_t i = 0; i < req.nmetadata; i++)
            printf("# metadata %s %s %s\n", req.metadata[i].family,
                   expo_mtype_name(req.metadata[i].type), req.metadata[i].help);
    }
    strbuf_release(&sb);
    diag_release(&d);
    arena_release(&a);
    return rc < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc != 2 || (strcmp(argv[1], "encode") && strcmp(argv[1], "decode"))) {
        fputs("usage: rw_tool encode|decode < input > output\n", stderr);
        return 2;
    }
    struct strbuf in;
    char chunk[65536];
    size_t n;
    strbuf_init(&in, 256u << 20);
    while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
        if (strbuf_add(&in, chunk, n) < 0)
            return 2;
    int rc = argv[1][0] == 'e' ? encode(&in) : decode(&in);
    strbuf_release(&in);
    return rc;
}
