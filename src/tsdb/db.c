/*
 * db: open (cleanup, blocks, WAL replay), close and the appender (see db.h).
 * Compaction and retention are in compact.c, queries in query.c.
 */
#include "tsdb/db.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/strbuf.h"
#include "core/xmalloc.h"
#include "tsdb/delete.h"
#include "tsdb/fsutil.h"
#include "tsdb/ulid.h"
#include "tsdb/walrec.h"

void db_options_default(struct db_options *o)
{
    memset(o, 0, sizeof *o);
    o->retention_ms = 15LL * 24 * 3600 * 1000;
    o->block_range = DB_DEFAULT_BLOCK_RANGE;
}

size_t db_block_ranges(int64_t block_range, int64_t retention_ms, int64_t *out)
{
    size_t n = 0;
    int64_t r = block_range;
    int64_t max = DB_MAX_BLOCK_DURATION;
    if (retention_ms > 0 && retention_ms / 10 < max)
        max = retention_ms / 10;
    for (int i = 0; i < 10; i++, r *= 3) {
        if (i > 0 && r > max)
            break;
        out[n++] = r;
    }
    return n;
}

static int has_suffix(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

static int cmp_block(const void *a, const void *b)
{
    const struct block *x = *(struct block *const *)a, *y = *(struct block *const *)b;
    if (x->meta.mint != y->meta.mint)
        return x->meta.mint < y->meta.mint ? -1 : 1;
    return strcmp(x->meta.ulid, y->meta.ulid);
}

/* Load every block in dir, dropping blocks already merged into another. */
int db_reload_blocks(struct db *db, struct diag *d)
{
    DIR *dh = opendir(db->dir);
    if (!dh) {
        diag_error(d, NULL, "%s: %s", db->dir, strerror(errno));
        return -1;
    }
    struct block **bl = NULL;
    size_t n = 0, alloc = 0;
    struct dirent *e;
    char path[4096];
    int rc = 0;
    while ((e = readdir(dh))) {
        if (!ulid_valid(e->d_name))
            continue;
        struct block *have = NULL;
        for (size_t i = 0; i < db->nblocks; i++)
            if (strcmp(db->blocks[i]->meta.ulid, e->d_name) == 0)
                have = db->blocks[i];
        if (!have) {
            snprintf(path, sizeof path, "%s/%s", db->dir, e->d_name);
            have = block_open(path, d);
            if (!have) {
                rc = -1;
                continue;
            }
        }
        xgrow((void **)&bl, &alloc, n + 1, sizeof *bl);
        bl[n++] = have;
    }
    closedir(dh);
    /* A block named as the parent of another was compacted: it goes. */
    size_t k = 0, ngone = 0;
    struct block **gone = xcalloc(n + db->nblocks + 1, sizeof *gone);
    for (size_t i = 0; i < n; i++) {
        int parent = 0;
        for (size_t j = 0; j < n && !parent; j++)
            for (size_t p = 0; p < bl[j]->meta.nparents; p++)
                if (strcmp(bl[j]->meta.parents[p].ulid, bl[i]->meta.ulid) == 0)
                    parent = 1;
        if (parent)
            gone[ngone++] = bl[i];
        else
            bl[k++] = bl[i];
    }
    n = k;
    if (n)
        qsort(bl, n, sizeof *bl, cmp_block);
    /* Swap the lists; readers hold blocks_lock for as long as they use a block. */
    pthread_rwlock_wrlock(&db->blocks_lock);
    struct block **old = db->blocks;
    size_t nold = db->nblocks;
    db->blocks = bl;
    db->nblocks = n;
    pthread_rwlock_unlock(&db->blocks_lock);
    for (size_t i = 0; i < nold; i++) {
        int kept = 0, listed = 0;
        for (size_t j = 0; j < n; j++)
            kept |= bl[j] == old[i];
        for (size_t j = 0; j < ngone; j++)
            listed |= gone[j] == old[i];
        if (!kept && !listed)
            gone[ngone++] = old[i];
    }
    free(old);
    for (size_t i = 0; i < ngone; i++) {
        int parent = 0;
        for (size_t j = 0; j < n && !parent; j++)
            for (size_t p = 0; p < bl[j]->meta.nparents; p++)
                if (strcmp(bl[j]->meta.parents[p].ulid, gone[i]->meta.ulid) == 0)
                    parent = 1;
        if (parent && !db->opts.readonly) {
            snprintf(path, sizeof path, "%s/%s", db->dir, gone[i]->meta.ulid);
            char del[4200];
            snprintf(del, sizeof del, "%s.tmp-for-deletion", path);
            if (rename(path, del) == 0)
                fsutil_rmtree(del);
        }
        block_close(gone[i]);
    }
    free(gone);
    int64_t maxt = INT64_MIN;
    for (size_t i = 0; i < n; i++)
        if (bl[i]->meta.maxt > maxt)
            maxt = bl[i]->meta.maxt;
    pthread_rwlock_wrlock(&db->head.lock);
    if (maxt > db->head.min_valid_time)
        db->head.min_valid_time = maxt;
    pthread_rwlock_unlock(&db->head.lock);
    db->reloads++;
    return rc;
}

static void remove_leftovers(const char *dir)
{
    DIR *dh = opendir(dir);
    if (!dh)
        return;
    struct dirent *e;
    char path[4096];
    while ((e = readdir(dh))) {
        if (has_suffix(e->d_name, ".tmp-for-creation") ||
            has_suffix(e->d_name, ".tmp-for-deletion") || has_suffix(e->d_name, ".tmp")) {
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            log_warn("level=info msg=\"Removing leftover of interrupted work\" path=%s", path);
            fsutil_rmtree(path);
        }
    }
    closedir(dh);
}

/* Replay state: WAL refs to head series (refs can differ after a checkpoint). */
struct replay {
    struct db *db;
    struct {
        uint64_t ref;
        struct head_series *s;
    } * alias;
    size_t nalias, aalias;
    int64_t maxt;
    uint64_t samples, series;
};

static struct head_series *replay_series_for(struct replay *r, uint64_t ref)
{
    struct head_series *s = head_by_ref(&r->db->head, ref);
    if (s)
        return s;
    for (size_t i = 0; i < r->nalias; i++)
        if (r->alias[i].ref == ref)
            return r->alias[i].s;
    return NULL;
}

static int replay_on_series(void *ctx, uint64_t ref, const struct labels *ls)
{
    struct replay *r = ctx;
    struct head *h = &r->db->head;
    uint64_t hash = labels_hash(ls);
    struct head_series *s = head_lookup(h, ls, hash);
    if (!s) {
        if (head_by_ref(h, ref))
            s = head_create(h, ls, hash, 0); /* ref taken by other labels */
        else
            s = head_create(h, ls, hash, ref);
        r->series++;
    }
    s->logged = 1;
    if (s->ref != ref) {
        xgrow((void **)&r->alias, &r->aalias, r->nalias + 1, sizeof *r->alias);
        r->alias[r->nalias].ref = ref;
        r->alias[r->nalias++].s = s;
    }
    return 0;
}

static int replay_on_sample(void *ctx, uint64_t ref, int64_t t, double v)
{
    struct replay *r = ctx;
    struct head_series *s = replay_series_for(r, ref);
    if (t > r->maxt)
        r->maxt = t;
    if (!s || t < r->db->head.min_valid_time)
        return 0;
    if (head_append(&r->db->head, s, t, v) == HEAD_OK)
        r->samples++;
    return 0;
}

static int replay_on_tombstone(void *ctx, uint64_t ref, int64_t mint, int64_t maxt)
{
    struct replay *r = ctx;
    struct head_series *s = replay_series_for(r, ref);
    if (s)
        delete_head_range(&r->db->head, s, mint, maxt);
    return 0;
}

static int replay_record(void *ctx, const uint8_t *rec, size_t n)
{
    struct walrec_handler h = {ctx, replay_on_series, replay_on_sample, replay_on_tombstone};
    walrec_decode(rec, n, &h);
    return 0;
}

struct segnote {
    int seg;
    int64_t maxt;
};

static int replay_dir(struct db *db, struct replay *r, const char *dir, int from, int to,
                      struct segnote **notes, size_t *nnotes, size_t *anotes, int repair,
                      struct diag *d)
{
    char path[4096];
    for (int seg = from; seg <= to; seg++) {
        if (snprintf(path, sizeof path, "%s/%08d", dir, seg) >= (int)sizeof path)
            return -1;
        size_t good;
        r->maxt = INT64_MIN;
        int rc = wal_read_segment(path, replay_record, r, &good, d);
        if (notes) {
            xgrow((void **)notes, anotes, *nnotes + 1, sizeof **notes);
            (*notes)[*nnotes].seg = seg;
            (*notes)[(*nnotes)++].maxt = r->maxt;
        }
        if (rc < 0) {
            if (errno == ENOENT)
                continue;
            return -1;
        }
        if (rc == 1) {
            db->wal_corruptions++;
            log_warn("level=warn msg=\"WAL segment has a torn or corrupt record; truncating\" "
                     "segment=%s offset=%zu",
                     path, good);
            if (!repair)
                return 0;
            if (truncate(path, (off_t)good) != 0) {
                diag_error(d, NULL, "%s: truncate: %s", path, strerror(errno));
                return -1;
            }
            for (int later = seg + 1; later <= to; later++) {
                snprintf(path, sizeof path, "%s/%08d", dir, later);
                unlink(path);
            }
            return 0;
        }
    }
    return 0;
}

static int find_checkpoint(const char *waldir, int *num)
{
    DIR *dh = opendir(waldir);
    *num = -1;
    if (!dh)
        return 0;
    struct dirent *e;
    char path[4096];
    while ((e = readdir(dh))) {
        if (strncmp(e->d_name, "checkpoint.", 11) != 0)
            continue;
        if (has_suffix(e->d_name, ".tmp")) {
            snprintf(path, sizeof path, "%s/%s", waldir, e->d_name);
            fsutil_rmtree(path);
            continue;
        }
        int n = atoi(e->d_name + 11);
        if (n > *num)
            *num = n;
    }
    closedir(dh);
    return 0;
}

static int replay_wal(struct db *db, struct segnote **notes, size_t *nnotes, struct diag *d)
{
    struct replay r;
    memset(&r, 0, sizeof r);
    r.db = db;
    int cp, first, last, rc = 0;
    size_t anotes = 0;
    char path[4096];
    find_checkpoint(db->waldir, &cp);
    pthread_rwlock_wrlock(&db->head.lock);
    if (cp >= 0) {
        snprintf(path, sizeof path, "%s/checkpoint.%08d", db->waldir, cp);
        int cf, cl;
        wal_segment_range(path, &cf, &cl);
        if (cf >= 0)
            rc = replay_dir(db, &r, path, cf, cl, NULL, NULL, NULL, 0, d);
    }
    wal_segment_range(db->waldir, &first, &last);
    if (rc == 0 && first >= 0) {
        if (first <= cp)
            first = cp + 1;
        rc = replay_dir(db, &r, db->waldir, first, last, notes, nnotes, &anotes, !db->opts.readonly,
                        d);
    }
    pthread_rwlock_unlock(&db->head.lock);
    if (r.series || r.samples)
        log_info("level=info msg=\"WAL replay completed\" series=%" PRIu64 " samples=%" PRIu64,
                 r.series, r.samples);
    free(r.alias);
    return rc;
}

int db_open(struct db **out, const char *dir, const struct db_options *o, struct diag *d)
{
    struct db *db = xcalloc(1, sizeof *db);
    char path[4096];
    struct segnote *notes = NULL;
    size_t nnotes = 0;
    db->dir = xstrdup(dir);
    snprintf(path, sizeof path, "%s/wal", dir);
    db->waldir = xstrdup(path);
    db->opts = *o;
    if (db->opts.block_range <= 0)
        db->opts.block_range = DB_DEFAULT_BLOCK_RANGE;
    db->nranges = db_block_ranges(db->opts.block_range, db->opts.retention_ms, db->ranges);
    db->lock_fd = -1;
    head_init(&db->head, db->opts.block_range);
    pthread_rwlock_init(&db->blocks_lock, NULL);
    pthread_mutex_init(&db->compact_mu, NULL);
    if (o->readonly) {
        struct stat st;
        if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
            diag_error(d, NULL, "%s: not a directory", dir);
            goto fail;
        }
        if (db_reload_blocks(db, d) != 0 || replay_wal(db, &notes, &nnotes, d) != 0)
            goto fail;
        free(notes);
        *out = db;
        return 0;
    }
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        diag_error(d, NULL, "%s: mkdir: %s", dir, strerror(errno));
        goto fail;
    }
    snprintf(path, sizeof path, "%s/lock", dir);
    db->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (db->lock_fd < 0) {
        diag_error(d, NULL, "%s: %s", path, strerror(errno));
        goto fail;
    }
    if (flock(db->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        diag_error(d, NULL, "%s: locked by another process (is another TSDB using %s?)", path, dir);
        goto fail;
    }
    remove_leftovers(dir);
    snprintf(path, sizeof path, "%s/chunks_head", dir);
    if (headchunks_open(&db->hc, path, d) != 0)
        goto fail;
    db->head.hc = &db->hc;
    if (db_reload_blocks(db, d) != 0)
        goto fail;
    if (replay_wal(db, &notes, &nnotes, d) != 0)
        goto fail;
    db->wal = wal_open(db->waldir, o->wal_compression, d);
    if (!db->wal)
        goto fail;
    for (size_t i = 0; i < nnotes; i++)
        wal_note_maxt(db->wal, notes[i].seg, notes[i].maxt);
    free(notes);
    *out = db;
    return 0;
fail:
    free(notes);
    db_close(db);
    return -1;
}

