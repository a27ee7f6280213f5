/*
 * Provisioning, in Grafana's file formats ("Provision Grafana", grafana.com
 * docs, apiVersion 1): datasources/<name>.yaml ({datasources: [...],
 * deleteDatasources: [...]}) and dashboards/<name>.yaml ({providers: [...]},
 * type file, options.path, foldersFromFilesStructure, disableDeletion,
 * allowUiUpdates, updateIntervalSeconds) under paths.provisioning, plus the
 * texts of CAIRN_DASH_DATASOURCES and CAIRN_DASH_DASHBOARDS. Scalars may name
 * environment variables ($VAR, ${VAR}; $$ is a literal $), as in Grafana.
 * Errors carry file:line:col; keys Grafana does not know are ignored, as
 * Grafana's YAML decoding ignores them.
 */
#include "dash/dash.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/log.h"
#include "core/xmalloc.h"
#include "core/ydoc.h"

struct provider {
    char *name, *folder, *folder_uid, *path;
    int disable_deletion, allow_ui_updates, from_files;
    long interval_s;
};

static char *interp(const char *s)
{
    struct strbuf sb = STRBUF_INIT;
    while (*s) {
        if (s[0] == '$' && s[1] == '$') {
            strbuf_addc(&sb, '$');
            s += 2;
        } else if (s[0] == '$' && (s[1] == '{' || s[1] == '_' || (s[1] >= 'A' && s[1] <= 'Z') ||
                                   (s[1] >= 'a' && s[1] <= 'z'))) {
            const char *b = s + 1, *e;
            char name[256];
            int brace = *b == '{';
            if (brace)
                b++;
            for (e = b; *e == '_' || (*e >= 'A' && *e <= 'Z') || (*e >= 'a' && *e <= 'z') ||
                        (*e >= '0' && *e <= '9');
                 e++)
                ;
            if ((brace && *e != '}') || (size_t)(e - b) >= sizeof(name)) {
                strbuf_addc(&sb, *s++);
                continue;
            }
            snprintf(name, sizeof(name), "%.*s", (int)(e - b), b);
            strbuf_adds(&sb, getenv(name) ? getenv(name) : "");
            s = e + brace;
        } else {
            strbuf_addc(&sb, *s++);
        }
    }
    return strbuf_detach(&sb, NULL);
}

/* YAML node -> JSON, scalars typed by the YAML 1.2 core schema; env interpolated. */
static json_t *to_json(const struct ynode *n)
{
    if (!n)
        return json_null();
    if (n->kind == YNODE_MAP) {
        json_t *o = json_object();
        for (size_t i = 0; i < n->n; i++)
            json_object_set_new(o, n->keys[i]->str, to_json(n->vals[i]));
        return o;
    }
    if (n->kind == YNODE_SEQ) {
        json_t *a = json_array();
        for (size_t i = 0; i < n->n; i++)
            json_array_append_new(a, to_json(n->vals[i]));
        return a;
    }
    {
        char *s = interp(n->str), *end;
        json_t *r;
        if (!n->quoted) {
            if (ydoc_is_null(n)) {
                free(s);
                return json_null();
            }
            if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE")) {
                free(s);
                return json_true();
            }
            if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE")) {
                free(s);
                return json_false();
            }
            if (*s) {
                long long v = strtoll(s, &end, 10);
                if (!*end) {
                    free(s);
                    return json_integer(v);
                }
                double dv = strtod(s, &end);
                if (!*end) {
                    free(s);
                    return json_real(dv);
                }
            }
        }
        r = json_string(s);
        free(s);
        return r;
    }
}

static int want(const struct ynode *n, enum ynode_kind k, const char *what, struct diag *d)
{
    if (n && n->kind == k)
        return 0;
    diag_error(d, n ? &n->loc : NULL, "%s must be %s, not %s", what,
               k == YNODE_MAP   ? "a map"
               : k == YNODE_SEQ ? "a list"
                                : "a string",
               n ? ydoc_kind_name(n) : "missing");
    return -1;
}

/* A provisioning file into y: 1 with a map at its root, 0 when it is empty, -1 with d saying
 * where and what is wrong. */
static int load_doc(struct ydoc *y, const char *file, const char *text, size_t len,
                    const char *what, struct diag *d)
{
    diag_add_source(d, file, text, len);
    if (ydoc_load_buf(y, file, text, len, d) < 0)
        return -1;
    if (!y->root)
        return 0;
    return want(y->root, YNODE_MAP, what, d) < 0 ? -1 : 1;
}

