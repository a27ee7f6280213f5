/* ulid: Crockford base32 of 128 bits (48-bit ms timestamp, 80 random bits). */
#include "tsdb/ulid.h"

#include <string.h>
#include <sys/random.h>
#include <time.h>

static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

void ulid_encode(char out[ULID_LEN + 1], uint64_t ms, const uint8_t rnd[10])
{
    uint8_t b[16];
    for (int i = 0; i < 6; i++)
        b[i] = (uint8_t)(ms >> (40 - 8 * i));
    memcpy(b + 6, rnd, 10);
    /* 130 bits of output for 128 of input: the first character carries 3 bits. */
    for (int i = 0; i < ULID_LEN; i++) {
        int bit = i * 5 - 2; /* position of this character's first bit */
        unsigned v = 0;
        for (int k = 0; k < 5; k++, bit++) {
            unsigned x = 0;
            if (bit >= 0)
                x = (b[bit / 8] >> (7 - bit % 8)) & 1;
            v = v << 1 | x;
        }
        out[i] = alphabet[v];
    }
    out[ULID_LEN] = 0;
}

void ulid_new(char out[ULID_LEN + 1])
{
    uint8_t rnd[10] = {0};
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) {
        /* Uniqueness within the process still holds through the counter. */
        static uint64_t ctr;
        ctr++;
        memcpy(rnd, &ctr, sizeof ctr);
        memcpy(rnd + 8, &ts.tv_nsec, 2);
    }
    ulid_encode(out, ms, rnd);
}

static int char_value(char c)
{
    const char *p = strchr(alphabet, c);
    return c && p ? (int)(p - alphabet) : -1;
}

int ulid_valid(const char *s)
{
    if (strlen(s) != ULID_LEN || char_value(s[0]) > 7)
        return 0;
    for (int i = 0; i < ULID_LEN; i++)
        if (char_value(s[i]) < 0)
            return 0;
    return 1;
}

uint64_t ulid_time(const char *s)
{
    uint64_t v = 0;
    for (int i = 0; i < 10; i++)
        v = v << 5 | (uint64_t)char_value(s[i]);
    return v;
}
