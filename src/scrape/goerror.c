/*
 * goerror: Go's wording of HTTP client errors (net/http, net: see goerror.h).
 * The status text is the reason phrase standard servers send, which Go's
 * Response.Status repeats.
 */
#include "scrape/goerror.h"

#include <stdio.h>
#include <string.h>

static const struct {
    long code;
    const char *text;
} status_texts[] = {
    {301, "Moved Permanently"},
    {302, "Found"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {429, "Too Many Requests"},
    {500, "Internal Server Error"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
};

void goerror_request(char *err, size_t n, CURLcode res, long status, const char *url,
                     const char *ip, long port, const char *address)
{
    if (res == CURLE_OK) {
        const char *text = NULL;
        for (size_t i = 0; i < sizeof(status_texts) / sizeof(status_texts[0]); i++)
            if (status_texts[i].code == status)
                text = status_texts[i].text;
        snprintf(err, n, "server returned HTTP status %ld%s%s", status, text ? " " : "",
                 text ? text : "");
        return;
    }
    switch (res) {
    case CURLE_COULDNT_CONNECT:
        if (ip && *ip && port) {
            int v6 = strchr(ip, ':') != NULL;
            snprintf(err, n, "Get \"%s\": dial tcp %s%s%s:%ld: connect: connection refused", url,
                     v6 ? "[" : "", ip, v6 ? "]" : "", port);
        } else {
            snprintf(err, n, "Get \"%s\": dial tcp %s: connect: connection refused", url,
                     address ? address : "");
        }
        break;
    case CURLE_OPERATION_TIMEDOUT:
        snprintf(err, n, "Get \"%s\": context deadline exceeded", url);
        break;
    case CURLE_COULDNT_RESOLVE_HOST:
        snprintf(err, n, "Get \"%s\": dial tcp: lookup %s: no such host", url,
                 address ? address : "");
        break;
    default:
        snprintf(err, n, "Get \"%s\": %s", url, curl_easy_strerror(res));
    }
}
