/*
 * YAML loading with libyaml's event parser. Events (not libyaml's document
 * API) let us place every node and refuse what a stack file must not use as
 * it streams past, with an explicit stack instead of recursion so hostile
 * nesting costs no C stack.
 */
#include "core/ydoc.h"
#include "core/strbuf.h"
#include "core/xmalloc.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#define CORE_TAG "tag:yaml.org,2002:"
/* Maps with more keys than this find duplicates with a hash table. */
#define LINEAR_KEYS 8

struct frame {
    struct ynode *node;
    struct ynode *key; /* map: key whose value comes next */
    int skip;          /* map: that key is bad or a duplicate; drop the pair */
    size_t *slots;     /* map: open-addressed key indexes + 1, once large */
    size_t nslots;
};

struct loader {
    struct ydoc *y;
    struct diag *d;
    const unsigned char *text;
    size_t len;
    yaml_parser_t parser;
    struct frame stack[YDOC_MAX_DEPTH];
    size_t depth;
    size_t end_line, end_col; /* where the text ends, as libyaml counts */
    int ndocs;
    int failed; /* an error was reported but parsing went on to find more */
};

/* Bytes of the line break at s[i], or 0. The breaks libyaml counts: \n, \r\n, \r, NEL, LS, PS. */
static size_t line_break(const unsigned char *s, size_t i, size_t len)
{
    if (s[i] == '\n')
        return 1;
    if (s[i] == '\r')
        return i + 1 < len && s[i + 1] == '\n' ? 2 : 1;
    if (s[i] == 0xc2 && i + 1 < len && s[i + 1] == 0x85)
        return 2;
    if (s[i] == 0xe2 && i + 2 < len && s[i + 1] == 0x80 && (s[i + 2] & 0xfe) == 0xa8)
        return 3;
    return 0;
}

/*
 * Walk the text as libyaml counts positions (0-based lines, columns in
 * characters) up to byte stop or to (line, col), whichever comes first.
 * Returns the byte offset reached.
 */
static size_t walk(const struct loader *l, size_t stop, size_t *line, size_t *col)
{
    size_t i = 0, ln = 0, c = 0, brk;

    while (i < stop && i < l->len && !(ln == *line && c == *col)) {
        if ((brk = line_break(l->text, i, l->len))) {
            ln++;
            c = 0;
            i += brk;
            continue;
        }
        if ((l->text[i++] & 0xc0) != 0x80)
            c++;
    }
    *line = ln;
    *col = c;
    return i;
}

static struct srcloc loc_of_mark(const struct loader *l, yaml_mark_t m)
{
    struct srcloc loc = {l->y->file, (unsigned)m.line + 1, (unsigned)m.column + 1};

    /* At the end of a last line without a newline, libyaml moves on to a line that is not there. */
    if (m.line > l->end_line || (m.line == l->end_line && m.column > l->end_col)) {
        loc.line = (unsigned)l->end_line + 1;
        loc.col = (unsigned)l->end_col + 1;
    }
    return loc;
}

static struct srcloc loc_of_offset(const struct loader *l, size_t off)
{
    size_t line = SIZE_MAX, col = SIZE_MAX;
    struct srcloc loc;

    walk(l, off, &line, &col);
    loc.file = l->y->file;
    loc.line = (unsigned)line + 1;
    loc.col = (unsigned)col + 1;
    return loc;
}

static size_t offset_of_mark(const struct loader *l, yaml_mark_t m)
{
    size_t line = m.line, col = m.column;
    return walk(l, SIZE_MAX, &line, &col);
}

/* Indentation column (1-based) of the line starting at text offset off, or 0 if blank/comment. */
static unsigned line_indent(const struct loader *l, size_t off)
{
    size_t i = off;

    while (i < l->len && l->text[i] == ' ')
        i++;
    if (i >= l->len || l->text[i] == '\n' || l->text[i] == '\r' || l->text[i] == '#')
        return 0;
    return (unsigned)(i - off) + 1;
}

/*
 * libyaml's words for the commonest mistakes name the parser's state, not the user's error.
 * Say what happened where the user can fix it. Returns 1 when it reported the error.
 */
