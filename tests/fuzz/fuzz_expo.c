/*
 * libFuzzer target for the exposition parsers. The first byte picks the
 * parser: bit 0 OpenMetrics (else text), bit 1 strict; the rest is the
 * exposition. Every entry's accessors are read, every series formatted, and
 * the same bytes go through expo_check(), so that a bug anywhere between the
 * lexer and the OpenMetrics family rules shows under ASan and UBSan. Text is
 * also parsed with lazy labels, which must give the same series and errors.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/strbuf.h"
#include "metrics/expo.h"
#include "metrics/expo_write.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Text format: every series and the error, eager or with lazy labels (what a scrape uses). */
static void render(const char *buf, size_t len, int lazy, struct strbuf *out)
{
    struct expo_parser p;
    enum expo_entry e;
    int64_t ts;

    expo_parser_init(&p, buf, len, EXPO_TEXT);
    expo_parser_set_lazy(&p, lazy);
    while ((e = expo_next(&p)) != EXPO_EOF && e != EXPO_ERROR) {
        if (e != EXPO_SERIES)
            continue;
        if (expo_series_labels(&p) < 0) {
            e = EXPO_ERROR;
            break;
        }
        size_t n;
        const char *text = expo_series(&p, &n);
        struct labels ls = expo_labels(&p);
        strbuf_add(out, text, n);
        labels_format(&ls, out);
        expo_write_value(out, expo_value(&p), EXPO_TEXT);
        strbuf_addf(out, " %u %lld\n", expo_line(&p),
                    expo_timestamp(&p, &ts) ? (long long)ts : -1LL);
    }
    if (e == EXPO_ERROR)
        strbuf_addf(out, "error %s", expo_error(&p));
    expo_parser_release(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    enum expo_format f = (data[0] & 1) ? EXPO_OPENMETRICS : EXPO_TEXT;
    const char *buf = (const char *)data + 1;
    size_t len = size - 1;
    struct expo_parser p;
    struct strbuf sb = STRBUF_INIT;
    enum expo_entry e;
    expo_parser_init(&p, buf, len, f);
    expo_parser_set_strict(&p, (data[0] >> 1) & 1);
    while ((e = expo_next(&p)) != EXPO_EOF && e != EXPO_ERROR) {
        size_t n;
        int64_t ts;
        struct expo_exemplar ex;
        (void)expo_name(&p, &n);
        (void)expo_text(&p, &n);
        (void)expo_type(&p);
        if (e != EXPO_SERIES)
            continue;
        struct labels ls = expo_labels(&p);
        strbuf_reset(&sb);
        labels_format(&ls, &sb);
        expo_write_value(&sb, expo_value(&p), f);
        (void)expo_timestamp(&p, &ts);
        (void)expo_created(&p, &ts);
        if (expo_exemplar(&p, &ex))
            labels_format(&ex.labels, &sb);
    }
    if (e == EXPO_ERROR && strlen(expo_error(&p)) == 0)
        __builtin_trap(); /* an error always says what */
    expo_parser_release(&p);
    if (f == EXPO_TEXT) {
        struct strbuf eager = STRBUF_INIT, lazy = STRBUF_INIT;
        render(buf, len, 0, &eager);
        render(buf, len, 1, &lazy);
        if (eager.len != lazy.len || (eager.len && memcmp(eager.buf, lazy.buf, eager.len) != 0))
            __builtin_trap(); /* lazy labels must not change an answer */
        strbuf_release(&eager);
        strbuf_release(&lazy);
    }
    struct diag d;
    diag_init(&d);
    (void)expo_check(buf, len, f, &d, "fuzz");
    diag_release(&d);
    strbuf_release(&sb);
    return 0;
}
