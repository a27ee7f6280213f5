/*
 * flags: cairn-tsdb's command line, Prometheus's flag names and defaults
 * (`--flag=value` and `--flag value`; booleans also `--flag` / `--no-flag`),
 * kept as a table so /api/v1/status/flags lists every flag and value.
 */
#ifndef CAIRN_TSDBD_FLAGS_H
#define CAIRN_TSDBD_FLAGS_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "core/diag.h"

struct flags {
    const char *config_file;
    int config_given;
    const char *listen;
    const char *route_prefix;
    const char *external_url;
    int admin_api, remote_write_receiver, lifecycle;
    const char *path;
    const char *retention_time, *retention_size;
    int64_t retention_ms, retention_bytes;
    int64_t min_block_ms;
    int wal_compression;
    const char *log_level, *log_format;
    int help, version;
};

struct flag_def {
    const char *name;
    const char *def; /* default as text; NULL: none */
    int is_bool;
    const char *help;
};

extern const struct flag_def flags_table[];
extern const size_t flags_count;

/* Parse argv into f; -1 with the reason in d. */
int flags_parse(struct flags *f, int argc, char **argv, struct diag *d);
/* The current value of table entry i as text (for status/flags). */
const char *flags_value(const struct flags *f, size_t i);
void flags_usage(FILE *out);
/* Prometheus's model.ParseDuration ("15d", "1h30m", "500ms") in ms; -1 if invalid. */
int64_t flags_parse_duration(const char *s);
/* units.ParseBase2Bytes ("512MB", "1GiB", "0"); -1 if invalid. */
int64_t flags_parse_bytes(const char *s);

#endif
