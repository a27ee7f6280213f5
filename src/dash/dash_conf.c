/*
 * cairn-dash configuration, read as Grafana reads it ("Configure Grafana",
 * grafana.com docs): defaults, then an ini file ([section] key = value,
 * ';' and '#' comments, $__env{VAR} and ${VAR} expansion in values), then
 * GF_<SECTION>_<KEY> environment variables (section and key upper-cased,
 * '.' and '-' as '_'). cairn adds CAIRN_DASH_DATASOURCES and
 * CAIRN_DASH_DASHBOARDS: the text of provisioning files, as the stack passes
 * them. Keys cairn-dash does not use are ignored, as Grafana ignores them.
 */
#include "dash/dash.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/xmalloc.h"

enum ckind { C_STR, C_UINT, C_BOOL, C_DURATION, C_LONG };

struct ckey {
    const char *section, *key;
    enum ckind kind;
    size_t off;
};

#define F(field) offsetof(struct dash_conf, field)
static const struct ckey keys[] = {
    {"server", "http_addr", C_STR, F(http_addr)},
    {"server", "http_port", C_UINT, F(http_port)},
    {"server", "root_url", C_STR, F(root_url)},
    {"server", "serve_from_sub_path", C_BOOL, F(serve_from_sub_path)},
    {"paths", "data", C_STR, F(data_path)},
    {"paths", "provisioning", C_STR, F(provisioning_path)},
    {"security", "admin_user", C_STR, F(admin_user)},
    {"security", "admin_password", C_STR, F(admin_password)},
    {"security", "secret_key", C_STR, F(secret_key)},
    {"security", "cookie_secure", C_BOOL, F(cookie_secure)},
    {"security", "cookie_samesite", C_STR, F(cookie_samesite)},
    {"security", "disable_brute_force_login_protection", C_BOOL, F(brute_force_disabled)},
    {"auth", "disable_login_form", C_BOOL, F(disable_login_form)},
    {"auth", "login_maximum_inactive_lifetime_duration", C_DURATION, F(session_inactive_s)},
    {"auth", "login_maximum_lifetime_duration", C_DURATION, F(session_lifetime_s)},
    {"auth", "login_cookie_name", C_STR, F(login_cookie_name)},
    {"auth.anonymous", "enabled", C_BOOL, F(anonymous_enabled)},
    {"auth.anonymous", "org_role", C_STR, F(anonymous_role)},
    {"auth.basic", "enabled", C_BOOL, F(basic_auth_enabled)},
    {"dataproxy", "timeout", C_LONG, F(query_timeout_s)},
};
#undef F

static void setstr(char **p, const char *v)
{
    free(*p);
    *p = xstrdup(v);
}

void dash_conf_defaults(struct dash_conf *c)
{
    memset(c, 0, sizeof(*c));
    setstr(&c->http_addr, "");
    c->http_port = 3000;
    setstr(&c->root_url, "%(protocol)s://%(domain)s:%(http_port)s/");
    setstr(&c->data_path, "data");
    setstr(&c->provisioning_path, "conf/provisioning");
    setstr(&c->admin_user, "admin");
    setstr(&c->admin_password, "admin");
    setstr(&c->secret_key, "SW2YcwTIb9zpOOhoPsMm");
    setstr(&c->cookie_samesite, "lax");
    setstr(&c->anonymous_role, "Viewer");
    setstr(&c->login_cookie_name, "grafana_session");
    c->session_inactive_s = 7 * 86400;
    c->session_lifetime_s = 30 * 86400;
    c->basic_auth_enabled = 1;
    c->query_timeout_s = 30;
}

void dash_conf_release(struct dash_conf *c)
{
    if (c->admin_password) {
        memset(c->admin_password, 0, strlen(c->admin_password));
    }
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (keys[i].kind == C_STR)
            free(*(char **)((char *)c + keys[i].off));
    free(c->sub_path);
    free(c->datasources_yaml);
    free(c->dashboards_yaml);
    free(c->ui_dir);
    memset(c, 0, sizeof(*c));
}

