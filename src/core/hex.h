/*
 * hex: hexadecimal digits, the one place every parser and encoder reads and
 * writes them (percent-decoding in SigV4 and HTTP query strings, \x and \u
 * escapes in PromQL and label matchers, digests printed as text).
 */
#ifndef CAIRN_HEX_H
#define CAIRN_HEX_H

#include <stddef.h>

/* The value of one hex digit (either case), or -1 when c is not one. */
int hex_digit(int c);

/* p's n bytes as 2n lowercase hex digits and a NUL into out (2n + 1 bytes). */
void hex_encode(const unsigned char *p, size_t n, char *out);

#endif
