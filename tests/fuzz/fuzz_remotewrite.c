/*
 * libFuzzer target for the remote-write decoder: any bytes as a request body.
 * A body that decodes is encoded again and decoded again, and must give the
 * same series and sample count (the codec round-trips what it accepts).
 */
#include <stddef.h>
#include <stdint.h>

#include "metrics/remotewrite.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct remotewrite_limits lim = remotewrite_limits_default();
    struct remotewrite_request req, again;
    struct arena a;
    struct diag d;
    lim.max_uncompressed = 4u << 20; /* keep each run small */
    arena_init(&a);
    diag_init(&d);
    if (remotewrite_decode(data, size, &lim, &a, &req, &d) == 0) {
        struct strbuf sb = STRBUF_INIT;
        if (remotewrite_encode(&req, &sb, &d) < 0)
            __builtin_trap();
        if (remotewrite_decode(sb.buf, sb.len, NULL, &a, &again, &d) < 0)
            __builtin_trap();
        if (again.nseries != req.nseries ||
            remotewrite_count_samples(&again) != remotewrite_count_samples(&req))
            __builtin_trap();
        for (size_t i = 0; i < req.nseries; i++)
            if (!labels_equal(&req.series[i].labels, &again.series[i].labels))
                __builtin_trap();
        strbuf_release(&sb);
    }
    diag_release(&d);
    arena_release(&a);
    return 0;
}
