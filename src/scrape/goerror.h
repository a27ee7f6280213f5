/*
 * goerror: a failed scrape request worded as Go's http.Client words it, so
 * that the targets API's lastError reads as in Prometheus 2.42:
 *   Get "URL": dial tcp 127.0.0.1:9100: connect: connection refused
 *   Get "URL": context deadline exceeded
 *   server returned HTTP status 500 Internal Server Error
 */
#ifndef CAIRN_GOERROR_H
#define CAIRN_GOERROR_H

#include <curl/curl.h>
#include <stddef.h>

/*
 * res: the transfer's result; status: the HTTP status when res is CURLE_OK.
 * ip and port: the address a refused connection went to (NULL/0 if unknown);
 * address: the target's __address__, for lookup errors.
 */
void goerror_request(char *err, size_t n, CURLcode res, long status, const char *url,
                     const char *ip, long port, const char *address);

#endif