void db_close(struct db *db)
{
    if (!db)
        return;
    pthread_mutex_lock(&db->compact_mu);
    wal_close(db->wal);
    for (size_t i = 0; i < db->nblocks; i++)
        block_close(db->blocks[i]);
    free(db->blocks);
    head_release(&db->head);
    if (db->hc.dir)
        headchunks_release(&db->hc);
    pthread_mutex_unlock(&db->compact_mu);
    pthread_rwlock_destroy(&db->blocks_lock);
    pthread_mutex_destroy(&db->compact_mu);
    if (db->lock_fd >= 0)
        close(db->lock_fd);
    free(db->dir);
    free(db->waldir);
    free(db);
}

long long db_wal_size(const struct db *db)
{
    return fsutil_du(db->waldir);
}

void db_appender_init(struct db_appender *a, struct db *db)
{
    memset(a, 0, sizeof *a);
    a->db = db;
    arena_init(&a->arena);
}

void db_appender_release(struct db_appender *a)
{
    arena_release(&a->arena);
    free(a->v);
    memset(a, 0, sizeof *a);
}

void db_appender_add(struct db_appender *a, const struct labels *ls, int64_t t, double v)
{
    xgrow((void **)&a->v, &a->alloc, a->n + 1, sizeof *a->v);
    struct db_pending *p = &a->v[a->n++];
    memset(p, 0, sizeof *p);
    /* Consecutive samples of one series share its hash. */
    if (a->n > 1 && a->v[a->n - 2].ls.v == ls->v && a->v[a->n - 2].ls.n == ls->n)
        p->hash = a->v[a->n - 2].hash;
    else
        p->hash = labels_hash(ls);
    p->ls = *ls;
    p->t = t;
    p->v = v;
}

