/* matcher: see matcher.h. */
#include "metrics/matcher.h"
#include "core/rx.h"
#include "core/xmalloc.h"

#include <stdlib.h>
#include <string.h>

const char *const matcher_op[] = {"=", "!=", "=~", "!~"};

int matcher_init(struct matcher *m, enum matcher_type type, const char *name, const char *value,
                 struct diag *d)
{
    char err[256];
    memset(m, 0, sizeof(*m));
    m->type = type;
    m->name = xstrdup(name);
    m->value = xstrdup(value);
    if (type == MATCH_RE || type == MATCH_NRE) {
        m->rx = rx_new(value, strlen(value), RX_ANCHORED, err, sizeof err);
        if (m->rx == NULL) {
            diag_error(d, NULL, "error parsing regexp: %s", err);
            matcher_release(m);
            return -1;
        }
    }
    return 0;
}

void matcher_release(struct matcher *m)
{
    free(m->name);
    free(m->value);
    rx_free(m->rx);
    memset(m, 0, sizeof(*m));
}

int matcher_matches(const struct matcher *m, const char *value)
{
    if (value == NULL)
        value = "";
    switch (m->type) {
    case MATCH_EQ:
        return strcmp(value, m->value) == 0;
    case MATCH_NE:
        return strcmp(value, m->value) != 0;
    case MATCH_RE:
        return rx_match(m->rx, value, strlen(value));
    case MATCH_NRE:
        return !rx_match(m->rx, value, strlen(value));
    }
    return 0;
}

int matcher_all(const struct matcher *ms, size_t n, const struct labels *ls)
{
    for (size_t i = 0; i < n; i++)
        if (!matcher_matches(&ms[i], labels_get(ls, ms[i].name)))
            return 0;
    return 1;
}

int matcher_matches_empty(const struct matcher *m)
{
    return matcher_matches(m, "");
}
