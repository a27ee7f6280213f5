#include "core/healthcheck.h"
#include "core/http.h"

#include <stdio.h>
#include <string.h>

/* A bind to any of these accepts connections to the loopback address of its family. */
static const char *const wildcards[] = {"", "0.0.0.0", "::", "[::]", "*"};

int healthcheck_url(char *buf, size_t n, const char *listen, const char *prefix, const char *path,
                    struct diag *d)
{
    const char *colon = listen ? strrchr(listen, ':') : NULL;
    char host[256];
    size_t hlen, plen;
    int w;

    if (!colon || !colon[1] || colon[1 + strspn(colon + 1, "0123456789")] != '\0') {
        diag_error(d, NULL, "listen address %s: want host:port", listen ? listen : "(none)");
        return -1;
    }
    hlen = (size_t)(colon - listen);
    if (hlen >= sizeof host) {
        diag_error(d, NULL, "listen address %s: host too long", listen);
        return -1;
    }
    memcpy(host, listen, hlen);
    host[hlen] = '\0';
    for (size_t i = 0; i < sizeof wildcards / sizeof *wildcards; i++)
        if (strcmp(host, wildcards[i]) == 0)
            snprintf(host, sizeof host, "%s",
                     host[0] == ':' || host[0] == '[' ? "[::1]" : "127.0.0.1");
    if (strchr(host, ':') && host[0] != '[') { /* a bare IPv6 address: bracket it */
        char v6[sizeof host];
        snprintf(v6, sizeof v6, "[%.*s]", (int)(sizeof v6 - 3), host);
        memcpy(host, v6, sizeof host);
    }
    prefix = prefix ? prefix : "";
    plen = strlen(prefix);
    while (plen > 0 && prefix[plen - 1] == '/')
        plen--;
    w = snprintf(buf, n, "http://%s:%s%s%.*s%s", host, colon + 1,
                 plen && prefix[0] != '/' ? "/" : "", (int)plen, prefix, path);
    if (w < 0 || (size_t)w >= n) {
        diag_error(d, NULL, "health check URL too long");
        return -1;
    }
    return 0;
}

int healthcheck_probe(const char *url, long timeout_ms, struct diag *d)
{
    struct http_options o = {.connect_timeout_ms = timeout_ms,
                             .timeout_ms = timeout_ms,
                             .max_body = 64 << 10,
                             .user_agent = "cairn-healthcheck"};
    struct http_request req = {.method = "GET", .url = url};
    struct http_response resp;
    struct http_client *c = http_client_new(&o);
    int rc = -1;

    http_response_init(&resp);
    if (!c) {
        diag_error(d, NULL, "%s: cannot make an HTTP client", url);
        goto out;
    }
    enum http_result r = http_send(c, &req, &resp, d);
    if (r != HTTP_OK)
        goto out; /* d says "GET url: what failed" */
    if (resp.status < 200 || resp.status > 299) {
        diag_error(d, NULL, "GET %s: HTTP %ld", url, resp.status);
        goto out;
    }
    rc = 0;
out:
    http_response_release(&resp);
    http_client_free(c);
    return rc;
}
