#include "core/suggest.h"
#include "core/xmalloc.h"

#include <ctype.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

static size_t min3(size_t a, size_t b, size_t c)
{
    size_t m = a < b ? a : b;
    return m < c ? m : c;
}

/* Optimal string alignment: Levenshtein plus swapping two neighbours, in three rows. */
size_t suggest_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), d;
    size_t *rows = xmalloc(3 * (lb + 1) * sizeof(*rows));
    size_t *prev2 = rows, *prev = rows + lb + 1, *cur = rows + 2 * (lb + 1), *t;

    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] != b[j - 1];
            cur[j] = min3(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                prev2[j - 2] + 1 < cur[j])
                cur[j] = prev2[j - 2] + 1;
        }
        t = prev2;
        prev2 = prev;
        prev = cur;
        cur = t;
    }
    d = prev[lb];
    free(rows);
    return d;
}

/* Equal but for ASCII case and '_' against '-': "Desired-Count" for "desired_count". */
static int same_but_spelling(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a == '-' ? '_' : (char)tolower((unsigned char)*a);
        char y = *b == '-' ? '_' : (char)tolower((unsigned char)*b);
        if (x != y)
            return 0;
    }
    return !*a && !*b;
}

const char *suggest_closest(const char *word, const char *const *candidates, size_t n)
{
    size_t wlen = strlen(word), limit = wlen / 3 > 1 ? wlen / 3 : 1, best_d = limit + 1;
    const char *best = NULL;

    for (size_t i = 0; i < n; i++)
        if (candidates[i] && same_but_spelling(word, candidates[i]))
            return candidates[i];
    /* A shortening or a longer form: int for integer, natgw for nat, property for properties.
     * Edit distance alone is too strict for these; a long shared start says the same. */
    for (size_t i = 0; i < n; i++) {
        size_t common = 0, clen;
        if (!candidates[i])
            continue;
        clen = strlen(candidates[i]);
        while (word[common] && word[common] == candidates[i][common])
            common++;
        if (common >= 3 && common * 4 >= (clen < wlen ? clen : wlen) * 3 &&
            suggest_distance(word, candidates[i]) < (clen > wlen ? clen : wlen))
            return candidates[i];
    }
    for (size_t i = 0; i < n; i++) {
        size_t clen, d;

        if (!candidates[i])
            continue;
        /* The lengths alone already rule out far candidates: skip the table. */
        clen = strlen(candidates[i]);
        if ((clen > wlen ? clen - wlen : wlen - clen) >= best_d)
            continue;
        d = suggest_distance(word, candidates[i]);
        if (d < best_d) {
            best_d = d;
            best = candidates[i];
        }
    }
    return best;
}

const char *suggest_tail(const char *word, const char *const *candidates, size_t n,
                         const char *otherwise, char *buf, size_t size)
{
    const char *hint = suggest_closest(word, candidates, n);

    if (!hint)
        return otherwise;
    snprintf(buf, size, "; did you mean '%s'?", hint);
    return buf;
}
