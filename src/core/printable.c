#include "core/printable.h"
#include "core/strbuf.h"

void printable_fputs(const char *s, size_t max, FILE *out)
{
    struct strbuf sb = STRBUF_INIT;

    if (!s)
        return;
    strbuf_add_printable(&sb, s, max);
    fwrite(sb.buf, 1, sb.len, out);
    strbuf_release(&sb);
}