static int explain(struct loader *l, const yaml_parser_t *p, const struct srcloc *at)
{
    const char *problem = p->problem, *context = p->context ? p->context : "";
    struct srcloc ctx = loc_of_mark(l, p->context_mark);
    int later = p->problem_mark.line > p->context_mark.line;

    if (strcmp(problem, "mapping values are not allowed in this context") == 0) {
        diag_error(l->d, at,
                   "YAML syntax: ': ' inside an unquoted value starts a map; put the "
                   "value in quotes");
        return 1;
    }
    if (later && strstr(context, "while scanning a quoted scalar")) {
        size_t off = offset_of_mark(l, p->context_mark);
        char q = off < l->len ? (char)l->text[off] : '"';
        diag_error(l->d, &ctx, "this quoted string is never closed; add the closing %s",
                   q == '\'' ? "\"'\"" : "'\"'");
        return 1;
    }
    if (later && strstr(context, "while parsing a flow sequence")) {
        diag_error(l->d, &ctx, "this '[' is never closed; add the closing ']'");
        return 1;
    }
    if (later && strstr(context, "while parsing a flow mapping")) {
        diag_error(l->d, &ctx, "this '{' is never closed; add the closing '}'");
        return 1;
    }
    if (strcmp(problem, "did not find expected key") == 0 &&
        strstr(context, "while parsing a block mapping")) {
        /* A key between two indentation levels: name the two it could have meant. */
        size_t off = offset_of_mark(l, p->problem_mark) - (at->col - 1);
        unsigned deeper = 0, shallower = 0;
        if (line_indent(l, off) != at->col)
            return 0;
        while (off > 0 && (!deeper || !shallower)) {
            unsigned ind;
            size_t start = off - 1;
            while (start > 0 && l->text[start - 1] != '\n')
                start--;
            ind = line_indent(l, start);
            if (ind > at->col && !deeper && !shallower)
                deeper = ind;
            else if (ind && ind < at->col && !shallower)
                shallower = ind;
            off = start;
        }
        if (!deeper || !shallower)
            return 0;
        diag_error(l->d, at,
                   "bad indentation: this key is at column %u, but the keys above it are at "
                   "columns %u and %u",
                   at->col, deeper, shallower);
        return 1;
    }
    return 0;
}

static void syntax_error(struct loader *l)
{
    const yaml_parser_t *p = &l->parser;
    const char *problem = p->problem ? p->problem : "unknown error";
    struct srcloc loc;
    size_t off;

    if (p->error == YAML_READER_ERROR) {
        off = p->problem_offset < l->len ? p->problem_offset : l->len;
        if (strstr(problem, "UTF-8") || strstr(problem, "Unicode")) {
            /* For a bad trailing byte libyaml points past the lead; show the sequence. */
            for (size_t k = 1; strstr(problem, "trailing") && k <= 3 && k <= off; k++) {
                if (l->text[off - k] >= 0xc0) {
                    off -= k;
                    break;
                }
            }
            loc = loc_of_offset(l, off);
            diag_error(l->d, &loc, "invalid UTF-8: %s", problem);
        } else if (strstr(problem, "control characters")) {
            loc = loc_of_offset(l, off);
            diag_error(l->d, &loc, "%s U+%04X is not allowed in YAML",
                       p->problem_value < 0xa0 ? "control character" : "character",
                       (unsigned)p->problem_value);
        } else {
            loc = loc_of_offset(l, off);
            diag_error(l->d, &loc, "YAML: %s", problem);
        }
        return;
    }
    loc = loc_of_mark(l, p->problem_mark);
    off = offset_of_mark(l, p->problem_mark);
    /* libyaml's words for a tab in the indentation do not say "tab" in the common case. */
    if (p->error == YAML_SCANNER_ERROR &&
        ((off < l->len && l->text[off] == '\t') || strstr(problem, "tab character"))) {
        diag_error(l->d, &loc, "tabs are not allowed for indentation in YAML");
        return;
    }
    if (explain(l, p, &loc))
        return;
    diag_error(l->d, &loc, "YAML syntax: %s", problem);
    if (p->context && (p->context_mark.line != p->problem_mark.line ||
                       p->context_mark.column != p->problem_mark.column)) {
        loc = loc_of_mark(l, p->context_mark);
        diag_note(l->d, &loc, "%s", p->context);
    }
    /* "[${a.b}]": the '{' of a reference ends a plain value inside [ ] or { }. */
    if (off > 0 && off < l->len && l->text[off] == '{' && l->text[off - 1] == '$') {
        loc = loc_of_mark(l, p->problem_mark);
        loc.col--;
        diag_note(l->d, &loc, "inside [ ] or { }, quote a value that holds '${': \"${...}\"");
    }
}

