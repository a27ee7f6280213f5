/*
 * libFuzzer target for the stack loader: YAML, templates, parameters,
 * references, validation, cycles and both renderers, on arbitrary bytes.
 * Templates come from ./templates (tools/fuzz runs from the repository root),
 * so instances of the real templates are expanded too.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "agent/render.h"
#include "agent/graph.h"
#include "agent/stackload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct stack_options o = {"templates", "us-east-1", NULL};
    struct stack s;
    struct diag d;
    FILE *null = fopen("/dev/null", "w");

    diag_init(&d);
    stack_init(&s);
    if (stack_load_text(&s, "fuzz.yaml", (const char *)data, size, &o, &d) == 0) {
        json_t *j = render_json(&s);
        json_decref(j);
        render_yaml(&s, null, &d);
        graph_order(&s);
    }
    diag_print(&d, null, "cairn");
    stack_release(&s);
    diag_release(&d);
    fclose(null);
    return 0;
}
