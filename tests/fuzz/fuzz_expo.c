/*
 * libFuzzer target for the exposition parsers. The first byte picks the
 * parser: bit 0 OpenMetrics (else text), bit 1 strict; the rest is the
 * exposition. Every entry's accessors are read, every series formatted, and
 * the same bytes go through expo_check(), so that a bug anywhere between the
 * lexer and the OpenMetrics family rules shows under ASan and UBSan.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/strbuf.h"
#include "metrics/expo.h"
#include "metrics/expo_write.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
    struct diag d;
    diag_init(&d);
    (void)expo_check(buf, len, f, &d, "fuzz");
    diag_release(&d);
    strbuf_release(&sb);
    return 0;
}