static int want_bool(json_t *o, const char *key, const struct ynode *m, struct diag *d)
{
    json_t *v = json_object_get(o, key);
    if (v && !json_is_boolean(v)) {
        const struct ynode *n = ydoc_get(m, key);
        diag_error(d, n ? &n->loc : NULL, "%s must be true or false", key);
        return -1;
    }
    return 0;
}

static int datasources_doc(struct dash *g, const char *file, const char *text, size_t len,
                           struct diag *d)
{
    struct ydoc y;
    const struct ynode *list, *del;
    int rc;
    ydoc_init(&y);
    if ((rc = load_doc(&y, file, text, len, "a datasources provisioning file", d)) <= 0)
        goto out;
    rc = -1;
    del = ydoc_get(y.root, "deleteDatasources");
    for (size_t i = 0; del && del->kind == YNODE_SEQ && i < del->n; i++) {
        const struct ynode *nm = ydoc_get(del->vals[i], "name");
        if (nm && nm->kind == YNODE_SCALAR) {
            json_t *ds = dash_ds_by_uid(g, nm->str);
            if (ds) {
                char sql[96];
                snprintf(sql, sizeof(sql), "DELETE FROM data_source WHERE id = %lld",
                         (long long)json_integer_value(json_object_get(ds, "id")));
                sqlite3_exec(g->db, sql, NULL, NULL, NULL);
                json_decref(ds);
            }
        }
    }
    list = ydoc_get(y.root, "datasources");
    if (list && !ydoc_is_null(list) && want(list, YNODE_SEQ, "datasources", d) < 0)
        goto out;
    rc = 0;
    for (size_t i = 0; list && list->kind == YNODE_SEQ && i < list->n; i++) {
        const struct ynode *n = list->vals[i];
        json_t *j, *old;
        const char *msg = NULL;
        int st;
        if (want(n, YNODE_MAP, "a datasource", d) < 0) {
            rc = -1;
            continue;
        }
        j = to_json(n);
        if (!json_is_string(json_object_get(j, "name")) ||
            !json_is_string(json_object_get(j, "type"))) {
            diag_error(d, &n->loc, "a datasource needs a name and a type");
            json_decref(j);
            rc = -1;
            continue;
        }
        if (want_bool(j, "isDefault", n, d) < 0 || want_bool(j, "editable", n, d) < 0) {
            json_decref(j);
            rc = -1;
            continue;
        }
        old = dash_ds_by_uid(g, json_string_value(json_object_get(j, "name")));
        if (!old && json_is_string(json_object_get(j, "uid")))
            old = dash_ds_by_uid(g, json_string_value(json_object_get(j, "uid")));
        if (old && !json_object_get(j, "uid"))
            json_object_set(j, "uid", json_object_get(old, "uid"));
        st = dash_ds_upsert(g, j, old ? json_integer_value(json_object_get(old, "id")) : 0,
                            !json_is_true(json_object_get(j, "editable")), &msg);
        if (st) {
            diag_error(d, &n->loc, "datasource %s: %s",
                       json_string_value(json_object_get(j, "name")), msg);
            rc = -1;
        } else {
            log_info("cairn-dash: provisioned datasource %s",
                     json_string_value(json_object_get(j, "name")));
        }
        json_decref(old);
        json_decref(j);
    }
out:
    ydoc_release(&y);
    return rc;
}

static int is_json_name(const char *n)
{
    size_t l = strlen(n);
    return l > 5 && strcmp(n + l - 5, ".json") == 0;
}