static void undo_pending(struct db_appender *a, size_t upto)
{
    for (size_t i = 0; i < upto; i++) {
        struct db_pending *p = &a->v[i];
        if (p->skip || !p->s)
            continue;
        if (--p->s->pending == 0)
            p->s->pending_maxt = INT64_MIN;
    }
}

static void appender_reset(struct db_appender *a)
{
    a->n = 0;
    arena_release(&a->arena);
    arena_init(&a->arena);
}

enum db_commit_result db_appender_commit(struct db_appender *a, struct diag *d)
{
    struct db *db = a->db;
    struct head *h = &db->head;
    enum db_commit_result res = DB_COMMIT_OK;
    struct strbuf srec, crec;
    struct walrec_sample *ws = NULL;
    size_t nws = 0;
    int64_t maxt = INT64_MIN;
    strbuf_init(&srec, STRBUF_NOCAP);
    strbuf_init(&crec, STRBUF_NOCAP);
    if (a->n == 0)
        goto out;
    ws = xmalloc(a->n * sizeof *ws);
    walrec_series_begin(&srec);
    size_t srec_empty = srec.len;

    pthread_rwlock_wrlock(&h->lock);
    for (size_t i = 0; i < a->n; i++) {
        struct db_pending *p = &a->v[i];
        p->s = head_lookup(h, &p->ls, p->hash);
        if (!p->s)
            p->s = head_create(h, &p->ls, p->hash, 0);
        enum head_append_result r = head_appendable(h, p->s, p->t, p->v);
        if (r == HEAD_IGNORED) {
            p->skip = 1;
            continue;
        }
        if (r != HEAD_OK) {
            struct strbuf lb;
            strbuf_init(&lb, 4096);
            labels_format(&p->ls, &lb);
            diag_error(d, NULL, "%s", head_append_error[r]);
            diag_note(d, NULL, "series %s, timestamp %" PRId64, lb.buf, p->t);
            strbuf_release(&lb);
            undo_pending(a, i);
            pthread_rwlock_unlock(&h->lock);
            res = DB_COMMIT_REJECTED;
            goto out;
        }
        /*
         * Until a series record is durable, every commit using the series
         * logs it again: a concurrent commit's samples may reach the WAL
         * before the commit that created the series. Duplicates are harmless.
         */
        if (p->s->logged != 1 && (i == 0 || a->v[i - 1].s != p->s)) {
            walrec_series_add(&srec, p->s->ref, &p->s->ls);
            p->s->logged = 2;
        }
        p->s->pending++;
        p->s->pending_maxt = p->t;
        memcpy(&p->s->pending_bits, &p->v, sizeof p->v);
        ws[nws++] = (struct walrec_sample){p->s->ref, p->t, p->v};
        if (p->t > maxt)
            maxt = p->t;
    }
    pthread_rwlock_unlock(&h->lock);

