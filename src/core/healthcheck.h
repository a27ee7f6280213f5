/*
 * healthcheck: a daemon probing its own health endpoint, for the container health check of
 * an image that has nothing but the daemon in it (tools/image: no shell, no wget, no curl).
 * `cairn-tsdb healthcheck [flags]` and `cairn-dash healthcheck [flags]` read the flags and
 * configuration the server reads, work out where it listens, and GET its health endpoint
 * there: exit 0 on a 2xx answer, 1 otherwise (Docker's HEALTHCHECK CMD and ECS's
 * healthCheck.command read the exit status alone).
 */
#ifndef CAIRN_HEALTHCHECK_H
#define CAIRN_HEALTHCHECK_H

#include <stddef.h>

#include "core/diag.h"

/*
 * The health endpoint's URL for a server listening on `listen` (host:port, [v6]:port or
 * :port; a wildcard or empty host means the loopback address, which every wildcard bind
 * covers), under the route prefix `prefix` (NULL, "" or "/" for none; a trailing slash is
 * dropped), then `path` ("/-/healthy"). -1 with the reason in d for a listen address without
 * a port or a URL longer than n.
 */
int healthcheck_url(char *buf, size_t n, const char *listen, const char *prefix, const char *path,
                    struct diag *d);

/* GET url within timeout_ms: 0 when the answer is 2xx, else -1 with the status or the
 * connection error in d. Needs http_global_init(). */
int healthcheck_probe(const char *url, long timeout_ms, struct diag *d);

#endif
