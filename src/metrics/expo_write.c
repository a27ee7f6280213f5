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
