/*
 * HTTP handlers for dashboards, versions, import, search and folders, in
 * the JSON shapes and status codes of Grafana 9's HTTP API documentation.
 */
#include "dash/dash.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/isotime.h"
#include "core/xmalloc.h"

static sqlite3_stmt *prep(struct dash *g, const char *sql)
{
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2(g->db, sql, -1, &st, NULL);
    return st;
}

static json_t *iso(int64_t secs)
{
    char buf[40];
    isotime_format((time_t)secs, buf, sizeof(buf));
    return json_string(buf);
}

static const char *url_for(struct dash *g, struct httpd_req *req, const char *uid, const char *slug,
                           int folder)
{
    return arena_printf(httpd_req_arena(req), "%s/%s/%s/%s", g->conf.sub_path,
                        folder ? "dashboards/f" : "d", uid, slug);
}

/* Grafana's answer to each refused save: its HTTP status, message and, for the two a client
 * may act on (reload, rename), a status word. */
static const struct {
    int http;
    const char *message, *status;
} save_refusals[] = {
    [DASH_SAVE_VERSION_MISMATCH] = {412, "The dashboard has been changed by someone else",
                                    "version-mismatch"},
    [DASH_SAVE_NAME_EXISTS] = {412, "A dashboard with the same name in the folder already exists",
                               "name-exists"},
    [DASH_SAVE_UID_EXISTS] = {400, "A dashboard with the same uid already exists", NULL},
    [DASH_SAVE_PROVISIONED] = {400, "Cannot save provisioned dashboard", NULL},
    [DASH_SAVE_NOT_FOUND_FOLDER] = {400, "folder not found", NULL},
    [DASH_SAVE_BAD] = {400, "Dashboard title cannot be empty", NULL},
    [DASH_SAVE_DB_ERROR] = {500, "Failed to save dashboard", NULL},
};

static void save_answer(struct dash *g, struct httpd_req *req, struct httpd_resp *resp,
                        enum dash_save_result r, struct dash_save *s)
{
    if (r == DASH_SAVE_OK)
        httpd_resp_json(resp, 200,
                        json_pack("{s:I, s:s, s:s, s:s, s:s, s:i}", "id", (json_int_t)s->id, "slug",
                                  s->slug, "status", "success", "uid", s->uid, "url",
                                  url_for(g, req, s->uid, s->slug, 0), "version", s->version));
    else if (save_refusals[r].status)
        httpd_resp_json(resp, save_refusals[r].http,
                        json_pack("{s:s, s:s}", "message", save_refusals[r].message, "status",
                                  save_refusals[r].status));
    else
        dash_error(resp, save_refusals[r].http, save_refusals[r].message);
}

void dash_api_save(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    struct dash *g = ctx;
    struct dash_user u;
    struct dash_save s = {0};
    json_t *b;
    if (dash_require(g, req, resp, DASH_EDITOR, &u) < 0)
        return;
    if (!(b = dash_body(req, resp, NULL, "{s:{}}", "dashboard")))
        return;
    s.dashboard = json_object_get(b, "dashboard");
    s.folder_id = json_integer_value(json_object_get(b, "folderId"));
    s.folder_uid = json_string_value(json_object_get(b, "folderUid"));
    s.message = json_string_value(json_object_get(b, "message"));
    s.overwrite = json_is_true(json_object_get(b, "overwrite"));
    s.user_id = u.id;
    save_answer(g, req, resp, dash_dashboard_save(g, &s), &s);
    json_decref(b);
}

