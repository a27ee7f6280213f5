/*
 * One live read's memory of the read calls it made. The resource types read
 * in parallel, each on its own session, and several find their parents with
 * the same call (the load balancers for the listeners and for the rules; the
 * file systems for the mount targets and the access points). Sessions that
 * share a callcache send each distinct read request once: the first asks AWS,
 * the others wait for its answer and decode the same bytes. Only successful
 * answers are kept; a failed request is sent again by whoever needs it.
 *
 * Lives as long as one read of a stack (live_read_all), never longer, so it
 * never serves a stale answer across a change.
 */
#ifndef CAIRN_CALLCACHE_H
#define CAIRN_CALLCACHE_H

#include <stddef.h>

struct callcache;

struct callcache *callcache_new(void);
void callcache_free(struct callcache *cc);

enum callcache_result {
    CALLCACHE_HIT, /* *body (malloc'd, the caller frees) and *status hold the answer */
    CALLCACHE_MINE /* nobody has it: the caller sends it, then fills or abandons the key */
};

/* Look up key (the request's method, URL and body); waits while another session is asking. */
enum callcache_result callcache_claim(struct callcache *cc, const char *key, size_t keylen,
                                      char **body, size_t *len, long *status);
/* The answer to a key claimed as CALLCACHE_MINE; waiters get it. */
void callcache_fill(struct callcache *cc, const char *key, size_t keylen, const char *body,
                    size_t len, long status);
/* The claimed request failed: the next one to claim the key sends it. */
void callcache_abandon(struct callcache *cc, const char *key, size_t keylen);
/* How many requests were answered from memory. */
unsigned long callcache_hits(struct callcache *cc);

#endif
