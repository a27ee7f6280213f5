#include "aws/profile.h"
#include "core/strbuf.h"
#include "core/xmalloc.h"

#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct profile_entry {
    const char *key; /* in the arena */
    char *value;     /* owned: wiped and freed on release, since values may be secrets */
    unsigned line;
};

struct profile_section {
    const char *name; /* profile name, "default" included */
    enum profile_kind kind;
    const char *path;
    struct profile_entry *v;
    size_t n, alloc;
};

void profile_set_init(struct profile_set *set)
{
    memset(set, 0, sizeof(*set));
    arena_init(&set->arena);
}

static void wipe_free(char *s)
{
    if (s) {
        explicit_bzero(s, strlen(s));
        free(s);
    }
}

void profile_set_release(struct profile_set *set)
{
    for (size_t i = 0; i < set->nsections; i++) {
        for (size_t j = 0; j < set->sections[i].n; j++)
            wipe_free(set->sections[i].v[j].value);
        free(set->sections[i].v);
    }
    free(set->sections);
    for (size_t k = 0; k < 2; k++)
        free(set->files[k].path);
    arena_release(&set->arena);
    memset(set, 0, sizeof(*set));
}

static const char *env_nonempty(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

const char *profile_name(const char *explicit_profile, const char **source)
{
    const char *v, *src = "default", *name = "default";

    if (explicit_profile && *explicit_profile) {
        name = explicit_profile;
        src = "--profile";
    } else if ((v = env_nonempty("AWS_PROFILE"))) {
        name = v;
        src = "AWS_PROFILE";
    } else if ((v = env_nonempty("AWS_DEFAULT_PROFILE"))) {
        name = v;
        src = "AWS_DEFAULT_PROFILE";
    }
    if (source)
        *source = src;
    return name;
}

char *profile_expand_path(const char *path)
{
    const char *home;
    struct strbuf sb = STRBUF_INIT;

    if (path[0] != '~' || (path[1] != '\0' && path[1] != '/'))
        return xstrdup(path);
    home = env_nonempty("HOME");
    if (!home) {
        struct passwd *pw = getpwuid(getuid());
        home = pw && pw->pw_dir ? pw->pw_dir : "/";
    }
    strbuf_adds(&sb, home);
    strbuf_adds(&sb, path + 1);
    return strbuf_detach(&sb, NULL);
}

static struct profile_section *find_section(const struct profile_set *set, const char *name,
                                            enum profile_kind kind)
{
    for (size_t i = 0; i < set->nsections; i++)
        if (set->sections[i].kind == kind && strcmp(set->sections[i].name, name) == 0)
            return &set->sections[i];
    return NULL;
}

static struct profile_section *add_section(struct profile_set *set, const char *name,
                                           enum profile_kind kind, const char *path)
{
    struct profile_section *s = find_section(set, name, kind);

    /* A repeated section continues the earlier one, so later keys win. */
    if (s)
        return s;
    XGROW(set->sections, set->asections, set->nsections + 1);
    s = &set->sections[set->nsections++];
    memset(s, 0, sizeof(*s));
    s->name = arena_strdup(&set->arena, name);
    s->kind = kind;
    s->path = path;
    return s;
}

/* Takes value. */
static struct profile_entry *set_entry(struct profile_set *set, struct profile_section *s,
                                       const char *key, char *value, unsigned line)
{
    struct profile_entry *e = NULL;

    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i].key, key) == 0)
            e = &s->v[i];
    if (!e) {
        XGROW(s->v, s->alloc, s->n + 1);
        e = &s->v[s->n++];
        e->key = arena_strdup(&set->arena, key);
        e->value = NULL;
    }
    wipe_free(e->value);
    e->value = value;
    e->line = line;
    return e;
}

static void drop_entry(struct profile_section *s, struct profile_entry *e)
{
    size_t i = (size_t)(e - s->v);

    wipe_free(e->value);
    memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof(*e));
    s->n--;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Trim [*b, *e) in place. */
static void trim(const char **b, const char **e)
{
    while (*b < *e && isspace((unsigned char)**b))
        (*b)++;
    while (*e > *b && isspace((unsigned char)(*e)[-1]))
        (*e)--;
}

