/*
 * libFuzzer target for the PromQL parser and printer: any bytes in, either
 * a tree or a located "parse error" out, never a crash, a leak or a
 * sanitizer report. A tree that parses is printed, and the printed text
 * must parse again. (Not print the same: Prometheus's String() writes +Inf
 * for an infinite literal, so "-(+Inf ^ 2)"-like trees gain a unary "+" on
 * each round, and cairn prints as Prometheus does.) Pretty (format_query)
 * differs from String() only in whitespace: its text must parse to a tree
 * that prints as the String() text's tree does.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/arena.h"
#include "core/strbuf.h"
#include "promql/ast.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    struct arena a;
    arena_init(&a);
    struct strbuf err = STRBUF_INIT, once = STRBUF_INIT, twice = STRBUF_INIT;
    struct strbuf pretty = STRBUF_INIT, ptwice = STRBUF_INIT;
    struct pq_node *n = promql_parse(&a, (const char *)data, size, &err);
    if (!n) {
        if (!strstr(err.buf, "parse error"))
            __builtin_trap();
        goto out;
    }
    promql_print(n, &once);
    promql_pretty(n, 0, &pretty);
    pq_node_release(n);
    strbuf_reset(&err);
    n = promql_parse(&a, once.buf, once.len, &err);
    /* Printed text that does not parse back is a printer bug. */
    if (!n)
        __builtin_trap();
    promql_print(n, &twice);
    pq_node_release(n);
    n = promql_parse(&a, pretty.buf, pretty.len, &err);
    if (!n)
        __builtin_trap();
    promql_print(n, &ptwice);
    pq_node_release(n);
    if (strcmp(ptwice.buf, twice.buf))
        __builtin_trap();
out:
    strbuf_release(&pretty);
    strbuf_release(&ptwice);
    strbuf_release(&err);
    strbuf_release(&once);
    strbuf_release(&twice);
    arena_release(&a);
    return 0;
}