long dash_conf_duration(const char *s)
{
    char *end;
    long total = 0;
    if (!s || !*s)
        return -1;
    errno = 0;
    total = strtol(s, &end, 10);
    if (*end == '\0')
        return errno || total < 0 ? -1 : total;
    total = 0;
    while (*s) {
        long v = strtol(s, &end, 10), mul;
        if (end == s || v < 0)
            return -1;
        switch (*end) {
        case 's':
            mul = 1;
            break;
        case 'm':
            mul = end[1] == 's' ? 0 : 60;
            break;
        case 'h':
            mul = 3600;
            break;
        case 'd':
            mul = 86400;
            break;
        case 'w':
            mul = 7 * 86400;
            break;
        default:
            return -1;
        }
        if (mul == 0) { /* "ms": round up to a second */
            total += (v + 999) / 1000;
            end++;
        } else {
            total += v * mul;
        }
        s = end + 1;
    }
    return total;
}

static int parse_bool(const char *v, int *out)
{
    static const char *yes[] = {"true", "1", "yes", "on"}, *no[] = {"false", "0", "no", "off", ""};
    for (size_t i = 0; i < 4; i++)
        if (strcasecmp(v, yes[i]) == 0)
            return *out = 1, 0;
    for (size_t i = 0; i < 5; i++)
        if (strcasecmp(v, no[i]) == 0)
            return *out = 0, 0;
    return -1;
}

int dash_conf_set(struct dash_conf *c, const char *section, const char *key, const char *value,
                  const struct srcloc *loc, struct diag *d)
{
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        const struct ckey *k = &keys[i];
        void *p = (char *)c + k->off;
        char *end;
        long v;
        if (strcasecmp(k->section, section) != 0 || strcasecmp(k->key, key) != 0)
            continue;
        switch (k->kind) {
        case C_STR:
            setstr(p, value);
            return 0;
        case C_BOOL:
            if (parse_bool(value, p) == 0)
                return 0;
            diag_error(d, loc, "%s.%s: expected true or false, got \"%s\"", section, key, value);
            return -1;
        case C_UINT:
        case C_LONG:
            errno = 0;
            v = strtol(value, &end, 10);
            if (*value && !*end && !errno && v >= 0 && (k->kind == C_LONG || v <= 65535)) {
                if (k->kind == C_UINT)
                    *(unsigned *)p = (unsigned)v;
                else
                    *(long *)p = v;
                return 0;
            }
            diag_error(d, loc, "%s.%s: expected a number, got \"%s\"", section, key, value);
            return -1;
        case C_DURATION:
            v = dash_conf_duration(value);
            if (v >= 0) {
                *(long *)p = v;
                return 0;
            }
            diag_error(d, loc, "%s.%s: expected a duration such as 7d or 30m, got \"%s\"", section,
                       key, value);
            return -1;
        }
    }
    return 0;
}

/* Grafana's ini values may name environment variables: $__env{X} or ${X}. */
static char *expand_env(const char *v)
{
    struct strbuf sb = STRBUF_INIT;
    while (*v) {
        const char *name = NULL, *end = NULL;
        if (strncmp(v, "$__env{", 7) == 0 && (end = strchr(v + 7, '}')))
            name = v + 7;
        else if (v[0] == '$' && v[1] == '{' && (end = strchr(v + 2, '}')))
            name = v + 2;
        if (name) {
            char *n = xstrndup(name, (size_t)(end - name));
            const char *e = getenv(n);
            strbuf_adds(&sb, e ? e : "");
            free(n);
            v = end + 1;
        } else {
            strbuf_addc(&sb, *v++);
        }
    }
    return strbuf_detach(&sb, NULL);
}