static int provision_file(struct dash *g, const struct provider *p, const char *path,
                          const char *folder, struct diag *d)
{
    json_error_t je;
    json_t *m = json_load_file(path, 0, &je);
    struct dash_save s = {0};
    int64_t fid = 0;
    enum dash_save_result r;
    if (!m || !json_is_object(m)) {
        struct srcloc loc = {path, (unsigned)(m ? 1 : je.line), (unsigned)(m ? 1 : je.column)};
        diag_error(d, &loc, "%s", m ? "a dashboard must be a JSON object" : je.text);
        json_decref(m);
        return -1;
    }
    /* Grafana's provisioner stores the model without an id; a file without a uid
     * gets one derived from its path so re-reads update the same dashboard. */
    if (!json_is_string(json_object_get(m, "uid"))) {
        char slug[256];
        dash_slugify(path, slug, sizeof(slug));
        size_t l = strlen(slug);
        json_object_set_new(m, "uid", json_string(l > 40 ? slug + l - 40 : slug));
    }
    if (folder && *folder && dash_folder_ensure(g, folder, p->folder_uid, &fid) < 0) {
        diag_error(d, NULL, "%s: cannot create folder %s", path, folder);
        json_decref(m);
        return -1;
    }
    s.dashboard = m;
    s.folder_id = fid;
    s.provisioner = p->name;
    s.allow_ui_updates = p->allow_ui_updates;
    s.external_path = path;
    s.message = "provisioned";
    r = dash_dashboard_save(g, &s);
    json_decref(m);
    if (r != DASH_SAVE_OK) {
        struct srcloc loc = {path, 0, 0};
        diag_error(d, &loc, "cannot provision this dashboard (error %d)", (int)r);
        return -1;
    }
    return 0;
}

static int scan_dir(struct dash *g, const struct provider *p, const char *dir, const char *folder,
                    int depth, struct diag *d)
{
    DIR *dh = opendir(dir);
    struct dirent *e;
    int rc = 0;
    if (!dh) {
        diag_error(d, NULL, "provider %s: options.path %s: %s", p->name, dir, strerror(errno));
        return -1;
    }
    while ((e = readdir(dh))) {
        char *path;
        struct stat st;
        if (e->d_name[0] == '.')
            continue;
        path = xmalloc(strlen(dir) + strlen(e->d_name) + 2);
        sprintf(path, "%s/%s", dir, e->d_name);
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode) && depth < 8) {
            if (scan_dir(g, p, path, p->from_files ? e->d_name : folder, depth + 1, d) < 0)
                rc = -1;
        } else if (S_ISREG(st.st_mode) && is_json_name(e->d_name)) {
            if (provision_file(g, p, path, folder, d) < 0)
                rc = -1;
        }
        free(path);
    }
    closedir(dh);
    return rc;
}

static int dashboards_doc(struct dash *g, const char *file, const char *text, size_t len,
                          struct diag *d)
{
    struct ydoc y;
    const struct ynode *list;
    int rc;
    ydoc_init(&y);
    if ((rc = load_doc(&y, file, text, len, "a dashboards provisioning file", d)) <= 0)
        goto out;
    rc = -1;
    list = ydoc_get(y.root, "providers");
    if (!list || ydoc_is_null(list)) {
        rc = 0;
        goto out;
    }
    if (want(list, YNODE_SEQ, "providers", d) < 0)
        goto out;
    rc = 0;
    for (size_t i = 0; i < list->n; i++) {
        const struct ynode *n = list->vals[i], *opts;
        json_t *j;
        struct provider p = {0};
        const char *type;
        if (want(n, YNODE_MAP, "a provider", d) < 0) {
            rc = -1;
            continue;
        }
        j = to_json(n);
        opts = ydoc_get(n, "options");
        type = json_string_value(json_object_get(j, "type"));
        if (type && strcmp(type, "file") != 0) {
            diag_error(d, &ydoc_get(n, "type")->loc, "provider type %s: only file is supported",
                       type);
            rc = -1;
        } else if (!opts || opts->kind != YNODE_MAP ||
                   !json_is_string(json_object_get(json_object_get(j, "options"), "path"))) {
            diag_error(d, opts ? &opts->loc : &n->loc, "a file provider needs options.path");
            rc = -1;
        } else if (want_bool(j, "disableDeletion", n, d) < 0 ||
                   want_bool(j, "allowUiUpdates", n, d) < 0) {
            rc = -1;
        } else {
            json_t *o = json_object_get(j, "options");
            p.name = (char *)(json_string_value(json_object_get(j, "name"))
                                  ? json_string_value(json_object_get(j, "name"))
                                  : "default");
            p.folder = (char *)json_string_value(json_object_get(j, "folder"));
            p.folder_uid = (char *)json_string_value(json_object_get(j, "folderUid"));
            p.path = (char *)json_string_value(json_object_get(o, "path"));
            p.allow_ui_updates = json_is_true(json_object_get(j, "allowUiUpdates"));
            p.disable_deletion = json_is_true(json_object_get(j, "disableDeletion"));
            p.from_files = json_is_true(json_object_get(o, "foldersFromFilesStructure"));
            {
                json_t *iv = json_object_get(j, "updateIntervalSeconds");
                long secs = json_is_integer(iv) ? (long)json_integer_value(iv) : 10;
                if (secs < 1)
                    secs = 10; /* Grafana's default */
                if (!g->prov_interval_s || secs < g->prov_interval_s)
                    g->prov_interval_s = secs;
            }
            if (scan_dir(g, &p, p.path, p.folder, 0, d) < 0)
                rc = -1;
            else
                log_debug("cairn-dash: provisioned dashboards of provider %s from %s", p.name,
                          p.path);
        }
        json_decref(j);
    }
out:
    ydoc_release(&y);
    return rc;
}

