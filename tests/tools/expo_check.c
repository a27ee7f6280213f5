/*
 * expo_check: the exposition parsers for the Python tests.
 *
 *   expo_check [--openmetrics] [--dump] [FILE]
 *
 * Parses FILE (default stdin) strictly as expo_check() does and exits 0 when
 * valid, 1 with "FILE:line:col: error: ..." on stderr when not. --dump prints
 * every sample instead, one line each: the labels as Prometheus prints them,
 * the value (Go's %g spelling via expo_write_value), and the timestamp in ms
 * or "-"; parsing is then as lenient as a scrape.
 */
#include <stdio.h>
#include <string.h>

#include "core/diag.h"
#include "core/strbuf.h"
#include "metrics/expo.h"
#include "metrics/expo_write.h"

static int dump(const char *buf, size_t len, enum expo_format f, const char *file)
{
    struct expo_parser p;
    struct strbuf sb = STRBUF_INIT;
    enum expo_entry e;
    int rc = 0;
    expo_parser_init(&p, buf, len, f);
    while ((e = expo_next(&p)) != EXPO_EOF) {
        if (e == EXPO_ERROR) {
            fprintf(stderr, "%s:%s\n", file, expo_error(&p));
            rc = 1;
            break;
        }
        if (e != EXPO_SERIES)
            continue;
        struct labels ls = expo_labels(&p);
        int64_t ts;
        strbuf_reset(&sb);
        labels_format(&ls, &sb);
        strbuf_addc(&sb, ' ');
        expo_write_value(&sb, expo_value(&p), EXPO_TEXT);
        if (expo_timestamp(&p, &ts))
            strbuf_addf(&sb, " %lld", (long long)ts);
        else
            strbuf_adds(&sb, " -");
        puts(sb.buf);
    }
    strbuf_release(&sb);
    expo_parser_release(&p);
    return rc;
}

int main(int argc, char **argv)
{
    enum expo_format f = EXPO_TEXT;
    const char *file = NULL;
    int want_dump = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--openmetrics"))
            f = EXPO_OPENMETRICS;
        else if (!strcmp(argv[i], "--dump"))
            want_dump = 1;
        else if (!strcmp(argv[i], "--help")) {
            puts("usage: expo_check [--openmetrics] [--dump] [FILE]");
            return 0;
        } else
            file = argv[i];
    }
    struct strbuf sb;
    strbuf_init(&sb, 64u << 20);
    if (file) {
        if (strbuf_read_file(&sb, file) < 0) {
            perror(file);
            return 2;
        }
    } else {
        char chunk[65536];
        size_t n;
        while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
            if (strbuf_add(&sb, chunk, n) < 0)
                return 2;
    }
    const char *name = file ? file : "<stdin>";
    int rc;
    if (want_dump) {
        rc = dump(sb.buf, sb.len, f, name);
    } else {
        struct diag d;
        diag_init(&d);
        rc = expo_check(sb.buf, sb.len, f, &d, name) < 0;
        if (rc)
            diag_print(&d, stderr, "expo_check");
        diag_release(&d);
    }
    strbuf_release(&sb);
    return rc;
}