/* Does text read as the core schema's tag (int, float, bool or null) says? */
static int core_scalar_ok(const char *tag, const char *s)
{
    size_t n = strlen(s), i = 0, digits = 0;

    if (!strcmp(tag, "null"))
        return !strcmp(s, "") || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
               !strcmp(s, "NULL");
    if (!strcmp(tag, "bool"))
        return !strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE") ||
               !strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE");
    if (!strcmp(tag, "int")) {
        if (!strncmp(s, "0x", 2))
            return n > 2 && strspn(s + 2, "0123456789abcdefABCDEF") == n - 2;
        if (!strncmp(s, "0o", 2))
            return n > 2 && strspn(s + 2, "01234567") == n - 2;
        i = (s[0] == '-' || s[0] == '+');
        return n > i && strspn(s + i, "0123456789") == n - i;
    }
    /* float */
    i = (s[0] == '-' || s[0] == '+');
    if (!strcmp(s + i, ".inf") || !strcmp(s + i, ".Inf") || !strcmp(s + i, ".INF"))
        return 1;
    if (!strcmp(s, ".nan") || !strcmp(s, ".NaN") || !strcmp(s, ".NAN"))
        return 1;
    digits = strspn(s + i, "0123456789");
    i += digits;
    if (s[i] == '.') {
        size_t frac = strspn(s + i + 1, "0123456789");
        digits += frac;
        i += 1 + frac;
    }
    if (!digits)
        return 0;
    if (s[i] == 'e' || s[i] == 'E') {
        i += 1 + (s[i + 1] == '-' || s[i + 1] == '+');
        if (!strspn(s + i, "0123456789"))
            return 0;
        i += strspn(s + i, "0123456789");
    }
    return i == n;
}

/*
 * Only the core schema's own tags (!!str, !!int, …) are allowed: they change
 * how a scalar reads (n->quoted), nothing more. Returns -1 after an error.
 */
static int check_tag(struct loader *l, const yaml_char_t *utag, struct ynode *n)
{
    static const char *const scalar_tags[] = {"str", "int", "float", "bool", "null"};
    const char *tag = (const char *)utag, *t;
    int scalar_tag = 0;

    if (!tag)
        return 0;
    if (strncmp(tag, CORE_TAG, strlen(CORE_TAG)) != 0) {
        diag_error(l->d, &n->loc, "custom tag '%s' is not supported in stack files", tag);
        return -1;
    }
    t = tag + strlen(CORE_TAG);
    for (size_t i = 0; i < sizeof(scalar_tags) / sizeof(scalar_tags[0]); i++)
        scalar_tag |= !strcmp(t, scalar_tags[i]);
    if (!scalar_tag && strcmp(t, "map") != 0 && strcmp(t, "seq") != 0) {
        diag_error(l->d, &n->loc, "tag '!!%s' is not supported in stack files", t);
        return -1;
    }
    if ((n->kind == YNODE_SCALAR && !scalar_tag) || (n->kind == YNODE_MAP && strcmp(t, "map")) ||
        (n->kind == YNODE_SEQ && strcmp(t, "seq"))) {
        diag_error(l->d, &n->loc, "tag '!!%s' does not fit %s", t, ydoc_kind_name(n));
        return -1;
    }
    if (n->kind != YNODE_SCALAR)
        return 0;
    if (!strcmp(t, "str")) {
        n->quoted = 1;
        return 0;
    }
    if (!core_scalar_ok(t, n->str)) {
        diag_error(l->d, &n->loc, "'%s' is not a valid !!%s", n->str, t);
        return -1;
    }
    n->quoted = 0;
    return 0;
}

