/* flags: cairn-tsdb's Prometheus-compatible command-line flags (see flags.h). */
#include "tsdbd/flags.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

const struct flag_def flags_table[] = {
    {"config.file", "prometheus.yml", 0, "Prometheus configuration file path."},
    {"web.listen-address", "0.0.0.0:9090", 0, "Address to listen on for UI, API, and telemetry."},
    {"web.route-prefix", "", 0,
     "Prefix for the internal routes of web endpoints. Defaults to path of --web.external-url."},
    {"web.external-url", "", 0, "The URL under which Prometheus is externally reachable."},
    {"web.enable-admin-api", "false", 1, "Enable API endpoints for admin control actions."},
    {"web.enable-remote-write-receiver", "false", 1,
     "Enable API endpoint accepting remote write requests (always on in cairn-tsdb)."},
    {"web.enable-lifecycle", "false", 1, "Enable shutdown and reload via HTTP request."},
    {"storage.tsdb.path", "data/", 0, "Base path for metrics storage."},
    {"storage.tsdb.retention.time", "15d", 0, "How long to retain samples in storage."},
    {"storage.tsdb.retention.size", "0B", 0,
     "Maximum number of bytes that can be stored for blocks (B, KB, MB, GB, TB, PB, EB)."},
    {"storage.tsdb.min-block-duration", "2h", 0, "Minimum duration of a data block (testing)."},
    {"storage.tsdb.wal-compression", "true", 1, "Compress the tsdb WAL with snappy."},
    {"log.level", "info", 0, "Only log messages with the given severity or above."},
    {"log.format", "logfmt", 0, "Output format of log messages. One of: [logfmt]"},
};
const size_t flags_count = sizeof flags_table / sizeof flags_table[0];

int64_t flags_parse_duration(const char *s)
{
    static const struct {
        const char *u;
        int64_t ms;
    } units[] = {{"ms", 1},       {"s", 1000},           {"m", 60000},           {"h", 3600000},
                 {"d", 86400000}, {"w", 7 * 86400000LL}, {"y", 365 * 86400000LL}};
    int64_t total = 0;
    if (!*s)
        return -1;
    if (!strcmp(s, "0"))
        return 0;
    while (*s) {
        if (!isdigit((unsigned char)*s))
            return -1;
        int64_t n = 0;
        while (isdigit((unsigned char)*s)) {
            n = n * 10 + (*s++ - '0');
            if (n > INT64_MAX / 1000 / 86400)
                return -1;
        }
        size_t best = 0, bl = 0;
        for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
            size_t l = strlen(units[i].u);
            if (!strncmp(s, units[i].u, l) && l > bl)
                best = i, bl = l;
        }
        if (!bl)
            return -1;
        s += bl;
        total += n * units[best].ms;
    }
    return total;
}

int64_t flags_parse_bytes(const char *s)
{
    char *end;
    double n = strtod(s, &end);
    if (end == s || n < 0)
        return -1;
    static const struct {
        const char *u;
        int shift;
    } units[] = {{"B", 0},   {"KB", 10},  {"MB", 20},  {"GB", 30},  {"TB", 40},  {"PB", 50},
                 {"EB", 60}, {"KiB", 10}, {"MiB", 20}, {"GiB", 30}, {"TiB", 40}, {"PiB", 50}};
    if (!*end)
        return n == 0 ? 0 : -1;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (!strcmp(end, units[i].u))
            return (int64_t)(n * (double)(1LL << units[i].shift));
    return -1;
}

static const char **slot(struct flags *f, size_t i)
{
    const char **slots[] = {&f->config_file,
                            &f->listen,
                            &f->route_prefix,
                            &f->external_url,
                            NULL,
                            NULL,
                            NULL,
                            &f->path,
                            &f->retention_time,
                            &f->retention_size,
                            NULL,
                            NULL,
                            &f->log_level,
                            &f->log_format};
    return slots[i];
}

static int *bool_slot(struct flags *f, size_t i)
{
    int *slots[] = {NULL,          NULL, NULL, NULL, &f->admin_api, &f->remote_write_receiver,
                    &f->lifecycle, NULL, NULL, NULL, NULL,          &f->wal_compression,
                    NULL,          NULL};
    return slots[i];
}

static const char *min_block;

const char *flags_value(const struct flags *f, size_t i)
{
    struct flags *mf = (struct flags *)f;
    if (flags_table[i].is_bool)
        return *bool_slot(mf, i) ? "true" : "false";
    if (i == 10)
        return min_block ? min_block : flags_table[i].def;
    return *slot(mf, i);
}

