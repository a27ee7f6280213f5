/*
 * Logging to stderr with levels. --debug raises the level to LOGLVL_DEBUG,
 * which shows each AWS call; whatever is logged about a request goes through
 * redact.h first, so credentials and secret values never reach the log.
 */
#ifndef CAIRN_LOG_H
#define CAIRN_LOG_H

enum log_level { LOGLVL_ERROR, LOGLVL_WARN, LOGLVL_INFO, LOGLVL_DEBUG, LOGLVL_TRACE };

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
int log_enabled(enum log_level level);
/* Parse "error", "warn", "info", "debug", "trace"; -1 if unknown. */
int log_parse_level(const char *name);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOGLVL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOGLVL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOGLVL_INFO, __VA_ARGS__)
#define log_debug(...)                          \
    do {                                        \
        if (log_enabled(LOGLVL_DEBUG))          \
            log_msg(LOGLVL_DEBUG, __VA_ARGS__); \
    } while (0)

#endif
