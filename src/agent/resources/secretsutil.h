/*
 * Secret values cairn makes itself: random passwords from OpenSSL's CSPRNG,
 * with the options of Secrets Manager's GetRandomPassword, so that no value
 * ever has to travel through an API response or a log.
 */
#ifndef CAIRN_SECRETSUTIL_H
#define CAIRN_SECRETSUTIL_H

#include <stddef.h>

#include "core/diag.h"

/* The punctuation GetRandomPassword uses: every printable ASCII character that is not a
 * letter, a digit or the space. */
#define SECRETSUTIL_PUNCTUATION "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

struct secretsutil_gen {
    size_t length;
    const char *exclude_characters; /* NULL: none */
    int exclude_numbers, exclude_punctuation, exclude_uppercase, exclude_lowercase;
    int include_space;
    int require_each_included_type; /* at least one of each class left (the space aside) */
};

/*
 * A new password (NUL-terminated, length characters), each character drawn uniformly from the
 * characters the options allow (rejection sampling over RAND_bytes: no modulo bias); with
 * require_each_included_type, whole passwords that miss a class are drawn again, so the
 * result is uniform over the passwords that qualify. The caller wipes it
 * (secretsutil_free). NULL, with d saying why, when the options allow no character, ask
 * for more classes than length, or the random generator fails.
 */
char *secretsutil_generate(const struct secretsutil_gen *g, struct diag *d);

/* Wipe and free a value from secretsutil_generate (NULL is fine). */
void secretsutil_free(char *secret);

#endif