/*
 * The profile a section header names, or NULL for sections that are not profiles.
 * Config file: "default" and "profile NAME" (NAME may be quoted, as botocore's shlex
 * allows); credentials file: the header itself.
 */
static char *section_profile(struct arena *a, const char *hdr, enum profile_kind kind)
{
    const char *p, *e;

    if (kind == PROFILE_CREDENTIALS)
        return arena_strdup(a, hdr);
    if (strcmp(hdr, "default") == 0)
        return arena_strdup(a, hdr);
    if (strncmp(hdr, "profile", 7) != 0 || !is_blank(hdr[7]))
        return NULL;
    p = hdr + 8;
    while (is_blank(*p))
        p++;
    e = p + strlen(p);
    if (e - p >= 2 && (*p == '"' || *p == '\'') && e[-1] == *p) {
        p++;
        e--;
    }
    if (p == e)
        return NULL;
    return arena_strndup(a, p, (size_t)(e - p));
}

struct parser {
    struct profile_set *set;
    const char *path;
    enum profile_kind kind;
    struct diag *d;
    int in_section;               /* a header has been seen */
    struct profile_section *cur;  /* NULL inside sections that are not profiles */
    struct profile_entry *last;   /* the key continuation lines belong to */
    int last_indent, last_nested; /* indentation of that key; 1 inside a sub-section */
    int have_last;
    int errors;
};

static void parse_error(struct parser *ps, unsigned line, const char *msg)
{
    struct srcloc loc = {ps->path, line, 0};

    diag_error(ps->d, &loc, "%s", msg);
    ps->errors++;
}

static void parse_header(struct parser *ps, const char *b, const char *e, unsigned line)
{
    const char *close = e;
    char *hdr, *name;

    while (close > b && close[-1] != ']')
        close--;
    if (close == b) {
        parse_error(ps, line, "section header is missing its closing ']'");
        return;
    }
    b++;
    close--;
    trim(&b, &close);
    if (b == close) {
        parse_error(ps, line, "empty section name '[]'");
        return;
    }
    hdr = arena_strndup(&ps->set->arena, b, (size_t)(close - b));
    name = section_profile(&ps->set->arena, hdr, ps->kind);
    ps->in_section = 1;
    ps->have_last = 0;
    ps->cur = name ? add_section(ps->set, name, ps->kind, ps->path) : NULL;
}

static void parse_line(struct parser *ps, const char *b, const char *e, unsigned line)
{
    int indent = 0;
    const char *delim, *kb, *ke, *vb, *ve;
    char *key;

    while (b + indent < e && is_blank(b[indent]))
        indent++;
    trim(&b, &e);
    if (b == e || *b == '#' || *b == ';')
        return;
    /* Indented under a key: a value continuation or, under an empty value ("s3 ="),
     * a sub-section, which is skipped along with its key. */
    if (indent > 0 && ps->have_last && indent > ps->last_indent) {
        if (ps->last_nested || !ps->last)
            return;
        if (!*ps->last->value) {
            drop_entry(ps->cur, ps->last);
            ps->last = NULL;
            ps->last_nested = 1;
            return;
        }
        {
            struct strbuf sb = STRBUF_INIT;

            strbuf_addf(&sb, "%s\n%.*s", ps->last->value, (int)(e - b), b);
            wipe_free(ps->last->value);
            ps->last->value = strbuf_detach(&sb, NULL);
        }
        return;
    }
    if (*b == '[') {
        parse_header(ps, b, e, line);
        return;
    }
    if (!ps->in_section) {
        parse_error(ps, line, "'key = value' line before any [section] header");
        return;
    }
    delim = b;
    while (delim < e && *delim != '=' && *delim != ':')
        delim++;
    if (delim == e) {
        parse_error(ps, line, "expected 'key = value', a [section] header or a comment");
        return;
    }
    kb = b;
    ke = delim;
    vb = delim + 1;
    ve = e;
    trim(&kb, &ke);
    trim(&vb, &ve);
    if (kb == ke) {
        parse_error(ps, line, "missing key name before '='");
        return;
    }
    key = arena_strndup(&ps->set->arena, kb, (size_t)(ke - kb));
    /* botocore (configparser) lowercases option names. */
    for (char *p = key; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    ps->have_last = 1;
    ps->last_indent = indent;
    ps->last_nested = 0;
    ps->last = NULL;
    if (!ps->cur)
        return;
    ps->last = set_entry(ps->set, ps->cur, key, xstrndup(vb, (size_t)(ve - vb)), line);
}

static void parse_text(struct parser *ps, const char *text, size_t len)
{
    const char *p = text, *end = text + len;
    unsigned line = 0;

    /* A byte-order mark from Windows editors. */
    if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
        p += 3;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;

        line++;
        parse_line(ps, p, e, line);
        p = nl ? nl + 1 : end;
    }
}

