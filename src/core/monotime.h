/* The monotonic clock, for timeouts, pauses and durations (never for timestamps that leave the
 * process: those are wall-clock time). */
#ifndef CAIRN_MONOTIME_H
#define CAIRN_MONOTIME_H

#include <stdint.h>

/* Seconds since an arbitrary point, with the clock's resolution. */
double monotime_s(void);

/* Milliseconds since the same point. */
int64_t monotime_ms(void);

/* Sleep ms milliseconds (none when ms <= 0), whatever signals come. */
void monotime_sleep_ms(int64_t ms);

#endif