int dash_conf_load_ini(struct dash_conf *c, const char *path, struct diag *d)
{
    struct strbuf sb = STRBUF_INIT;
    char section[128] = "";
    char *line, *save = NULL;
    unsigned lineno = 0;
    int rc = 0;

    strbuf_init(&sb, 1 << 20);
    if (strbuf_read_file(&sb, path) < 0) {
        diag_error(d, NULL, "%s: %s", path, strerror(errno));
        strbuf_release(&sb);
        return -1;
    }
    diag_add_source(d, path, sb.buf, sb.len);
    /* strtok_r would skip empty lines and miscount; walk by hand. */
    for (line = sb.buf; line; line = save) {
        char *nl = strchr(line, '\n'), *p, *eq, *k, *v;
        struct srcloc loc = {path, ++lineno, 1};
        save = nl ? nl + 1 : NULL;
        if (nl)
            *nl = '\0';
        for (p = line; isspace((unsigned char)*p); p++)
            ;
        loc.col = (unsigned)(p - line) + 1;
        if (!*p || *p == ';' || *p == '#')
            continue;
        if (*p == '[') {
            char *e = strchr(p, ']');
            if (!e || (size_t)(e - p - 1) >= sizeof(section)) {
                diag_error(d, &loc, "expected a section header such as [server]");
                rc = -1;
                continue;
            }
            memcpy(section, p + 1, (size_t)(e - p - 1));
            section[e - p - 1] = '\0';
            continue;
        }
        eq = strchr(p, '=');
        if (!eq) {
            diag_error(d, &loc, "expected key = value");
            rc = -1;
            continue;
        }
        k = p;
        *eq = '\0';
        for (char *t = eq - 1; t >= k && isspace((unsigned char)*t); t--)
            *t = '\0';
        for (v = eq + 1; isspace((unsigned char)*v); v++)
            ;
        for (char *t = v + strlen(v) - 1; t >= v && isspace((unsigned char)*t); t--)
            *t = '\0';
        if (strlen(v) >= 2 && ((v[0] == '"' && v[strlen(v) - 1] == '"') ||
                               (v[0] == '\'' && v[strlen(v) - 1] == '\''))) {
            v[strlen(v) - 1] = '\0';
            v++;
        }
        {
            char *ev = expand_env(v);
            loc.col = (unsigned)(v - line) + 1;
            if (dash_conf_set(c, section, k, ev, &loc, d) < 0)
                rc = -1;
            free(ev);
        }
    }
    strbuf_release(&sb);
    return rc;
}

int dash_conf_load_env(struct dash_conf *c, char **env, struct diag *d)
{
    int rc = 0;
    for (char **e = env; e && *e; e++) {
        const char *eq = strchr(*e, '=');
        if (!eq)
            continue;
        if (strncmp(*e, "CAIRN_DASH_DATASOURCES=", 23) == 0) {
            setstr(&c->datasources_yaml, eq + 1);
            continue;
        }
        if (strncmp(*e, "CAIRN_DASH_DASHBOARDS=", 22) == 0) {
            setstr(&c->dashboards_yaml, eq + 1);
            continue;
        }
        if (strncmp(*e, "GF_", 3) != 0)
            continue;
        /* GF_AUTH_ANONYMOUS_ENABLED: try every split of the name into section and key. */
        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
            char want[160], *w;
            snprintf(want, sizeof(want), "GF_%s_%s", keys[i].section, keys[i].key);
            for (w = want; *w; w++)
                *w = (*w == '.' || *w == '-') ? '_' : (char)toupper((unsigned char)*w);
            if (strlen(want) == (size_t)(eq - *e) && strncmp(want, *e, strlen(want)) == 0) {
                struct srcloc loc = {NULL, 0, 0};
                char where[200];
                snprintf(where, sizeof(where), "%.*s", (int)(eq - *e), *e);
                loc.file = where;
                if (dash_conf_set(c, keys[i].section, keys[i].key, eq + 1, &loc, d) < 0)
                    rc = -1;
                break;
            }
        }
    }
    return rc;
}

int dash_conf_finish(struct dash_conf *c, struct diag *d)
{
    const char *u = c->root_url, *p;
    size_t n;
    free(c->sub_path);
    c->sub_path = xstrdup("");
    if (!c->serve_from_sub_path)
        return 0;
    p = strstr(u, "://");
    p = p ? strchr(p + 3, '/') : NULL;
    if (!p) {
        diag_error(d, NULL, "server.root_url \"%s\" has no path to serve from", u);
        return -1;
    }
    n = strlen(p);
    while (n && p[n - 1] == '/')
        n--;
    free(c->sub_path);
    c->sub_path = xstrndup(p, n);
    return 0;
}