static uint64_t hash_key(const struct ynode *k)
{
    uint64_t h = 1469598103934665603u;
    for (size_t i = 0; i < k->len; i++)
        h = (h ^ (unsigned char)k->str[i]) * 1099511628211u;
    return h;
}

static int same_key(const struct ynode *a, const struct ynode *b)
{
    return a->len == b->len && !memcmp(a->str, b->str, a->len);
}

static void hash_insert(struct frame *f, size_t idx)
{
    size_t mask = f->nslots - 1, i = (size_t)hash_key(f->node->keys[idx]) & mask;

    while (f->slots[i])
        i = (i + 1) & mask;
    f->slots[i] = idx + 1;
}

/* Index of the key equal to k in the frame's map, or -1. */
static long find_key(struct frame *f, const struct ynode *k)
{
    struct ynode *m = f->node;
    size_t mask, i;

    if (m->n <= LINEAR_KEYS) {
        for (i = 0; i < m->n; i++)
            if (same_key(m->keys[i], k))
                return (long)i;
        return -1;
    }
    /* Keep the table at most half full; rebuild it from the keys when it grows. */
    if (m->n * 2 >= f->nslots) {
        free(f->slots);
        f->nslots = 64;
        while (f->nslots <= m->n * 2)
            f->nslots *= 2;
        f->slots = xcalloc(f->nslots, sizeof(*f->slots));
        for (i = 0; i < m->n; i++)
            hash_insert(f, i);
    }
    mask = f->nslots - 1;
    for (i = (size_t)hash_key(k) & mask; f->slots[i]; i = (i + 1) & mask)
        if (same_key(m->keys[f->slots[i] - 1], k))
            return (long)f->slots[i] - 1;
    return -1;
}

/* Attach n where the parse is: the root, a sequence item, a map key or a map value. */
static void add_node(struct loader *l, struct ynode *n)
{
    struct frame *f;
    long first;

    if (!l->depth) {
        l->y->root = n;
        return;
    }
    f = &l->stack[l->depth - 1];
    if (f->node->kind == YNODE_SEQ) {
        ydoc_append(&l->y->arena, f->node, NULL, n);
        return;
    }
    if (!f->key) {
        f->key = n;
        f->skip = 1;
        if (n->kind != YNODE_SCALAR) {
            diag_error(l->d, &n->loc, "map keys must be strings, not %s", ydoc_kind_name(n));
            l->failed = 1;
        } else if ((first = find_key(f, n)) >= 0) {
            const struct ynode *k = f->node->keys[first];
            diag_error(l->d, &n->loc, "duplicate key '%s' (first at line %u)", n->str, k->loc.line);
            if (l->d->nerrors <= l->d->max_errors)
                diag_note(l->d, &k->loc, "'%s' first defined here", k->str);
            l->failed = 1;
        } else {
            f->skip = 0;
        }
        return;
    }
    if (!f->skip) {
        ydoc_append(&l->y->arena, f->node, f->key, n);
        if (f->slots)
            hash_insert(f, f->node->n - 1);
    }
    f->key = NULL;
}

