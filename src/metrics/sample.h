/*
 * sample: one point of a series, as Prometheus stores it: a timestamp in
 * milliseconds since the Unix epoch and a float64 value. The stale marker is
 * the NaN with bit pattern 0x7ff0000000000002 (Prometheus's value.StaleNaN);
 * it marks a series that disappeared and must be told apart from an ordinary
 * NaN sample by its bits, never with ==.
 */
#ifndef CAIRN_SAMPLE_H
#define CAIRN_SAMPLE_H

#include <stdint.h>
#include <string.h>

#define SAMPLE_STALE_NAN_BITS 0x7ff0000000000002ull

struct sample {
    int64_t t; /* milliseconds */
    double v;
};

static inline double sample_stale_nan(void)
{
    uint64_t b = SAMPLE_STALE_NAN_BITS;
    double v;
    memcpy(&v, &b, sizeof(v));
    return v;
}

static inline int sample_is_stale(double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof(b));
    return b == SAMPLE_STALE_NAN_BITS;
}

#endif
