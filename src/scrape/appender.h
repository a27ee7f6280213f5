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

#include <stddef.h>
#include <stdint.h>

#include "metrics/labels.h"

struct appender {
    /* 0, or -1 when the sample was refused (counted by the appender). */
    int (*append)(struct appender *app, const struct labels *ls, int64_t t, double v);
    /* Make everything appended since the last commit/rollback visible / queued. */
    int (*commit)(struct appender *app);
    void (*rollback)(struct appender *app);
    /*
     * Optional (NULL: the engine calls append). As append, with ls also as
     * remote write encodes it (remotewrite_put_labels), from the copy the
     * engine keeps of each series between scrapes: a remote-write appender
     * sends these bytes as they are, with no work per label. ls is NULL
     * for a series the scrape cache recognised (its labels were not parsed
     * again): an appender that needs them decodes enc
     * (remotewrite_labels_decode).
     */
    int (*append_encoded)(struct appender *app, const struct labels *ls, const void *enc,
                          size_t len, int64_t t, double v);
};

#endif
