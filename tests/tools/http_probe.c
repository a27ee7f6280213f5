/*
 * http_probe: sends requests with one http_client (so in order, on one
 * connection when the server keeps it open) and prints one JSON object per
 * request: {"url","result","status","body_len","headers","error","ms"} and
 * "body" with --show-body. Driven by tests/integration/test_http.py.
 *
 *   http_probe [-X METHOD] [-d BODY] [--data-size N] [-H 'Name: value']...
 *              [--timeout MS] [--connect-timeout MS] [--max-body N]
 *              [--cacert FILE] [--log debug|trace] [--show-body] URL...
 */
#include <jansson.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/diag.h"
#include "core/http.h"
#include "core/log.h"
#include "core/xmalloc.h"

#define MAX_HEADERS 32

static long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void print_result(const char *url, enum http_result res, const struct http_response *resp,
                         const struct diag *d, long ms, int show_body)
{
    json_t *o = json_object(), *h = json_object();
    char *s;

    json_object_set_new(o, "url", json_string(url));
    json_object_set_new(o, "result", json_string(http_result_name(res)));
    json_object_set_new(o, "status", json_integer(resp->status));
    json_object_set_new(o, "body_len", json_integer((json_int_t)resp->body.len));
    for (size_t i = 0; i < resp->nheaders; i++)
        json_object_set_new(h, resp->headers[i].name, json_string(resp->headers[i].value));
    json_object_set_new(o, "headers", h);
    json_object_set_new(o, "error", json_string(diag_last(d)));
    json_object_set_new(o, "ms", json_integer(ms));
    if (show_body)
        json_object_set_new(o, "body", json_stringn(resp->body.buf, resp->body.len));
    s = json_dumps(o, JSON_COMPACT);
    printf("%s\n", s);
    fflush(stdout);
    free(s);
    json_decref(o);
}

static int usage(void)
{
    fputs("usage: http_probe [-X METHOD] [-d BODY] [--data-size N] [-H 'Name: value']...\n"
          "       [--timeout MS] [--connect-timeout MS] [--max-body N] [--cacert FILE]\n"
          "       [--log debug|trace] [--show-body] URL...\n",
          stderr);
    return 2;
}

int main(int argc, char **argv)
{
    struct http_options opts = {0};
    struct http_header headers[MAX_HEADERS];
    struct http_request req = {0};
    struct http_response resp;
    struct http_client *c = NULL;
    char *names[MAX_HEADERS] = {0}, *data = NULL;
    size_t nheaders = 0;
    int i, show_body = 0, ret = 2;

    req.method = "GET";
    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--show-body") == 0) {
            show_body = 1;
            continue;
        }
        if (!v)
            return usage();
        i++;
        if (strcmp(a, "-X") == 0) {
            req.method = v;
        } else if (strcmp(a, "-d") == 0) {
            req.body = v;
            req.body_len = strlen(v);
        } else if (strcmp(a, "--data-size") == 0) {
            req.body_len = strtoul(v, NULL, 10);
            data = xmalloc(req.body_len + 1);
            memset(data, 'x', req.body_len);
            req.body = data;
        } else if (strcmp(a, "-H") == 0) {
            const char *colon = strchr(v, ':');
            if (!colon || nheaders == MAX_HEADERS)
                return usage();
            names[nheaders] = xstrndup(v, (size_t)(colon - v));
            headers[nheaders].name = names[nheaders];
            headers[nheaders].value = colon + 1 + strspn(colon + 1, " ");
            nheaders++;
        } else if (strcmp(a, "--timeout") == 0) {
            req.timeout_ms = atol(v);
        } else if (strcmp(a, "--connect-timeout") == 0) {
            opts.connect_timeout_ms = atol(v);
        } else if (strcmp(a, "--max-body") == 0) {
            opts.max_body = strtoul(v, NULL, 10);
        } else if (strcmp(a, "--cacert") == 0) {
            opts.ca_file = v;
        } else if (strcmp(a, "--log") == 0) {
            if (log_parse_level(v) < 0)
                return usage();
            log_set_level((enum log_level)log_parse_level(v));
        } else {
            return usage();
        }
    }
    if (i >= argc)
        return usage();
    req.headers = headers;
    req.nheaders = nheaders;
    if (http_global_init() < 0 || !(c = http_client_new(&opts)))
        goto out;
    http_response_init(&resp);
    for (; i < argc; i++) {
        struct diag d;
        enum http_result res;
        long t0 = now_ms();

        diag_init(&d);
        req.url = argv[i];
        res = http_send(c, &req, &resp, &d);
        print_result(argv[i], res, &resp, &d, now_ms() - t0, show_body);
        diag_release(&d);
    }
    http_response_release(&resp);
    ret = 0;
out:
    http_client_free(c);
    http_global_cleanup();
    for (size_t k = 0; k < nheaders; k++)
        free(names[k]);
    free(data);
    return ret;
}
