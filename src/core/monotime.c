#include "core/monotime.h"

#include <errno.h>
#include <time.h>

double monotime_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int64_t monotime_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void monotime_sleep_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};

    if (ms <= 0)
        return;
    /* nanosleep leaves what is left in ts when a signal cuts it short. */
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}
