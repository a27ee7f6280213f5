/*
 * Printing values that come from AWS or a stack file into text output: escaped with
 * strbuf_add_printable(), so that none can forge a line of its own (a GitHub "::error::"
 * workflow command) or send the terminal an escape sequence.
 */
#ifndef CAIRN_PRINTABLE_H
#define CAIRN_PRINTABLE_H

#include <stddef.h>
#include <stdio.h>

/* Longest value printed whole in a line of text output; longer ones are cut with "...". */
#define PRINTABLE_MAX 1000

/* Write s escaped, at most max bytes of it (SIZE_MAX: all); NULL writes nothing. */
void printable_fputs(const char *s, size_t max, FILE *out);

#endif
