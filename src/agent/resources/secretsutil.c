#include "agent/resources/secretsutil.h"
#include "core/xmalloc.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <stdlib.h>
#include <string.h>

/* Whole passwords drawn at most this many times to find one with every class. */
#define MAX_DRAWS 1000

enum { LOWER, UPPER, DIGIT, PUNCT, SPACE, NCLASSES };

static const char *const class_chars[NCLASSES] = {
    "abcdefghijklmnopqrstuvwxyz",
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "0123456789",
    SECRETSUTIL_PUNCTUATION,
    " ",
};

static int class_of(char ch)
{
    for (int k = 0; k < NCLASSES; k++)
        if (strchr(class_chars[k], ch))
            return k;
    return -1;
}

/* Random bytes, a buffer at a time. */
struct pool {
    unsigned char buf[256];
    size_t left;
};

static int pool_byte(struct pool *p, unsigned char *out)
{
    if (!p->left) {
        if (RAND_bytes(p->buf, (int)sizeof(p->buf)) != 1)
            return -1;
        p->left = sizeof(p->buf);
    }
    *out = p->buf[--p->left];
    return 0;
}

/* A uniform index below n (1..256): bytes at or above the largest multiple of n are drawn
 * again, so every index is equally likely. */
static int pool_index(struct pool *p, size_t n, size_t *out)
{
    size_t limit = 256 - 256 % n;
    unsigned char b;

    do {
        if (pool_byte(p, &b) < 0)
            return -1;
    } while (b >= limit);
    *out = b % n;
    return 0;
}

char *secretsutil_generate(const struct secretsutil_gen *g, struct diag *d)
{
    const int excluded[NCLASSES] = {g->exclude_lowercase, g->exclude_uppercase, g->exclude_numbers,
                                    g->exclude_punctuation, !g->include_space};
    char alphabet[128];
    int wanted[NCLASSES] = {0}, nwanted = 0, ok = 0;
    size_t n = 0;
    struct pool pool = {.left = 0};
    char *pw = NULL;

    for (int k = 0; k < NCLASSES; k++) {
        if (excluded[k])
            continue;
        for (const char *c = class_chars[k]; *c; c++) {
            if (g->exclude_characters && strchr(g->exclude_characters, *c))
                continue;
            alphabet[n++] = *c;
            if (k != SPACE && !wanted[k]) {
                wanted[k] = 1;
                nwanted++;
            }
        }
    }
    if (!n || !g->length) {
        diag_error(d, NULL, "the generate options leave no character to make the value of");
        goto out;
    }
    if (g->require_each_included_type && g->length < (size_t)nwanted) {
        diag_error(d, NULL, "a value of %zu characters cannot hold one of each of %d kinds",
                   g->length, nwanted);
        goto out;
    }
    pw = xmalloc(g->length + 1);
    for (int draw = 0; draw < MAX_DRAWS && !ok; draw++) {
        int seen[NCLASSES] = {0}, nseen = 0;
        for (size_t i = 0; i < g->length; i++) {
            size_t idx;
            int k;
            if (pool_index(&pool, n, &idx) < 0) {
                diag_error(d, NULL, "the random generator failed (RAND_bytes)");
                goto out;
            }
            pw[i] = alphabet[idx];
            k = class_of(pw[i]);
            if (k >= 0 && wanted[k] && !seen[k]) {
                seen[k] = 1;
                nseen++;
            }
        }
        pw[g->length] = '\0';
        ok = !g->require_each_included_type || nseen == nwanted;
    }
    if (!ok)
        diag_error(d, NULL,
                   "no value of %zu characters with one of each kind after %d draws: lengthen "
                   "it or exclude fewer characters",
                   g->length, MAX_DRAWS);
out:
    if (!ok && pw) {
        OPENSSL_cleanse(pw, g->length + 1);
        free(pw);
        pw = NULL;
    }
    OPENSSL_cleanse(&pool, sizeof(pool));
    OPENSSL_cleanse(alphabet, sizeof(alphabet));
    return pw;
}

void secretsutil_free(char *secret)
{
    if (!secret)
        return;
    OPENSSL_cleanse(secret, strlen(secret));
    free(secret);
}
