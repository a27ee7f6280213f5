/* expo_write: see expo_write.h. */
#include "metrics/expo_write.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void expo_write_init(struct expo_writer *w, struct strbuf *out, enum expo_format format)
{
    w->out = out;
    w->format = format;
    w->failed = 0;
}

int expo_write_value(struct strbuf *sb, double v, enum expo_format format)
{
    if (isnan(v))
        return strbuf_adds(sb, "NaN");
    if (isinf(v))
        return strbuf_adds(sb, v > 0 ? "+Inf" : "-Inf");
    char buf[40];
    int prec;
    for (prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof(buf), "%.*e", prec - 1, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    const char *e = strchr(buf, 'e');
    int exp = atoi(e + 1);
    /*
     * Go's strconv.FormatFloat(v, 'g', -1, 64): the shortest digits that read
     * back as v, with an exponent when it is below -4 or from 6 up (1e+06).
     */
    if (exp < -4 || exp >= 6) {
        return strbuf_adds(sb, buf);
    }
    int decimals = prec - 1 - exp;
    snprintf(buf, sizeof(buf), "%.*f", decimals > 0 ? decimals : 0, v);
    if (strbuf_adds(sb, buf) < 0)
        return -1;
    if (format == EXPO_OPENMETRICS && !strchr(buf, '.'))
        return strbuf_adds(sb, ".0");
    return 0;
}

int expo_write_escaped(struct strbuf *sb, const char *s, int help, enum expo_format format)
{
    /* Text HELP escapes only \ and newline; label values and OpenMetrics HELP also ". */
    int quote = !help || format == EXPO_OPENMETRICS;
    const char *run = s;
    int rc = 0;
    for (; *s; s++) {
        const char *esc = *s == '\\'             ? "\\\\"
                          : *s == '\n'           ? "\\n"
                          : (*s == '"' && quote) ? "\\\""
                                                 : NULL;
        if (!esc)
            continue;
        rc |= strbuf_add(sb, run, (size_t)(s - run));
        rc |= strbuf_adds(sb, esc);
        run = s + 1;
    }
    rc |= strbuf_add(sb, run, (size_t)(s - run));
    return rc ? -1 : 0;
}

static int put(struct expo_writer *w, int rc)
{
    if (rc < 0)
        w->failed = 1;
    return w->failed ? -1 : 0;
}

int expo_write_family(struct expo_writer *w, const char *name, enum expo_mtype type,
                      const char *help, const char *unit)
{
    struct strbuf *sb = w->out;
    int rc = 0;
    const char *tname = expo_mtype_name(type);
    if (w->format == EXPO_TEXT) {
        /* The text format knows five types; the others are untyped there. */
        if (type != EXPO_COUNTER && type != EXPO_GAUGE && type != EXPO_HISTOGRAM &&
            type != EXPO_SUMMARY)
            tname = "untyped";
    }
    if (help) {
        rc |= strbuf_addf(sb, "# HELP %s ", name);
        rc |= expo_write_escaped(sb, help, 1, w->format);
        rc |= strbuf_addc(sb, '\n');
    }
    rc |= strbuf_addf(sb, "# TYPE %s %s\n", name, tname);
    if (w->format == EXPO_OPENMETRICS && unit && *unit)
        rc |= strbuf_addf(sb, "# UNIT %s %s\n", name, unit);
    return put(w, rc);
}

static int write_labels(struct strbuf *sb, const struct labels *ls, enum expo_format format)
{
    int rc = 0, first = 1;
    if (!ls)
        return 0;
    for (size_t i = 0; i < ls->n; i++) {
        if (strcmp(ls->v[i].name, LABELS_METRIC_NAME) == 0)
            continue;
        rc |= strbuf_adds(sb, first ? "{" : ",");
        first = 0;
        rc |= strbuf_addf(sb, "%s=\"", ls->v[i].name);
        rc |= expo_write_escaped(sb, ls->v[i].value, 0, format);
        rc |= strbuf_addc(sb, '"');
    }
    if (!first)
        rc |= strbuf_addc(sb, '}');
    return rc;
}

static int write_ts(struct strbuf *sb, int64_t ms, enum expo_format format)
{
    if (format == EXPO_TEXT)
        return strbuf_addf(sb, " %lld", (long long)ms);
    /* OpenMetrics: seconds, with the milliseconds as decimals when there are any. */
    unsigned long long a = ms < 0 ? 0ull - (unsigned long long)ms : (unsigned long long)ms;
    const char *sign = ms < 0 ? "-" : "";
    if (a % 1000 == 0)
        return strbuf_addf(sb, " %s%llu", sign, a / 1000);
    return strbuf_addf(sb, " %s%llu.%03llu", sign, a / 1000, a % 1000);
}

int expo_write_sample(struct expo_writer *w, const char *name, const struct labels *ls, double v,
                      const int64_t *ts_ms, const struct expo_exemplar *ex)
{
    struct strbuf *sb = w->out;
    int rc = strbuf_adds(sb, name);
    rc |= write_labels(sb, ls, w->format);
    rc |= strbuf_addc(sb, ' ');
    rc |= expo_write_value(sb, v, w->format);
    if (ts_ms)
        rc |= write_ts(sb, *ts_ms, w->format);
    if (ex && w->format == EXPO_OPENMETRICS) {
        rc |= strbuf_adds(sb, " # ");
        if (ex->labels.n == 0)
            rc |= strbuf_adds(sb, "{}");
        rc |= write_labels(sb, &ex->labels, w->format);
        rc |= strbuf_addc(sb, ' ');
        rc |= expo_write_value(sb, ex->value, w->format);
        if (ex->has_ts)
            rc |= write_ts(sb, ex->ts_ms, w->format);
    }
    rc |= strbuf_addc(sb, '\n');
    return put(w, rc);
}

int expo_write_end(struct expo_writer *w)
{
    if (w->format != EXPO_OPENMETRICS)
        return put(w, 0);
    return put(w, strbuf_adds(w->out, "# EOF\n"));
}