static int each_yaml(struct dash *g, const char *sub,
                     int (*fn)(struct dash *, const char *, const char *, size_t, struct diag *),
                     struct diag *d)
{
    char *dir = xmalloc(strlen(g->conf.provisioning_path) + strlen(sub) + 2);
    DIR *dh;
    struct dirent *e;
    int rc = 0;
    sprintf(dir, "%s/%s", g->conf.provisioning_path, sub);
    dh = opendir(dir);
    if (!dh) {
        free(dir);
        return 0; /* Grafana runs without provisioning directories */
    }
    while ((e = readdir(dh))) {
        size_t l = strlen(e->d_name);
        struct strbuf sb;
        char *path;
        if (!(l > 5 && !strcmp(e->d_name + l - 5, ".yaml")) &&
            !(l > 4 && !strcmp(e->d_name + l - 4, ".yml")))
            continue;
        path = xmalloc(strlen(dir) + l + 2);
        sprintf(path, "%s/%s", dir, e->d_name);
        strbuf_init(&sb, YDOC_MAX_BYTES);
        if (strbuf_read_file(&sb, path) < 0) {
            diag_error(d, NULL, "%s: %s", path, strerror(errno));
            rc = -1;
        } else if (fn(g, path, sb.buf, sb.len, d) < 0) {
            rc = -1;
        }
        strbuf_release(&sb);
        free(path);
    }
    closedir(dh);
    free(dir);
    return rc;
}

int dash_prov_dashboards(struct dash *g, struct diag *d)
{
    int rc = 0;
    if (each_yaml(g, "dashboards", dashboards_doc, d) < 0)
        rc = -1;
    if (g->conf.dashboards_yaml &&
        dashboards_doc(g, "CAIRN_DASH_DASHBOARDS", g->conf.dashboards_yaml,
                       strlen(g->conf.dashboards_yaml), d) < 0)
        rc = -1;
    return rc;
}

static void *rescan(void *arg)
{
    struct dash *g = arg;
    pthread_mutex_lock(&g->lock);
    while (!g->prov_stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += g->prov_interval_s;
        pthread_cond_timedwait(&g->prov_cond, &g->lock, &until);
        if (g->prov_stop)
            break;
        pthread_mutex_unlock(&g->lock);
        {
            struct diag d;
            diag_init(&d);
            if (dash_prov_dashboards(g, &d) < 0)
                diag_print(&d, stderr, "cairn-dash: provisioning");
            diag_release(&d);
        }
        pthread_mutex_lock(&g->lock);
    }
    pthread_mutex_unlock(&g->lock);
    return NULL;
}

void dash_prov_watch(struct dash *g)
{
    /* Providers' updateIntervalSeconds: re-read their files so edits on disk land. */
    pthread_cond_init(&g->prov_cond, NULL);
    if (g->prov_interval_s > 0 && pthread_create(&g->prov_thread, NULL, rescan, g) == 0)
        g->prov_running = 1;
}

void dash_prov_unwatch(struct dash *g)
{
    if (!g->prov_running)
        return;
    pthread_mutex_lock(&g->lock);
    g->prov_stop = 1;
    pthread_cond_broadcast(&g->prov_cond);
    pthread_mutex_unlock(&g->lock);
    pthread_join(g->prov_thread, NULL);
    g->prov_running = 0;
}

int dash_prov_load(struct dash *g, struct diag *d)
{
    int rc = 0;
    if (each_yaml(g, "datasources", datasources_doc, d) < 0)
        rc = -1;
    if (g->conf.datasources_yaml &&
        datasources_doc(g, "CAIRN_DASH_DATASOURCES", g->conf.datasources_yaml,
                        strlen(g->conf.datasources_yaml), d) < 0)
        rc = -1;
    if (dash_prov_dashboards(g, d) < 0)
        rc = -1;
    return rc;
}
