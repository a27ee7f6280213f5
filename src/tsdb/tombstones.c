/* tombstones: the tombstones file (layout in tombstones.h). */
#include "tsdb/tombstones.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "core/xmalloc.h"
#include "tsdb/crc32c.h"
#include "tsdb/dec.h"
#include "tsdb/enc.h"
#include "tsdb/fsutil.h"

void tombstones_init(struct tombstones *t)
{
    memset(t, 0, sizeof *t);
}

void tombstones_release(struct tombstones *t)
{
    free(t->v);
    memset(t, 0, sizeof *t);
}

static int cmp_stone(const void *pa, const void *pb)
{
    const struct tombstone *a = pa, *b = pb;
    if (a->ref != b->ref)
        return a->ref < b->ref ? -1 : 1;
    return a->mint < b->mint ? -1 : a->mint > b->mint;
}

void tombstones_add(struct tombstones *t, uint64_t ref, int64_t mint, int64_t maxt)
{
    xgrow((void **)&t->v, &t->alloc, t->n + 1, sizeof *t->v);
    t->v[t->n++] = (struct tombstone){ref, mint, maxt};
    qsort(t->v, t->n, sizeof *t->v, cmp_stone);
}

static size_t first_of(const struct tombstones *t, uint64_t ref)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (t->v[mid].ref < ref)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int tombstones_has(const struct tombstones *t, uint64_t ref)
{
    size_t i = first_of(t, ref);
    return i < t->n && t->v[i].ref == ref;
}

int tombstones_covers(const struct tombstones *t, uint64_t ref, int64_t ts)
{
    for (size_t i = first_of(t, ref); i < t->n && t->v[i].ref == ref; i++)
        if (ts >= t->v[i].mint && ts <= t->v[i].maxt)
            return 1;
    return 0;
}

int tombstones_write(const char *dir, const struct tombstones *t, struct diag *d)
{
    struct strbuf sb;
    char path[4096];
    strbuf_init(&sb, STRBUF_NOCAP);
    enc_be32(&sb, TOMBSTONES_MAGIC);
    enc_byte(&sb, 1);
    for (size_t i = 0; i < t->n; i++) {
        enc_uvarint(&sb, t->v[i].ref);
        enc_varint(&sb, t->v[i].mint);
        enc_varint(&sb, t->v[i].maxt);
    }
    enc_be32(&sb, crc32c(sb.buf + 5, sb.len - 5));
    snprintf(path, sizeof path, "%s/tombstones", dir);
    int rc = fsutil_replace_file(path, sb.buf, sb.len, d);
    strbuf_release(&sb);
    return rc;
}

int tombstones_read(const char *dir, struct tombstones *t, struct diag *d)
{
    char path[4096], *b = NULL;
    size_t n;
    int rc = -1;
    tombstones_init(t);
    snprintf(path, sizeof path, "%s/tombstones", dir);
    FILE *probe = fopen(path, "rb");
    if (!probe)
        return errno == ENOENT ? 0 : (diag_error(d, NULL, "%s: %s", path, strerror(errno)), -1);
    fclose(probe);
    if (fsutil_read_file(path, &b, &n, d) != 0)
        return -1;
    if (n < 9 || dec_get_be32(b) != TOMBSTONES_MAGIC || b[4] != 1) {
        diag_error(d, NULL, "%s: not a tombstones file (magic or version)", path);
        goto out;
    }
    if (crc32c(b + 5, n - 9) != dec_get_be32(b + n - 4)) {
        diag_error(d, NULL, "%s: checksum mismatch", path);
        goto out;
    }
    struct dec dc;
    dec_init(&dc, b + 5, n - 9);
    while (dec_len(&dc) > 0 && !dc.err) {
        uint64_t ref = dec_uvarint(&dc);
        int64_t mint = dec_varint(&dc), maxt = dec_varint(&dc);
        if (!dc.err)
            tombstones_add(t, ref, mint, maxt);
    }
    if (dc.err) {
        diag_error(d, NULL, "%s: truncated entry", path);
        goto out;
    }
    rc = 0;
out:
    free(b);
    return rc;
}
