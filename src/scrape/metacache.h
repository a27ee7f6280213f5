/*
 * metacache: a target's metric metadata (the TYPE, HELP and UNIT lines its
 * scrapes carried), as Prometheus 2.42 keeps it in its scrapeCache for
 * /api/v1/targets/metadata and /api/v1/metadata: keyed by the family name as
 * written; a HELP or UNIT before any TYPE makes an "unknown" entry; an entry
 * not seen for more than 10 successful scrapes is forgotten.
 *
 * Only the scrape thread touches a metacache. It says when it changed, so the
 * engine publishes a copy (metacache_copy) for readers on other threads only
 * then.
 */
#ifndef CAIRN_METACACHE_H
#define CAIRN_METACACHE_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "metrics/expo.h"

struct metacache_entry {
    char *name, *help, *unit; /* heap; help and unit "" when unseen */
    enum expo_mtype type;
    uint64_t last_iter;
};

struct metacache {
    struct metacache_entry *v; /* sorted by name */
    size_t n, alloc;
    uint64_t iter;
    int changed; /* since the last metacache_copy */
};

/* One entry of a copy (metacache_copy): strings in the copy's arena. */
struct metacache_item {
    const char *metric, *help, *unit;
    enum expo_mtype type;
};

void metacache_init(struct metacache *m);
void metacache_release(struct metacache *m);
void metacache_set_type(struct metacache *m, const char *name, size_t len, enum expo_mtype t);
void metacache_set_help(struct metacache *m, const char *name, size_t len, const char *help,
                        size_t hlen);
void metacache_set_unit(struct metacache *m, const char *name, size_t len, const char *unit,
                        size_t ulen);
/* End of a scrape; after a successful one, entries unseen for 10 scrapes go. */
void metacache_iter_done(struct metacache *m, int success);
/* The entries, sorted by name, copied into a; clears the changed flag. */
struct metacache_item *metacache_copy(struct metacache *m, struct arena *a, size_t *n);

#endif
