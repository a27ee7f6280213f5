/*
 * rx: regular expressions in RE2 syntax, the dialect of Go's regexp that
 * Prometheus uses for label matchers, relabeling and label_replace. A thin
 * C face over libre2 (rx.cc): matching is linear in the input, so a hostile
 * pattern cannot make a query or a scrape hang.
 *
 * Patterns compiled with RX_ANCHORED match the whole subject, as Prometheus
 * wraps every regex in "^(?:" … ")$".
 */
#ifndef CAIRN_RX_H
#define CAIRN_RX_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { RX_ANCHORED = 1 };

struct rx;

/* One capture group's place in the subject; start < 0 when it did not take part. */
struct rx_span {
    long start, end;
};

/* Compile; on error returns NULL and writes RE2's message (NUL-terminated) to err. */
struct rx *rx_new(const char *pattern, size_t len, int flags, char *err, size_t errlen);
void rx_free(struct rx *rx);

/* 1 if the subject matches (the whole of it when anchored), else 0. */
int rx_match(const struct rx *rx, const char *s, size_t len);

/* Number of capture groups (not counting group 0). */
int rx_ngroups(const struct rx *rx);

/*
 * Match and report groups 0..n-1 in g (n at most rx_ngroups()+1). Returns 1 on
 * a match, 0 otherwise.
 */
int rx_match_groups(const struct rx *rx, const char *s, size_t len, struct rx_span *g, int n);

/* Index of a named group "(?P<name>…)", or -1. */
int rx_group_index(const struct rx *rx, const char *name);

/* 1 if the pattern has no metacharacters, so it matches only its own text. */
int rx_is_literal(const char *pattern, size_t len);

#ifdef __cplusplus
}
#endif

#endif