static int set(struct flags *f, size_t i, const char *v, struct diag *d)
{
    if (flags_table[i].is_bool) {
        if (!strcmp(v, "true") || !strcmp(v, "1"))
            *bool_slot(f, i) = 1;
        else if (!strcmp(v, "false") || !strcmp(v, "0"))
            *bool_slot(f, i) = 0;
        else {
            diag_error(d, NULL, "invalid boolean value '%s' for --%s", v, flags_table[i].name);
            return -1;
        }
        return 0;
    }
    if (i == 10)
        min_block = v;
    else
        *slot(f, i) = v;
    if (i == 0)
        f->config_given = 1;
    return 0;
}

int flags_parse(struct flags *f, int argc, char **argv, struct diag *d)
{
    memset(f, 0, sizeof *f);
    min_block = NULL;
    for (size_t i = 0; i < flags_count; i++)
        if (set(f, i, flags_table[i].def, d) != 0)
            return -1;
    f->config_given = 0;
    for (int a = 1; a < argc; a++) {
        const char *arg = argv[a];
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            f->help = 1;
            continue;
        }
        if (!strcmp(arg, "--version")) {
            f->version = 1;
            continue;
        }
        if (strncmp(arg, "--", 2) != 0) {
            diag_error(d, NULL, "unexpected argument %s, try --help", arg);
            return -1;
        }
        const char *name = arg + 2, *eq = strchr(name, '=');
        size_t nl = eq ? (size_t)(eq - name) : strlen(name);
        int neg = 0;
        size_t i;
        for (i = 0; i < flags_count; i++)
            if (strlen(flags_table[i].name) == nl && !strncmp(flags_table[i].name, name, nl))
                break;
        if (i == flags_count && !strncmp(name, "no-", 3)) {
            for (i = 0; i < flags_count; i++)
                if (flags_table[i].is_bool && strlen(flags_table[i].name) == nl - 3 &&
                    !strncmp(flags_table[i].name, name + 3, nl - 3))
                    break;
            neg = 1;
        }
        if (i == flags_count) {
            diag_error(d, NULL, "unknown long flag '--%.*s'", (int)nl, name);
            return -1;
        }
        const char *v;
        if (eq)
            v = eq + 1;
        else if (flags_table[i].is_bool)
            v = neg ? "false" : "true";
        else if (a + 1 < argc)
            v = argv[++a];
        else {
            diag_error(d, NULL, "expected argument for flag '--%s'", flags_table[i].name);
            return -1;
        }
        if (set(f, i, v, d) != 0)
            return -1;
    }
    f->retention_ms = flags_parse_duration(f->retention_time);
    if (f->retention_ms < 0) {
        diag_error(d, NULL, "invalid duration '%s' for --storage.tsdb.retention.time",
                   f->retention_time);
        return -1;
    }
    f->retention_bytes = flags_parse_bytes(f->retention_size);
    if (f->retention_bytes < 0) {
        diag_error(d, NULL, "invalid size '%s' for --storage.tsdb.retention.size",
                   f->retention_size);
        return -1;
    }
    f->min_block_ms = flags_parse_duration(min_block ? min_block : "2h");
    if (f->min_block_ms <= 0) {
        diag_error(d, NULL, "invalid duration for --storage.tsdb.min-block-duration");
        return -1;
    }
    return 0;
}

void flags_usage(FILE *out)
{
    fprintf(out, "usage: cairn-tsdb [<flags>]\n"
                 "       cairn-tsdb tsdb list|analyze|dump|create-blocks-from ... (see "
                 "cairn-tsdb tsdb --help)\n"
                 "       cairn-tsdb healthcheck [<flags>]  (GET /-/healthy of the server these "
                 "flags start)\n\n"
                 "The Prometheus-compatible time series database of cairn.\n\nFlags:\n"
                 "  -h, --help    Show context-sensitive help.\n"
                 "      --version Show application version.\n");
    for (size_t i = 0; i < flags_count; i++) {
        if (flags_table[i].is_bool)
            fprintf(out, "      --[no-]%s\n            %s\n", flags_table[i].name,
                    flags_table[i].help);
        else
            fprintf(out, "      --%s=\"%s\"\n            %s\n", flags_table[i].name,
                    flags_table[i].def, flags_table[i].help);
    }
}