/* Returns 1 at the end of the stream, 0 to go on, -1 to stop on an error. */
static int on_event(struct loader *l, const yaml_event_t *ev)
{
    struct srcloc loc = loc_of_mark(l, ev->start_mark);
    const yaml_char_t *anchor = NULL, *tag = NULL;
    struct ynode *n;

    switch (ev->type) {
    case YAML_STREAM_END_EVENT:
        return 1;
    case YAML_DOCUMENT_START_EVENT:
        if (l->ndocs++) {
            diag_error(l->d, &loc, "a stack file holds one YAML document; this is a second one");
            return -1;
        }
        return 0;
    case YAML_ALIAS_EVENT:
        diag_error(l->d, &loc, "anchors and aliases are not supported in stack files");
        l->failed = 1;
        add_node(l, ydoc_new_scalar(&l->y->arena, "", 0, 0, &loc));
        return 0;
    case YAML_SCALAR_EVENT: {
        yaml_scalar_style_t style = ev->data.scalar.style;
        n = ydoc_new_scalar(&l->y->arena, (const char *)ev->data.scalar.value,
                            ev->data.scalar.length, style != YAML_PLAIN_SCALAR_STYLE, &loc);
        anchor = ev->data.scalar.anchor;
        tag = ev->data.scalar.tag;
        break;
    }
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT:
        if (l->depth == YDOC_MAX_DEPTH) {
            diag_error(l->d, &loc, "nested too deeply (more than %d levels)", YDOC_MAX_DEPTH);
            return -1;
        }
        if (ev->type == YAML_SEQUENCE_START_EVENT) {
            n = ydoc_new_seq(&l->y->arena, &loc);
            anchor = ev->data.sequence_start.anchor;
            tag = ev->data.sequence_start.tag;
        } else {
            n = ydoc_new_map(&l->y->arena, &loc);
            anchor = ev->data.mapping_start.anchor;
            tag = ev->data.mapping_start.tag;
        }
        break;
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT: {
        struct frame *f = &l->stack[--l->depth];
        free(f->slots);
        memset(f, 0, sizeof(*f));
        return 0;
    }
    default:
        return 0;
    }
    if (anchor) {
        diag_error(l->d, &loc, "anchors and aliases are not supported in stack files");
        l->failed = 1;
    }
    if (check_tag(l, tag, n) < 0)
        l->failed = 1;
    add_node(l, n);
    if (n->kind != YNODE_SCALAR)
        l->stack[l->depth++].node = n;
    return 0;
}

void ydoc_init(struct ydoc *y)
{
    arena_init(&y->arena);
    y->file = NULL;
    y->root = NULL;
}

void ydoc_release(struct ydoc *y)
{
    arena_release(&y->arena);
    ydoc_init(y);
}

int ydoc_load_buf(struct ydoc *y, const char *file, const char *text, size_t len, struct diag *d)
{
    struct loader l;
    struct srcloc loc = {file, 0, 0};
    const unsigned char *nul;
    yaml_event_t ev;
    int ret = -1, r, parser_ready = 0;

    memset(&l, 0, sizeof(l));
    l.y = y;
    l.d = d;
    l.text = (const unsigned char *)text;
    l.len = len;
    y->file = arena_strdup(&y->arena, file);
    if (len > YDOC_MAX_BYTES) {
        diag_error(d, &loc, "file is larger than %u bytes, the limit for a stack file",
                   YDOC_MAX_BYTES);
        goto out;
    }
    /*
     * libyaml skips a byte order mark itself only when it guesses the encoding,
     * and counts it as a column otherwise; columns start after it.
     */
    if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3)) {
        l.text += 3;
        l.len -= 3;
    }
    if (l.len && (nul = memchr(l.text, '\0', l.len))) {
        loc = loc_of_offset(&l, (size_t)(nul - l.text));
        diag_error(d, &loc, "NUL byte in the file (is it UTF-16 or binary?)");
        goto out;
    }
    l.end_line = l.end_col = SIZE_MAX;
    walk(&l, SIZE_MAX, &l.end_line, &l.end_col);
    if (!yaml_parser_initialize(&l.parser)) {
        diag_error(d, &loc, "cannot start the YAML parser");
        goto out;
    }
    parser_ready = 1;
    /* A stack file is UTF-8; no guessing UTF-16 from a byte order mark. */
    yaml_parser_set_encoding(&l.parser, YAML_UTF8_ENCODING);
    yaml_parser_set_input_string(&l.parser, l.text, l.len);
    for (;;) {
        if (!yaml_parser_parse(&l.parser, &ev)) {
            syntax_error(&l);
            goto out;
        }
        r = on_event(&l, &ev);
        yaml_event_delete(&ev);
        if (r < 0)
            goto out;
        if (r > 0)
            break;
    }
    if (l.failed)
        goto out;
    /* Nothing but comments, or a bare "---": no root; the caller decides if that is wrong. */
    if (y->root && y->root->kind == YNODE_SCALAR && !y->root->quoted && !y->root->len)
        y->root = NULL;
    ret = 0;
