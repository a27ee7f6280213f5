#include "aws/callcache.h"
#include "core/xmalloc.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct entry {
    char *key;
    size_t keylen;
    int pending; /* claimed, not answered yet */
    char *body;
    size_t len;
    long status;
};

struct callcache {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct entry *v;
    size_t n, alloc;
    unsigned long hits;
};

struct callcache *callcache_new(void)
{
    struct callcache *cc = xcalloc(1, sizeof(*cc));

    pthread_mutex_init(&cc->mu, NULL);
    pthread_cond_init(&cc->cv, NULL);
    return cc;
}

void callcache_free(struct callcache *cc)
{
    if (!cc)
        return;
    for (size_t i = 0; i < cc->n; i++) {
        free(cc->v[i].key);
        free(cc->v[i].body);
    }
    free(cc->v);
    pthread_cond_destroy(&cc->cv);
    pthread_mutex_destroy(&cc->mu);
    free(cc);
}

/* A few dozen distinct requests per read: a linear search is the simple right thing. */
static struct entry *find(struct callcache *cc, const char *key, size_t keylen)
{
    for (size_t i = 0; i < cc->n; i++)
        if (cc->v[i].keylen == keylen && memcmp(cc->v[i].key, key, keylen) == 0)
            return &cc->v[i];
    return NULL;
}

enum callcache_result callcache_claim(struct callcache *cc, const char *key, size_t keylen,
                                      char **body, size_t *len, long *status)
{
    enum callcache_result r = CALLCACHE_MINE;
    struct entry *e;

    pthread_mutex_lock(&cc->mu);
    while ((e = find(cc, key, keylen)) && e->pending)
        pthread_cond_wait(&cc->cv, &cc->mu);
    if (e) {
        *body = xmalloc(e->len + 1);
        memcpy(*body, e->body, e->len);
        (*body)[e->len] = '\0';
        *len = e->len;
        *status = e->status;
        cc->hits++;
        r = CALLCACHE_HIT;
    } else {
        XGROW(cc->v, cc->alloc, cc->n + 1);
        e = &cc->v[cc->n++];
        memset(e, 0, sizeof(*e));
        e->key = xmalloc(keylen);
        memcpy(e->key, key, keylen);
        e->keylen = keylen;
        e->pending = 1;
    }
    pthread_mutex_unlock(&cc->mu);
    return r;
}

void callcache_fill(struct callcache *cc, const char *key, size_t keylen, const char *body,
                    size_t len, long status)
{
    struct entry *e;

    pthread_mutex_lock(&cc->mu);
    if ((e = find(cc, key, keylen)) && e->pending) {
        e->body = xmalloc(len ? len : 1);
        memcpy(e->body, body, len);
        e->len = len;
        e->status = status;
        e->pending = 0;
    }
    pthread_cond_broadcast(&cc->cv);
    pthread_mutex_unlock(&cc->mu);
}

void callcache_abandon(struct callcache *cc, const char *key, size_t keylen)
{
    struct entry *e;

    pthread_mutex_lock(&cc->mu);
    if ((e = find(cc, key, keylen)) && e->pending) {
        free(e->key);
        *e = cc->v[--cc->n];
    }
    pthread_cond_broadcast(&cc->cv);
    pthread_mutex_unlock(&cc->mu);
}

unsigned long callcache_hits(struct callcache *cc)
{
    unsigned long n;

    pthread_mutex_lock(&cc->mu);
    n = cc->hits;
    pthread_mutex_unlock(&cc->mu);
    return n;
}
