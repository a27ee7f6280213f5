/*
 * expo_bench: parse throughput of the exposition parsers.
 *
 *   expo_bench [--openmetrics] [--strict] [--seconds N] FILE
 *
 * Parses FILE again and again for N seconds (default 3), reading every
 * sample's labels, value and timestamp as a scrape does, and prints MB/s and
 * samples/s of CPU time. Build without sanitizers (CMAKE_BUILD_TYPE=Release)
 * for numbers worth reporting.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/strbuf.h"
#include "metrics/expo.h"

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    enum expo_format f = EXPO_TEXT;
    int strict = 0;
    double seconds = 3;
    const char *file = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--openmetrics"))
            f = EXPO_OPENMETRICS;
        else if (!strcmp(argv[i], "--strict"))
            strict = 1;
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            seconds = atof(argv[++i]);
        else
            file = argv[i];
    }
    if (!file) {
        fputs("usage: expo_bench [--openmetrics] [--strict] [--seconds N] FILE\n", stderr);
        return 2;
    }
    struct strbuf sb = STRBUF_INIT;
    if (strbuf_read_file(&sb, file) < 0) {
        perror(file);
        return 2;
    }
    unsigned long long runs = 0, samples = 0, labels = 0;
    double sum = 0, start = cpu_now(), now;
    do {
        struct expo_parser p;
        enum expo_entry e;
        expo_parser_init(&p, sb.buf, sb.len, f);
        expo_parser_set_strict(&p, strict);
        while ((e = expo_next(&p)) != EXPO_EOF) {
            if (e == EXPO_ERROR) {
                fprintf(stderr, "%s:%s\n", file, expo_error(&p));
                return 1;
            }
            if (e == EXPO_SERIES) {
                struct labels ls = expo_labels(&p);
                int64_t ts;
                labels += ls.n;
                sum += expo_value(&p);
                (void)expo_timestamp(&p, &ts);
                samples++;
            }
        }
        expo_parser_release(&p);
        runs++;
        now = cpu_now();
    } while (now - start < seconds);
    double t = now - start;
    printf("%s: %zu bytes, %llu samples per page, %llu pages in %.2f s CPU\n", file, sb.len,
           samples / runs, runs, t);
    printf("%.1f MB/s, %.0f samples/s, %.1f us per page (checksum %g, %llu labels)\n",
           (double)sb.len * (double)runs / t / 1e6, (double)samples / t, t / (double)runs * 1e6,
           sum, labels);
    strbuf_release(&sb);
    return 0;
}
