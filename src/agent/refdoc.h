/*
 * The stack reference, generated from the resource type tables and the
 * template files so that it cannot go stale: docs/stack-reference.md is
 * this output, and a test fails when the two differ.
 */
#ifndef CAIRN_REFDOC_H
#define CAIRN_REFDOC_H

#include <stdio.h>

#include "agent/restype.h"
#include "core/diag.h"

/* Markdown for every type and every template in template_dir. 0, or -1 when a template is
 * broken (d says why). */
int refdoc_markdown(FILE *out, const char *template_dir, struct diag *d);
/* Plain text of one type, for `cairn types TYPE`. */
void refdoc_type_text(FILE *out, const struct restype *t);

#endif