/* Read one file. Missing: 0 with found = 0. */
static int load_file(struct profile_set *set, enum profile_kind kind, const char *path,
                     struct diag *d)
{
    static const char *const what[] = {"shared config file", "shared credentials file"};
    struct profile_file *f = &set->files[kind];
    struct strbuf sb;
    struct stat st;
    struct parser ps;
    int ret = -1;

    strbuf_init(&sb, PROFILE_FILE_MAX);
    free(f->path);
    f->path = profile_expand_path(path);
    f->found = 0;
    if (stat(f->path, &st) < 0) {
        if (errno == ENOENT || errno == ENOTDIR) {
            ret = 0;
            goto out;
        }
        diag_error(d, NULL, "cannot read %s %s: %s", what[kind], f->path, strerror(errno));
        goto out;
    }
    if (S_ISDIR(st.st_mode)) {
        diag_error(d, NULL, "cannot read %s %s: it is a directory", what[kind], f->path);
        goto out;
    }
    if (strbuf_read_file(&sb, f->path) < 0) {
        if (errno == EFBIG)
            diag_error(d, NULL, "%s %s is larger than %d KiB", what[kind], f->path,
                       PROFILE_FILE_MAX / 1024);
        else
            diag_error(d, NULL, "cannot read %s %s: %s", what[kind], f->path, strerror(errno));
        goto out;
    }
    if (memchr(sb.buf, '\0', sb.len)) {
        diag_error(d, NULL, "%s %s is not a text file (it contains NUL bytes)", what[kind],
                   f->path);
        goto out;
    }
    f->found = 1;
    memset(&ps, 0, sizeof(ps));
    ps.set = set;
    ps.path = f->path;
    ps.kind = kind;
    ps.d = d;
    parse_text(&ps, sb.buf, sb.len);
    ret = ps.errors ? -1 : 0;
out:
    strbuf_wipe(&sb);
    return ret;
}

int profile_set_load_files(struct profile_set *set, const char *config_path,
                           const char *credentials_path, struct diag *d)
{
    int ret = 0;

    if (config_path && load_file(set, PROFILE_CONFIG, config_path, d) < 0)
        ret = -1;
    if (credentials_path && load_file(set, PROFILE_CREDENTIALS, credentials_path, d) < 0)
        ret = -1;
    return ret;
}

int profile_set_load(struct profile_set *set, struct diag *d)
{
    const char *config = env_nonempty("AWS_CONFIG_FILE");
    const char *creds = env_nonempty("AWS_SHARED_CREDENTIALS_FILE");

    return profile_set_load_files(set, config ? config : "~/.aws/config",
                                  creds ? creds : "~/.aws/credentials", d);
}

static const struct profile_entry *find_entry(const struct profile_section *s, const char *key)
{
    for (size_t i = 0; s && i < s->n; i++)
        if (strcmp(s->v[i].key, key) == 0)
            return &s->v[i];
    return NULL;
}

int profile_lookup(const struct profile_set *set, const char *profile, const char *key,
                   struct profile_value *out)
{
    static const enum profile_kind order[] = {PROFILE_CREDENTIALS, PROFILE_CONFIG};

    for (size_t i = 0; i < 2; i++) {
        const struct profile_section *s = find_section(set, profile, order[i]);
        const struct profile_entry *e = find_entry(s, key);

        if (e) {
            out->value = e->value;
            out->path = s->path;
            out->line = e->line;
            out->kind = order[i];
            return 0;
        }
    }
    return -1;
}

const char *profile_get(const struct profile_set *set, const char *profile, const char *key)
{
    struct profile_value v;

    return profile_lookup(set, profile, key, &v) == 0 ? v.value : NULL;
}

int profile_exists(const struct profile_set *set, const char *profile, enum profile_kind kind)
{
    return find_section(set, profile, kind) != NULL;
}