out:
    for (size_t i = 0; i < YDOC_MAX_DEPTH; i++)
        free(l.stack[i].slots);
    if (parser_ready)
        yaml_parser_delete(&l.parser);
    if (ret < 0)
        ydoc_release(y);
    return ret;
}

int ydoc_load_file(struct ydoc *y, const char *path, struct diag *d)
{
    struct strbuf sb;
    struct srcloc loc = {path, 0, 0};
    struct stat st;
    int ret = -1;

    strbuf_init(&sb, YDOC_MAX_BYTES);
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        diag_error(d, NULL, "cannot read '%s': %s", path, strerror(EISDIR));
        goto out;
    }
    if (strbuf_read_file(&sb, path) < 0) {
        if (errno == EFBIG)
            diag_error(d, &loc, "file is larger than %u bytes, the limit for a stack file",
                       YDOC_MAX_BYTES);
        else
            diag_error(d, NULL, "cannot read '%s': %s", path, strerror(errno));
        goto out;
    }
    diag_add_source(d, path, sb.buf, sb.len);
    ret = ydoc_load_buf(y, path, sb.buf, sb.len, d);
out:
    strbuf_release(&sb);
    return ret;
}

struct ynode *ydoc_get(const struct ynode *m, const char *key)
{
    size_t len;

    if (!m || m->kind != YNODE_MAP || !key)
        return NULL;
    len = strlen(key);
    for (size_t i = 0; i < m->n; i++)
        if (m->keys[i]->len == len && !memcmp(m->keys[i]->str, key, len))
            return m->vals[i];
    return NULL;
}

int ydoc_is_null(const struct ynode *n)
{
    return n && n->kind == YNODE_SCALAR && !n->quoted &&
           (!n->len || !strcmp(n->str, "~") || !strcmp(n->str, "null") || !strcmp(n->str, "Null") ||
            !strcmp(n->str, "NULL"));
}

const char *ydoc_kind_name(const struct ynode *n)
{
    if (!n)
        return "nothing";
    switch (n->kind) {
    case YNODE_MAP:
        return "a map";
    case YNODE_SEQ:
        return "a list";
    default:
        return "a string";
    }
}

static struct ynode *new_node(struct arena *a, enum ynode_kind kind, const struct srcloc *loc)
{
    struct ynode *n = arena_alloc(a, sizeof(*n));

    n->kind = kind;
    if (loc)
        n->loc = *loc;
    return n;
}

struct ynode *ydoc_new_scalar(struct arena *a, const char *s, size_t len, int quoted,
                              const struct srcloc *loc)
{
    struct ynode *n = new_node(a, YNODE_SCALAR, loc);

    n->str = arena_strndup(a, s, len);
    n->len = len;
    n->quoted = quoted;
    return n;
}

struct ynode *ydoc_new_map(struct arena *a, const struct srcloc *loc)
{
    return new_node(a, YNODE_MAP, loc);
}

struct ynode *ydoc_new_seq(struct arena *a, const struct srcloc *loc)
{
    return new_node(a, YNODE_SEQ, loc);
}

void ydoc_append(struct arena *a, struct ynode *parent, struct ynode *key, struct ynode *val)
{
    struct ynode *p = parent;

    /* Doubling in an arena leaves the old arrays behind: at most as much again. */
    if (p->n >= p->alloc) {
        size_t alloc = p->n < 4 ? 8 : p->n * 2;
        struct ynode **vals = arena_alloc(a, alloc * sizeof(*vals));

        if (p->n)
            memcpy(vals, p->vals, p->n * sizeof(*vals));
        p->vals = vals;
        if (p->kind == YNODE_MAP) {
            struct ynode **keys = arena_alloc(a, alloc * sizeof(*keys));
            if (p->n)
                memcpy(keys, p->keys, p->n * sizeof(*keys));
            p->keys = keys;
        }
        p->alloc = alloc;
    }
    if (p->kind == YNODE_MAP)
        p->keys[p->n] = key;
    p->vals[p->n++] = val;
}
