/*
 * matcher: a label matcher as in PromQL selectors, match[] parameters and
 * remote-read: name = "v", != "v", =~ "re", !~ "re". Regexes are RE2 syntax,
 * fully anchored (core/rx.h). A label that is absent has the value "", so
 * {zone=""} selects series without a zone, as in Prometheus.
 */
#ifndef CAIRN_MATCHER_H
#define CAIRN_MATCHER_H

#include <stddef.h>

#include "core/diag.h"
#include "metrics/labels.h"

enum matcher_type { MATCH_EQ, MATCH_NE, MATCH_RE, MATCH_NRE };

struct rx;

struct matcher {
    enum matcher_type type;
    char *name;
    char *value;
    struct rx *rx; /* MATCH_RE and MATCH_NRE */
};

/* Operator text: "=", "!=", "=~", "!~". */
extern const char *const matcher_op[];

/* Copies name and value; -1 with the regex error in d. */
int matcher_init(struct matcher *m, enum matcher_type type, const char *name, const char *value,
                 struct diag *d);
void matcher_release(struct matcher *m);

/* Does value (NULL or "" for absent) satisfy m? */
int matcher_matches(const struct matcher *m, const char *value);
/* Does the set satisfy every matcher? */
int matcher_all(const struct matcher *ms, size_t n, const struct labels *ls);
/* Would m accept the empty value (so it also selects series without the label)? */
int matcher_matches_empty(const struct matcher *m);

#endif