    if (nws > 0) {
        const uint8_t *recs[2];
        size_t lens[2], nr = 0;
        if (srec.len > srec_empty) {
            recs[nr] = (const uint8_t *)srec.buf;
            lens[nr++] = srec.len;
        }
        walrec_samples(&crec, ws, nws);
        recs[nr] = (const uint8_t *)crec.buf;
        lens[nr++] = crec.len;
        if (wal_write(db->wal, recs, lens, nr, maxt, d) != 0) {
            pthread_rwlock_wrlock(&h->lock);
            undo_pending(a, a->n);
            pthread_rwlock_unlock(&h->lock);
            db->commits_failed++;
            res = DB_COMMIT_FAILED;
            goto out;
        }
    }

    pthread_rwlock_wrlock(&h->lock);
    for (size_t i = 0; i < a->n; i++) {
        struct db_pending *p = &a->v[i];
        if (p->skip)
            continue;
        if (p->s->logged == 2)
            p->s->logged = 1;
        head_append(h, p->s, p->t, p->v);
        if (--p->s->pending == 0)
            p->s->pending_maxt = INT64_MIN;
    }
    pthread_rwlock_unlock(&h->lock);
out:
    free(ws);
    strbuf_release(&srec);
    strbuf_release(&crec);
    appender_reset(a);
    return res;
}