void dash_api_get(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    struct dash *g = ctx;
    struct dash_user u;
    sqlite3_stmt *st;
    json_t *model, *meta;
    const char *uid = httpd_req_param(req, "uid");
    if (dash_require(g, req, resp, DASH_VIEWER, &u) < 0)
        return;
    st = prep(g, "SELECT d.id, d.uid, d.slug, d.data, d.version, d.folder_id, d.created,"
                 " d.updated, d.provisioner, d.allow_ui_updates, d.external_id,"
                 " coalesce(f.uid, ''), coalesce(f.title, 'General'), coalesce(f.slug, '')"
                 " FROM dashboard d LEFT JOIN dashboard f ON f.id = d.folder_id"
                 " WHERE d.uid = ? AND d.is_folder = 0");
    sqlite3_bind_text(st, 1, uid, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        dash_error(resp, 404, "Dashboard not found");
        return;
    }
    model = json_loads((const char *)sqlite3_column_text(st, 3), 0, NULL);
    if (!model)
        model = json_object();
    json_object_set_new(model, "id", json_integer(sqlite3_column_int64(st, 0)));
    json_object_set_new(model, "uid", json_string(uid));
    json_object_set_new(model, "version", json_integer(sqlite3_column_int(st, 4)));
    {
        int prov = sqlite3_column_type(st, 8) != SQLITE_NULL;
        int can_save = u.role >= DASH_EDITOR && (!prov || sqlite3_column_int(st, 9));
        const char *slug = (const char *)sqlite3_column_text(st, 2);
        const char *fuid = (const char *)sqlite3_column_text(st, 11);
        meta = json_pack(
            "{s:s, s:b, s:b, s:b, s:b, s:b, s:s, s:s, s:s, s:o, s:o, s:s, s:s, s:i, s:b, s:b,"
            " s:I, s:s, s:s, s:s, s:b, s:s}",
            "type", "db", "canSave", can_save, "canEdit", u.role >= DASH_EDITOR, "canAdmin",
            u.role >= DASH_ADMIN, "canStar", u.id > 0, "canDelete", can_save, "slug", slug, "url",
            url_for(g, req, uid, slug, 0), "expires", "0001-01-01T00:00:00Z", "created",
            iso(sqlite3_column_int64(st, 6)), "updated", iso(sqlite3_column_int64(st, 7)),
            "updatedBy", "admin", "createdBy", "admin", "version", sqlite3_column_int(st, 4),
            "hasAcl", 0, "isFolder", 0, "folderId", (json_int_t)sqlite3_column_int64(st, 5),
            "folderUid", fuid, "folderTitle", (const char *)sqlite3_column_text(st, 12),
            "folderUrl",
            *fuid ? url_for(g, req, fuid, (const char *)sqlite3_column_text(st, 13), 1) : "",
            "provisioned", prov, "provisionedExternalId",
            prov && sqlite3_column_text(st, 10) ? (const char *)sqlite3_column_text(st, 10) : "");
    }
    sqlite3_finalize(st);
    httpd_resp_json(resp, 200, json_pack("{s:o, s:o}", "dashboard", model, "meta", meta));
}

