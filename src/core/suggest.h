/*
 * "Did you mean …?": the closest candidate to a misspelled word, by edit
 * distance (insert, delete, substitute, swap neighbours), when it is close
 * enough to be a likely typo.
 */
#ifndef CAIRN_SUGGEST_H
#define CAIRN_SUGGEST_H

#include <stddef.h>

/* Edit distance (optimal string alignment) between a and b. */
size_t suggest_distance(const char *a, const char *b);
/* The closest of n candidates, or NULL when none is within max(1, strlen(word)/3) edits. */
const char *suggest_closest(const char *word, const char *const *candidates, size_t n);

/* "; did you mean 'x'?" for the closest candidate, or otherwise (may be "") when none is close.
 * The text is written into buf (size bytes) or is otherwise itself. */
const char *suggest_tail(const char *word, const char *const *candidates, size_t n,
                         const char *otherwise, char *buf, size_t size);

#endif
