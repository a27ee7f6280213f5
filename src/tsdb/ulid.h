/*
 * ulid: block names as github.com/oklog/ulid writes them: 48 bits of
 * milliseconds then 80 random bits, 26 characters of Crockford base32.
 */
#ifndef CAIRN_TSDB_ULID_H
#define CAIRN_TSDB_ULID_H

#include <stdint.h>

#define ULID_LEN 26

/* Encode ms and 10 random bytes into out (27 bytes with the NUL). */
void ulid_encode(char out[ULID_LEN + 1], uint64_t ms, const uint8_t rnd[10]);
/* A new ULID for now. */
void ulid_new(char out[ULID_LEN + 1]);
/* 1 if s is 26 valid Crockford characters (as a block directory name). */
int ulid_valid(const char *s);
/* Milliseconds in a valid ULID. */
uint64_t ulid_time(const char *s);

#endif