void dash_api_delete(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    struct dash *g = ctx;
    struct dash_user u;
    sqlite3_stmt *st;
    const char *uid = httpd_req_param(req, "uid");
    char *title;
    int64_t id;
    if (dash_require(g, req, resp, DASH_EDITOR, &u) < 0)
        return;
    pthread_mutex_lock(&g->dblock);
    st = prep(g, "SELECT id, title, provisioner FROM dashboard WHERE uid = ? AND is_folder = 0");
    sqlite3_bind_text(st, 1, uid, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        pthread_mutex_unlock(&g->dblock);
        dash_error(resp, 404, "Dashboard not found");
        return;
    }
    if (sqlite3_column_type(st, 2) != SQLITE_NULL) {
        sqlite3_finalize(st);
        pthread_mutex_unlock(&g->dblock);
        dash_error(resp, 400, "provisioned dashboard cannot be deleted");
        return;
    }
    id = sqlite3_column_int64(st, 0);
    title = arena_strdup(httpd_req_arena(req), (const char *)sqlite3_column_text(st, 1));
    sqlite3_finalize(st);
    sqlite3_exec(g->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    dash_db_run_id(g, "DELETE FROM dashboard WHERE id = ?1; ", id);
    dash_db_run_id(g, "DELETE FROM dashboard_tag WHERE dashboard_id = ?1", id);
    dash_db_run_id(g, "DELETE FROM dashboard_version WHERE dashboard_id = ?1", id);
    sqlite3_exec(g->db, "COMMIT", NULL, NULL, NULL);
    pthread_mutex_unlock(&g->dblock);
    dash_deleted(req, resp, "Dashboard", title, id);
}

void dash_api_versions(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    struct dash *g = ctx;
    struct dash_user u;
    sqlite3_stmt *st;
    const char *uid = httpd_req_param(req, "uid"), *vid = httpd_req_param(req, "id");
    json_t *out = json_array();
    int found = 0;
    if (dash_require(g, req, resp, DASH_VIEWER, &u) < 0) {
        json_decref(out);
        return;
    }
    st = prep(g, "SELECT v.id, v.dashboard_id, v.parent_version, v.restored_from, v.version,"
                 " v.created, v.message, v.data FROM dashboard_version v JOIN dashboard d"
                 " ON d.id = v.dashboard_id WHERE d.uid = ? AND (?2 IS NULL OR v.version = ?2)"
                 " ORDER BY v.version DESC");
    sqlite3_bind_text(st, 1, uid, -1, SQLITE_STATIC);
    if (vid)
        sqlite3_bind_int64(st, 2, strtoll(vid, NULL, 10));
    while (sqlite3_step(st) == SQLITE_ROW) {
        json_t *v = json_pack("{s:I, s:I, s:s, s:i, s:i, s:i, s:o, s:s, s:s}", "id",
                              (json_int_t)sqlite3_column_int64(st, 0), "dashboardId",
                              (json_int_t)sqlite3_column_int64(st, 1), "uid", uid, "parentVersion",
                              sqlite3_column_int(st, 2), "restoredFrom", sqlite3_column_int(st, 3),
                              "version", sqlite3_column_int(st, 4), "created",
                              iso(sqlite3_column_int64(st, 5)), "createdBy", "admin", "message",
                              (const char *)sqlite3_column_text(st, 6));
        if (vid) {
            json_t *data = json_loads((const char *)sqlite3_column_text(st, 7), 0, NULL);
            json_object_set_new(v, "data", data ? data : json_object());
        }
        json_array_append_new(out, v);
        found++;
    }
    sqlite3_finalize(st);
    if (vid) {
        if (!found) {
            json_decref(out);
            dash_error(resp, 404, "Dashboard version not found");
            return;
        }
        httpd_resp_json(resp, 200, json_incref(json_array_get(out, 0)));
        json_decref(out);
        return;
    }
    if (!found) {
        /* an unknown dashboard, not an empty history */
        st = prep(g, "SELECT 1 FROM dashboard WHERE uid = ?");
        sqlite3_bind_text(st, 1, uid, -1, SQLITE_STATIC);
        found = sqlite3_step(st) == SQLITE_ROW;
        sqlite3_finalize(st);
        if (!found) {
            json_decref(out);
            dash_error(resp, 404, "Dashboard not found");
            return;
        }
    }
    httpd_resp_json(resp, 200, out);
}

/* "${DS_PROMETHEUS}" -> the input's value, in every string of the model. */
static json_t *subst_inputs(json_t *v, json_t *inputs)
{
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        size_t i;
        json_t *in;
        if (!strstr(s, "${"))
            return json_incref(v);
        json_array_foreach(inputs, i, in)
        {
            const char *name = json_string_value(json_object_get(in, "name"));
            const char *val = json_string_value(json_object_get(in, "value"));
            char pat[256];
            const char *hit;
            if (!name || !val)
                continue;
            snprintf(pat, sizeof(pat), "${%s}", name);
            if ((hit = strstr(s, pat))) {
                struct strbuf sb = STRBUF_INIT;
                json_t *r;
                while ((hit = strstr(s, pat))) {
                    strbuf_add(&sb, s, (size_t)(hit - s));
                    strbuf_adds(&sb, val);
                    s = hit + strlen(pat);
                }
                strbuf_adds(&sb, s);
                r = json_string(sb.buf);
                strbuf_release(&sb);
                return r;
            }
        }
        return json_incref(v);
    }
    if (json_is_object(v)) {
        json_t *o = json_object(), *x;
        const char *k;
        json_object_foreach(v, k, x) json_object_set_new(o, k, subst_inputs(x, inputs));
        return o;
    }
    if (json_is_array(v)) {
        json_t *a = json_array(), *x;
        size_t i;
        json_array_foreach(v, i, x) json_array_append_new(a, subst_inputs(x, inputs));
        return a;
    }
    return json_incref(v);
}

void dash_api_import(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    struct dash *g = ctx;
    struct dash_user u;
    struct dash_save s = {0};
    json_t *b, *model;
    enum dash_save_result r;
    if (dash_require(g, req, resp, DASH_EDITOR, &u) < 0)
        return;
    if (!(b = dash_body(req, resp, NULL, "{s:{}}", "dashboard")))
        return;
    model = subst_inputs(json_object_get(b, "dashboard"), json_object_get(b, "inputs"));
    /* As Grafana's template evaluator: the inputs go, __requires stays. */
    json_object_del(model, "__inputs");
    s.dashboard = model;
    s.folder_id = json_integer_value(json_object_get(b, "folderId"));
    s.folder_uid = json_string_value(json_object_get(b, "folderUid"));
    s.overwrite = json_is_true(json_object_get(b, "overwrite"));
    s.user_id = u.id;
    r = dash_dashboard_save(g, &s);
    if (r != DASH_SAVE_OK) {
        save_answer(g, req, resp, r, &s);
    } else {
        const char *title = json_string_value(json_object_get(model, "title"));
        httpd_resp_json(
            resp, 200,
            json_pack("{s:s, s:s, s:s, s:b, s:s, s:s, s:s, s:I, s:I, s:s, s:i, s:i, s:s, s:s,"
                      " s:b}",
                      "uid", s.uid, "pluginId", "", "title", title, "imported", 1, "importedUri",
                      arena_printf(httpd_req_arena(req), "db/%s", s.slug), "importedUrl",
                      url_for(g, req, s.uid, s.slug, 0), "slug", s.slug, "dashboardId",
                      (json_int_t)s.id, "folderId", (json_int_t)s.folder_id, "folderUid",
                      s.folder_uid ? s.folder_uid : "", "importedRevision", 1, "revision", 1,
                      "description", "", "path", "", "removed", 0));
    }
    json_decref(model);
    json_decref(b);
}

