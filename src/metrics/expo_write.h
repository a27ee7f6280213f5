/*
 * expo_write: the writer side of the exposition formats, for the daemons' own
 * /metrics: families with HELP and TYPE (and UNIT in OpenMetrics), samples
 * with label values escaped, values spelled as Prometheus's client_golang
 * and expfmt spell them:
 *
 *   text 0.0.4   Go's strconv.FormatFloat(v, 'g', -1, 64): 1, 0.5, 1e+06,
 *                +Inf, -Inf, NaN; HELP escapes \ and newline; label values
 *                escape \, " and newline.
 *   OpenMetrics  the same, but integral values get ".0" (1.0, 0.0, 1e+06
 *                stays), timestamps in seconds, "# EOF" at the end.
 *
 * The writer appends to a capped strbuf; every call returns 0, or -1 when
 * the cap is reached (the output is then incomplete and must not be served).
 */
#ifndef CAIRN_EXPO_WRITE_H
#define CAIRN_EXPO_WRITE_H

#include <stdint.h>

#include "core/strbuf.h"
#include "metrics/expo.h"
#include "metrics/labels.h"

struct expo_writer {
    struct strbuf *out;
    enum expo_format format;
    int failed; /* a write hit the cap */
};

void expo_write_init(struct expo_writer *w, struct strbuf *out, enum expo_format format);

/*
 * Start a family: "# HELP", "# TYPE" (and "# UNIT" in OpenMetrics when unit is
 * not NULL or empty). help may be NULL (no HELP line). In OpenMetrics the
 * family name of a counter has no _total (the samples do).
 */
int expo_write_family(struct expo_writer *w, const char *name, enum expo_mtype type,
                      const char *help, const char *unit);

/*
 * One sample line: name{labels} value [timestamp]. ls may be NULL or hold
 * __name__ (then ignored in favour of name). ts_ms NULL: no timestamp. ex
 * NULL: no exemplar (exemplars are written in OpenMetrics only).
 */
int expo_write_sample(struct expo_writer *w, const char *name, const struct labels *ls, double v,
                      const int64_t *ts_ms, const struct expo_exemplar *ex);

/* The end of the exposition: "# EOF\n" in OpenMetrics, nothing in text. */
int expo_write_end(struct expo_writer *w);

/* The value as the format spells it (see the header comment). */
int expo_write_value(struct strbuf *sb, double v, enum expo_format format);
/* A label value or HELP text escaped (help: no '"' escaping in text format). */
int expo_write_escaped(struct strbuf *sb, const char *s, int help, enum expo_format format);

#endif
