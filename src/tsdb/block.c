/*
 * block: mmap'd read access to a block (layouts in indexwriter.h and
 * blockwriter.h, from Prometheus's tsdb/docs/format/index.md and chunks.md).
 */
#include "tsdb/block.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/xmalloc.h"
#include "tsdb/blockwriter.h"
#include "tsdb/crc32c.h"
#include "tsdb/dec.h"
#include "tsdb/fsutil.h"
#include "tsdb/xorchunk.h"

static int map_file(const char *path, struct block_map *m, struct diag *d)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    m->p = NULL;
    m->n = 0;
    if (fd < 0 || fstat(fd, &st) != 0) {
        diag_error(d, NULL, "%s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    m->n = (size_t)st.st_size;
    if (m->n > 0) {
        void *p = mmap(NULL, m->n, PROT_READ, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED) {
            diag_error(d, NULL, "%s: mmap: %s", path, strerror(errno));
            close(fd);
            m->n = 0;
            return -1;
        }
        m->p = p;
    }
    close(fd);
    return 0;
}

static void unmap(struct block_map *m)
{
    if (m->p)
        munmap((void *)m->p, m->n);
    m->p = NULL;
}

/* A section at off: len <4b> | body | CRC32C <4b>; body returned in dc. */
static int section(const struct block *b, uint64_t off, struct dec *dc, const char *what,
                   struct diag *d)
{
    if (off + 4 > b->index.n) {
        diag_error(d, NULL, "%s/index: %s at offset %llu is past the end", b->dir, what,
                   (unsigned long long)off);
        return -1;
    }
    uint32_t len = dec_get_be32(b->index.p + off);
    if (off + 8 + (uint64_t)len > b->index.n) {
        diag_error(d, NULL, "%s/index: %s at offset %llu: length %u runs past the end", b->dir,
                   what, (unsigned long long)off, len);
        return -1;
    }
    const uint8_t *body = b->index.p + off + 4;
    if (crc32c(body, len) != dec_get_be32(body + len)) {
        diag_error(d, NULL, "%s/index: %s at offset %llu: checksum mismatch", b->dir, what,
                   (unsigned long long)off);
        return -1;
    }
    dec_init(dc, body, len);
    return 0;
}

static int read_toc(struct block *b, struct diag *d)
{
    const uint8_t *p = b->index.p;
    size_t n = b->index.n;
    if (n < 5 + INDEX_TOC_LEN || dec_get_be32(p) != INDEX_MAGIC) {
        diag_error(d, NULL, "%s/index: not an index file (magic)", b->dir);
        return -1;
    }
    if (p[4] != INDEX_FORMAT_V2) {
        diag_error(d, NULL, "%s/index: unsupported index version %u", b->dir, p[4]);
        return -1;
    }
    const uint8_t *toc = p + n - INDEX_TOC_LEN;
    if (crc32c(toc, 48) != dec_get_be32(toc + 48)) {
        diag_error(d, NULL, "%s/index: table of contents checksum mismatch", b->dir);
        return -1;
    }
    for (int i = 0; i < 6; i++) {
        b->toc[i] = dec_get_be64(toc + 8 * i);
        if (b->toc[i] > n - INDEX_TOC_LEN) {
            diag_error(d, NULL, "%s/index: table of contents entry %d out of range", b->dir, i);
            return -1;
        }
    }
    return 0;
}

static int read_symbols(struct block *b, struct diag *d)
{
    struct dec dc;
    if (section(b, b->toc[0], &dc, "symbol table", d) != 0)
        return -1;
    uint32_t cnt = dec_be32(&dc);
    if (cnt > dec_len(&dc)) {
        diag_error(d, NULL, "%s/index: symbol count %u exceeds the table", b->dir, cnt);
        return -1;
    }
    b->syms = xmalloc((cnt + 1) * sizeof *b->syms);
    for (uint32_t i = 0; i < cnt && !dc.err; i++) {
        size_t l;
        const char *s = dec_str(&dc, &l);
        b->syms[i] = arena_strndup(&b->arena, s, l);
    }
    b->nsyms = cnt;
    if (dc.err) {
        diag_error(d, NULL, "%s/index: symbol table truncated", b->dir);
        return -1;
    }
    return 0;
}

static int read_postings_table(struct block *b, struct diag *d)
{
    struct dec dc;
    if (section(b, b->toc[5], &dc, "postings offset table", d) != 0)
        return -1;
    uint32_t cnt = dec_be32(&dc);
    if (cnt > dec_len(&dc)) {
        diag_error(d, NULL, "%s/index: postings count %u exceeds the table", b->dir, cnt);
        return -1;
    }
    b->post = xmalloc((cnt + 1) * sizeof *b->post);
    for (uint32_t i = 0; i < cnt && !dc.err; i++) {
        size_t nl, vl;
        if (dec_uvarint(&dc) != 2) {
            diag_error(d, NULL, "%s/index: postings offset entry %u has a key count other than 2",
                       b->dir, i);
            return -1;
        }
        const char *nm = dec_str(&dc, &nl);
        const char *vl_ = dec_str(&dc, &vl);
        uint64_t off = dec_uvarint(&dc);
        b->post[i].name = arena_strndup(&b->arena, nm, nl);
        b->post[i].value = arena_strndup(&b->arena, vl_, vl);
        b->post[i].off = off;
    }
    b->npost = cnt;
    if (dc.err) {
        diag_error(d, NULL, "%s/index: postings offset table truncated", b->dir);
        return -1;
    }
    return 0;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int open_segments(struct block *b, struct diag *d)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/chunks", b->dir);
    DIR *dir = opendir(path);
    if (!dir) {
        diag_error(d, NULL, "%s: %s", path, strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t n = 0, alloc = 0;
    struct dirent *e;
    while ((e = readdir(dir))) {
        if (strspn(e->d_name, "0123456789") != strlen(e->d_name) || !e->d_name[0])
            continue;
        xgrow((void **)&names, &alloc, n + 1, sizeof *names);
        names[n++] = xstrdup(e->d_name);
    }
    closedir(dir);
    if (n)
        qsort(names, n, sizeof *names, cmp_name);
    int rc = 0;
    b->segs = xcalloc(n + 1, sizeof *b->segs);
    for (size_t i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/chunks/%s", b->dir, names[i]);
        if (rc == 0 && map_file(path, &b->segs[i], d) != 0)
            rc = -1;
        b->nsegs = i + 1;
        if (rc == 0 &&
            (b->segs[i].n < CHUNKS_HEADER_LEN || dec_get_be32(b->segs[i].p) != CHUNKS_MAGIC)) {
            diag_error(d, NULL, "%s: not a chunks segment (magic)", path);
            rc = -1;
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

struct block *block_open(const char *dir, struct diag *d)
{
    struct block *b = xcalloc(1, sizeof *b);
    char path[4096];
    b->dir = xstrdup(dir);
    arena_init(&b->arena);
    tombstones_init(&b->stones);
    meta_init(&b->meta);
    snprintf(path, sizeof path, "%s/index", dir);
    if (meta_read(dir, &b->meta, d) != 0 || map_file(path, &b->index, d) != 0 ||
        read_toc(b, d) != 0 || read_symbols(b, d) != 0 || read_postings_table(b, d) != 0 ||
        open_segments(b, d) != 0 || tombstones_read(dir, &b->stones, d) != 0) {
        block_close(b);
        return NULL;
    }
    b->size = fsutil_du(dir);
    return b;
}

void block_close(struct block *b)
{
    if (!b)
        return;
    unmap(&b->index);
    for (size_t i = 0; i < b->nsegs; i++)
        unmap(&b->segs[i]);
    free(b->segs);
    free(b->syms);
    free(b->post);
    meta_release(&b->meta);
    tombstones_release(&b->stones);
    arena_release(&b->arena);
    free(b->dir);
    free(b);
}

static int cmp_post(const char *an, const char *av, const struct block_posting *p)
{
    int c = strcmp(an, p->name);
    return c ? c : strcmp(av, p->value);
}

static int read_list(const struct block *b, uint64_t off, uint32_t **refs, size_t *n,
                     struct diag *d)
{
    struct dec dc;
    *refs = NULL;
    *n = 0;
    if (section(b, off, &dc, "postings list", d) != 0)
        return -1;
    uint32_t cnt = dec_be32(&dc);
    if ((uint64_t)cnt * 4 != dec_len(&dc)) {
        diag_error(d, NULL, "%s/index: postings list at %llu: count %u does not fit", b->dir,
                   (unsigned long long)off, cnt);
        return -1;
    }
    *refs = xmalloc((cnt + 1) * sizeof **refs);
    for (uint32_t i = 0; i < cnt; i++)
        (*refs)[i] = dec_be32(&dc);
    *n = cnt;
    return 0;
}

int block_postings(const struct block *b, const char *name, const char *value, uint32_t **refs,
                   size_t *n, struct diag *d)
{
    size_t lo = 0, hi = b->npost;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cmp_post(name, value, &b->post[mid]) > 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < b->npost && cmp_post(name, value, &b->post[lo]) == 0)
        return read_list(b, b->post[lo].off, refs, n, d);
    *refs = xmalloc(sizeof **refs);
    *n = 0;
    return 0;
}

void block_name_range(const struct block *b, const char *name, size_t *lo, size_t *hi)
{
    size_t l = 0, h = b->npost;
    while (l < h) {
        size_t mid = (l + h) / 2;
        if (strcmp(b->post[mid].name, name) < 0)
            l = mid + 1;
        else
            h = mid;
    }
    h = l;
    while (h < b->npost && strcmp(b->post[h].name, name) == 0)
        h++;
    *lo = l;
    *hi = h;
}

/* Sorted union of refs into *acc. */
static void merge_union(uint32_t **acc, size_t *nacc, const uint32_t *r, size_t nr)
{
    uint32_t *out = xmalloc((*nacc + nr + 1) * sizeof *out);
    size_t i = 0, j = 0, k = 0;
    while (i < *nacc || j < nr) {
        uint32_t v;
        if (j >= nr || (i < *nacc && (*acc)[i] < r[j]))
            v = (*acc)[i++];
        else if (i >= *nacc || r[j] < (*acc)[i])
            v = r[j++];
        else
            v = (*acc)[i++], j++;
        out[k++] = v;
    }
    free(*acc);
    *acc = out;
    *nacc = k;
}

static void intersect(uint32_t *a, size_t *na, const uint32_t *r, size_t nr)
{
    size_t i = 0, j = 0, k = 0;
    while (i < *na && j < nr) {
        if (a[i] < r[j])
            i++;
        else if (r[j] < a[i])
            j++;
        else
            a[k++] = a[i++], j++;
    }
    *na = k;
}

int block_select(const struct block *b, const struct matcher *ms, size_t nm, uint32_t **refs,
                 size_t *n, struct diag *d)
{
    uint32_t *cand = NULL;
    size_t ncand = 0;
    int have = 0;
    /* Matchers that reject "" narrow through postings; the rest filter on labels. */
    for (size_t i = 0; i < nm; i++) {
        if (matcher_matches_empty(&ms[i]))
            continue;
        uint32_t *u = xmalloc(sizeof *u);
        size_t nu = 0, lo, hi;
        block_name_range(b, ms[i].name, &lo, &hi);
        for (size_t p = lo; p < hi; p++) {
            if (!matcher_matches(&ms[i], b->post[p].value))
                continue;
            uint32_t *r;
            size_t nr;
            if (read_list(b, b->post[p].off, &r, &nr, d) != 0) {
                free(u);
                free(cand);
                return -1;
            }
            merge_union(&u, &nu, r, nr);
            free(r);
        }
        if (!have) {
            cand = u;
            ncand = nu;
            have = 1;
        } else {
            intersect(cand, &ncand, u, nu);
            free(u);
        }
    }
    if (!have && block_postings(b, "", "", &cand, &ncand, d) != 0)
        return -1;
    size_t k = 0;
    struct arena a;
    arena_init(&a);
    for (size_t i = 0; i < ncand; i++) {
        struct labels ls;
        struct index_chunk *ch;
        size_t nch;
        if (block_series(b, cand[i], &a, &ls, &ch, &nch, d) != 0) {
            free(cand);
            arena_release(&a);
            return -1;
        }
        free(ch);
        if (matcher_all(ms, nm, &ls))
            cand[k++] = cand[i];
    }
    arena_release(&a);
    *refs = cand;
    *n = k;
    return 0;
}

int block_series(const struct block *b, uint32_t ref, struct arena *a, struct labels *ls,
                 struct index_chunk **chunks, size_t *nchunks, struct diag *d)
{
    uint64_t off = (uint64_t)ref * 16;
    struct dec dc;
    *chunks = NULL;
    *nchunks = 0;
    if (off < b->toc[1] || off >= b->index.n) {
        diag_error(d, NULL, "%s/index: series ref %u out of range", b->dir, ref);
        return -1;
    }
    dec_init(&dc, b->index.p + off, b->index.n - off);
    uint64_t len = dec_uvarint(&dc);
    if (dc.err || len + 4 > dec_len(&dc) || crc32c(dc.p, len) != dec_get_be32(dc.p + len)) {
        diag_error(d, NULL, "%s/index: series at offset %llu: truncated or checksum mismatch",
                   b->dir, (unsigned long long)off);
        return -1;
    }
    dec_init(&dc, dc.p, len);
    uint64_t nl = dec_uvarint(&dc);
    if (nl > len) {
        diag_error(d, NULL, "%s/index: series at offset %llu: bad label count", b->dir,
                   (unsigned long long)off);
        return -1;
    }
    struct label *lv = arena_alloc(a, (nl + 1) * sizeof *lv);
    for (uint64_t i = 0; i < nl; i++) {
        uint64_t nr = dec_uvarint(&dc), vr = dec_uvarint(&dc);
        if (nr >= b->nsyms || vr >= b->nsyms) {
            diag_error(d, NULL, "%s/index: series at offset %llu: symbol ref out of range", b->dir,
                       (unsigned long long)off);
            return -1;
        }
        lv[i].name = b->syms[nr];
        lv[i].value = b->syms[vr];
    }
    ls->v = lv;
    ls->n = nl;
    uint64_t nc = dec_uvarint(&dc);
    if (nc > len) {
        diag_error(d, NULL, "%s/index: series at offset %llu: bad chunk count", b->dir,
                   (unsigned long long)off);
        return -1;
    }
    struct index_chunk *c = xmalloc((nc + 1) * sizeof *c);
    for (uint64_t i = 0; i < nc; i++) {
        if (i == 0) {
            c[i].mint = dec_varint(&dc);
            c[i].maxt = c[i].mint + (int64_t)dec_uvarint(&dc);
            c[i].ref = dec_uvarint(&dc);
        } else {
            c[i].mint = c[i - 1].maxt + (int64_t)dec_uvarint(&dc);
            c[i].maxt = c[i].mint + (int64_t)dec_uvarint(&dc);
            c[i].ref = c[i - 1].ref + (uint64_t)dec_varint(&dc);
        }
    }
    if (dc.err) {
        free(c);
        diag_error(d, NULL, "%s/index: series at offset %llu: truncated chunk metas", b->dir,
                   (unsigned long long)off);
        return -1;
    }
    *chunks = c;
    *nchunks = nc;
    return 0;
}

int block_chunk(const struct block *b, uint64_t ref, const uint8_t **data, size_t *len,
                struct diag *d)
{
    uint64_t seq = ref >> 32, off = ref & 0xffffffffu;
    if (seq >= b->nsegs || off < CHUNKS_HEADER_LEN || off >= b->segs[seq].n) {
        diag_error(d, NULL, "%s/chunks: chunk ref %llu (segment %llu, offset %llu) out of range",
                   b->dir, (unsigned long long)ref, (unsigned long long)seq + 1,
                   (unsigned long long)off);
        return -1;
    }
    const struct block_map *m = &b->segs[seq];
    struct dec dc;
    dec_init(&dc, m->p + off, m->n - off);
    uint64_t l = dec_uvarint(&dc);
    if (dc.err || l + 5 > dec_len(&dc)) {
        diag_error(d, NULL, "%s/chunks/%06llu: chunk at offset %llu truncated", b->dir,
                   (unsigned long long)seq + 1, (unsigned long long)off);
        return -1;
    }
    const uint8_t *enc = dc.p;
    if (crc32c(enc, l + 1) != dec_get_be32(enc + 1 + l)) {
        diag_error(d, NULL, "%s/chunks/%06llu: chunk at offset %llu: checksum mismatch", b->dir,
                   (unsigned long long)seq + 1, (unsigned long long)off);
        return -1;
    }
    if (*enc != XORCHUNK_ENCODING) {
        diag_error(d, NULL, "%s/chunks/%06llu: chunk at offset %llu: encoding %u not supported",
                   b->dir, (unsigned long long)seq + 1, (unsigned long long)off, *enc);
        return -1;
    }
    *data = enc + 1;
    *len = l;
    return 0;
}
