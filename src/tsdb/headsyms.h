/*
 * headsyms: the head's interned label strings, as Prometheus's head shares
 * one string per distinct label name and value: a series holds pointers,
 * and a string lives while some series references it (refcounted). With
 * 100,000 series of a few hundred distinct names and values this saves the
 * strings' bytes on every series. Locking is the head's: every call under
 * its write lock.
 */
#ifndef CAIRN_TSDB_HEADSYMS_H
#define CAIRN_TSDB_HEADSYMS_H

#include <stddef.h>
#include <stdint.h>

struct headsyms_entry;

struct headsyms {
    struct headsyms_entry **b;
    size_t nbuckets, n;
};

void headsyms_init(struct headsyms *t);
void headsyms_release(struct headsyms *t);
/* The shared copy of s (one more reference). */
const char *headsyms_ref(struct headsyms *t, const char *s);
/* Drop a reference taken by headsyms_ref; the string goes with the last one. */
void headsyms_unref(struct headsyms *t, const char *s);

#endif