void dash_api_search(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    struct dash *g = ctx;
    struct dash_user u;
    sqlite3_stmt *st;
    json_t *out = json_array();
    const char *q = httpd_req_query(req, "query"), *type = httpd_req_query(req, "type");
    const char **tags, **uids, **fids;
    size_t ntags = httpd_req_args(req, "tag", &tags);
    size_t nuids = httpd_req_args(req, "dashboardUIDs", &uids);
    size_t nfids = httpd_req_args(req, "folderIds", &fids);
    const char *lim = httpd_req_query(req, "limit");
    long limit = lim ? strtol(lim, NULL, 10) : 1000, n = 0;
    if (dash_require(g, req, resp, DASH_VIEWER, &u) < 0) {
        json_decref(out);
        return;
    }
    st =
        prep(g, "SELECT d.id, d.uid, d.title, d.slug, d.is_folder, d.folder_id,"
                " coalesce(f.uid, ''), coalesce(f.title, ''), coalesce(f.slug, ''),"
                " (SELECT group_concat(term, char(1)) FROM dashboard_tag WHERE dashboard_id = d.id)"
                " FROM dashboard d LEFT JOIN dashboard f ON f.id = d.folder_id"
                " WHERE (?1 IS NULL OR instr(lower(d.title), lower(?1)) > 0)"
                " ORDER BY d.is_folder DESC, lower(d.title)");
    if (q && *q)
        sqlite3_bind_text(st, 1, q, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW && n < limit) {
        int folder = sqlite3_column_int(st, 4);
        const char *uid = (const char *)sqlite3_column_text(st, 1);
        const char *slug = (const char *)sqlite3_column_text(st, 3);
        const char *tagstr = (const char *)sqlite3_column_text(st, 9);
        json_t *jt = json_array(), *item;
        size_t i, ok = 1;
        char fid[32];
        if (type && strcmp(type, folder ? "dash-folder" : "dash-db") != 0)
            ok = 0;
        if (ok && nuids) {
            ok = 0;
            for (i = 0; i < nuids; i++)
                if (strcmp(uids[i], uid) == 0)
                    ok = 1;
        }
        snprintf(fid, sizeof(fid), "%lld", (long long)sqlite3_column_int64(st, 5));
        if (ok && nfids) {
            ok = 0;
            for (i = 0; i < nfids; i++)
                if (strcmp(fids[i], fid) == 0)
                    ok = 1;
        }
        if (tagstr) {
            char *copy = xstrdup(tagstr), *save = NULL;
            for (char *t = strtok_r(copy, "\1", &save); t; t = strtok_r(NULL, "\1", &save))
                json_array_append_new(jt, json_string(t));
            free(copy);
        }
        for (i = 0; ok && i < ntags; i++) {
            size_t j, has = 0;
            json_t *x;
            json_array_foreach(jt, j, x) has |= strcmp(json_string_value(x), tags[i]) == 0;
            ok = has;
        }
        if (!ok) {
            json_decref(jt);
            continue;
        }
        item = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:b, s:i}", "id",
                         (json_int_t)sqlite3_column_int64(st, 0), "uid", uid, "title",
                         (const char *)sqlite3_column_text(st, 2), "uri",
                         arena_printf(httpd_req_arena(req), "db/%s", slug), "url",
                         url_for(g, req, uid, slug, folder), "slug", slug, "type",
                         folder ? "dash-folder" : "dash-db", "tags", jt, "isStarred", 0, "sortMeta",
                         0);
        if (!folder && sqlite3_column_int64(st, 5)) {
            const char *fu = (const char *)sqlite3_column_text(st, 6);
            json_object_set_new(item, "folderId", json_integer(sqlite3_column_int64(st, 5)));
            json_object_set_new(item, "folderUid", json_string(fu));
            json_object_set_new(item, "folderTitle",
                                json_string((const char *)sqlite3_column_text(st, 7)));
            json_object_set_new(
                item, "folderUrl",
                json_string(url_for(g, req, fu, (const char *)sqlite3_column_text(st, 8), 1)));
        }
        json_array_append_new(out, item);
        n++;
    }
    sqlite3_finalize(st);
    httpd_resp_json(resp, 200, out);
}
