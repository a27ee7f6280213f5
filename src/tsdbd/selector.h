/*
 * selector: PromQL series selectors as match[] and the dump tool take them:
 * `name`, `name{l="v", l2!~"re"}`, `{__name__=~"x.*"}`; strings in double or
 * single quotes (Go escapes) or backquotes. The full PromQL parser lives in
 * src/promql; this is the subset the non-PromQL endpoints need.
 */
#ifndef CAIRN_TSDBD_SELECTOR_H
#define CAIRN_TSDBD_SELECTOR_H

#include <stddef.h>

#include "core/diag.h"
#include "metrics/matcher.h"

struct selector {
    struct matcher *m;
    size_t n, alloc;
};

/* Returns 0, or -1 with "1:col: parse error: ..." in d, as Prometheus words it. */
int selector_parse(struct selector *s, const char *text, struct diag *d);
void selector_release(struct selector *s);

#endif
