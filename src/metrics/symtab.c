/*
 * symtab: see symtab.h. Each string lives in one allocation behind a small
 * header (hash, length, references); the table is open addressing over
 * pointers to those headers, with tombstones for freed strings, grown at
 * half full. The caller gets a pointer to the text, and unref() finds the
 * header just before it.
 */
#include "metrics/symtab.h"
#include "core/hash.h"
#include "core/xmalloc.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct sym {
    uint64_t hash;
    size_t len;
    size_t refs;
    char text[];
};

#define TOMBSTONE ((struct sym *)1)

struct symtab {
    pthread_mutex_t mu;
    struct sym **slots;
    size_t cap, used, live, bytes; /* used counts tombstones too */
};

static struct sym *sym_of(const char *text)
{
    return (struct sym *)(text - offsetof(struct sym, text));
}

struct symtab *symtab_new(void)
{
    struct symtab *st = xcalloc(1, sizeof(*st));
    pthread_mutex_init(&st->mu, NULL);
    st->cap = 256;
    st->slots = xcalloc(st->cap, sizeof(*st->slots));
    return st;
}

void symtab_free(struct symtab *st)
{
    if (!st)
        return;
    for (size_t i = 0; i < st->cap; i++)
        if (st->slots[i] && st->slots[i] != TOMBSTONE)
            free(st->slots[i]);
    free(st->slots);
    pthread_mutex_destroy(&st->mu);
    free(st);
}

static void rehash(struct symtab *st, size_t cap)
{
    struct sym **old = st->slots;
    size_t ocap = st->cap;
    st->slots = xcalloc(cap, sizeof(*st->slots));
    st->cap = cap;
    st->used = 0;
    for (size_t i = 0; i < ocap; i++) {
        struct sym *s = old[i];
        if (!s || s == TOMBSTONE)
            continue;
        size_t j = s->hash & (cap - 1);
        while (st->slots[j])
            j = (j + 1) & (cap - 1);
        st->slots[j] = s;
        st->used++;
    }
    free(old);
}

const char *symtab_intern(struct symtab *st, const char *s, size_t n)
{
    uint64_t h = hash_bytes(s, n, 0x5157);
    pthread_mutex_lock(&st->mu);
    if ((st->used + 1) * 2 > st->cap)
        rehash(st, st->live * 4 > st->cap ? st->cap * 2 : st->cap);
    size_t i = h & (st->cap - 1), free_slot = SIZE_MAX;
    struct sym *sym;
    for (;; i = (i + 1) & (st->cap - 1)) {
        sym = st->slots[i];
        if (!sym)
            break;
        if (sym == TOMBSTONE) {
            if (free_slot == SIZE_MAX)
                free_slot = i;
            continue;
        }
        if (sym->hash == h && sym->len == n && memcmp(sym->text, s, n) == 0) {
            sym->refs++;
            pthread_mutex_unlock(&st->mu);
            return sym->text;
        }
    }
    sym = xmalloc(sizeof(*sym) + n + 1);
    sym->hash = h;
    sym->len = n;
    sym->refs = 1;
    memcpy(sym->text, s, n);
    sym->text[n] = '\0';
    if (free_slot != SIZE_MAX) {
        i = free_slot;
    } else {
        st->used++;
    }
    st->slots[i] = sym;
    st->live++;
    st->bytes += n + 1;
    pthread_mutex_unlock(&st->mu);
    return sym->text;
}

const char *symtab_ref(struct symtab *st, const char *text)
{
    pthread_mutex_lock(&st->mu);
    sym_of(text)->refs++;
    pthread_mutex_unlock(&st->mu);
    return text;
}

void symtab_unref(struct symtab *st, const char *text)
{
    if (!text)
        return;
    struct sym *sym = sym_of(text);
    pthread_mutex_lock(&st->mu);
    if (--sym->refs == 0) {
        size_t i = sym->hash & (st->cap - 1);
        while (st->slots[i] != sym)
            i = (i + 1) & (st->cap - 1);
        st->slots[i] = TOMBSTONE;
        st->live--;
        st->bytes -= sym->len + 1;
        free(sym);
    }
    pthread_mutex_unlock(&st->mu);
}

struct labels symtab_intern_labels(struct symtab *st, const struct labels *ls)
{
    struct label *v = xcalloc(ls->n ? ls->n : 1, sizeof(*v));
    for (size_t i = 0; i < ls->n; i++) {
        v[i].name = symtab_intern(st, ls->v[i].name, strlen(ls->v[i].name));
        v[i].value = symtab_intern(st, ls->v[i].value, strlen(ls->v[i].value));
    }
    return (struct labels){v, ls->n};
}

void symtab_unref_labels(struct symtab *st, struct labels *ls)
{
    for (size_t i = 0; i < ls->n; i++) {
        symtab_unref(st, ls->v[i].name);
        symtab_unref(st, ls->v[i].value);
    }
    free((void *)ls->v);
    *ls = (struct labels){NULL, 0};
}

size_t symtab_count(const struct symtab *st)
{
    return st->live;
}

size_t symtab_bytes(const struct symtab *st)
{
    return st->bytes;
}
