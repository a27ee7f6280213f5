/*
 * appender: where the scrape engine hands its samples, as Prometheus's
 * storage.Appender. A scrape appends every sample of one target (with the
 * final label set, the timestamp in milliseconds and the value, stale markers
 * included), then commits, or rolls back when the scrape has to be dropped.
 * The labels are only borrowed for the call: an appender copies what it keeps.
 *
 * cairn-scrape plugs in the remote-write sender (rwsend.h); cairn-tsdb will
 * plug in its head so the same engine runs in-process.
 */
#ifndef CAIRN_APPENDER_H
#define CAIRN_APPENDER_H

#include <stdint.h>

#include "metrics/labels.h"

struct appender {
    /* 0, or -1 when the sample was refused (counted by the appender). */
    int (*append)(struct appender *app, const struct labels *ls, int64_t t, double v);
    /* Make everything appended since the last commit/rollback visible / queued. */
    int (*commit)(struct appender *app);
    void (*rollback)(struct appender *app);
    /*
     * Optional (NULL: the engine calls append). As append, with a cache slot
     * the engine keeps per series between scrapes, as Prometheus's scrape
     * cache keeps a series ref: the appender may leave a malloc'd block there
     * (say, the series' labels already encoded) and find it on the next
     * scrapes of the same label set. The engine frees it with free() when it
     * forgets the series. *slot starts NULL.
     */
    int (*append_cached)(struct appender *app, const struct labels *ls, void **slot, int64_t t,
                         double v);
};

#endif
