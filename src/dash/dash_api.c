/*
 * cairn-dash's route table, and the small endpoints: /api/health (Grafana's
 * shape; 503 with "database":"failing" when SQLite does not answer),
 * /api/frontend/settings, /api/folders, /metrics (Grafana's metric names
 * where one exists).
 */
#include "dash/dash.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"

void dash_error(struct httpd_resp *resp, int status, const char *msg)
{
    httpd_resp_json(resp, status, json_pack("{s:s}", "message", msg));
}

void dash_deleted(struct httpd_req *req, struct httpd_resp *resp, const char *kind,
                  const char *title, int64_t id)
{
    httpd_resp_json(resp, 200,
                    json_pack("{s:s, s:s, s:I}", "title", title, "message",
                              arena_printf(httpd_req_arena(req), "%s %s deleted", kind, title),
                              "id", (json_int_t)id));
}

json_t *dash_body(struct httpd_req *req, struct httpd_resp *resp, const char *msg, const char *fmt,
                  ...)
{
    json_error_t je;
    json_t *b = httpd_req_json(req, &je);
    va_list ap;

    va_start(ap, fmt);
    if (b && fmt && json_vunpack_ex(b, &je, 0, fmt, ap) < 0) {
        json_decref(b);
        b = NULL;
    }
    va_end(ap);
    if (!b)
        dash_error(resp, 400, msg ? msg : "bad request data");
    return b;
}

static void h_health(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    struct dash *g = ctx;
    int ok = dash_db_ping(g) == 0;
    (void)req;
    httpd_resp_header(resp, "Cache-Control", "no-store");
    httpd_resp_json(resp, ok ? 200 : 503,
                    json_pack("{s:s, s:s, s:s}", "commit", "cairn", "database",
                              ok ? "ok" : "failing", "version", g->version));
}

static void h_settings(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    struct dash *g = ctx;
    struct dash_user u;
    json_t *list, *dss = json_object(), *ds;
    const char *def = "";
    size_t i;
    if (dash_require(g, req, resp, DASH_VIEWER, &u) < 0) {
        json_decref(dss);
        return;
    }
    list = dash_ds_list(g);
    json_array_foreach(list, i, ds)
    {
        const char *name = json_string_value(json_object_get(ds, "name"));
        json_object_set_new(
            dss, name,
            json_pack("{s:O, s:O, s:O, s:O, s:O, s:O, s:{s:O}}", "id", json_object_get(ds, "id"),
                      "uid", json_object_get(ds, "uid"), "type", json_object_get(ds, "type"),
                      "name", json_object_get(ds, "name"), "isDefault",
                      json_object_get(ds, "isDefault"), "jsonData", json_object_get(ds, "jsonData"),
                      "meta", "id", json_object_get(ds, "type")));
        if (json_is_true(json_object_get(ds, "isDefault")))
            def = name;
    }
    httpd_resp_json(resp, 200,
                    json_pack("{s:s, s:s, s:o, s:s, s:b, s:{s:s, s:s, s:s, s:s}, s:s, s:b}",
                              "appUrl", g->conf.root_url, "appSubUrl", g->conf.sub_path,
                              "datasources", dss, "defaultDatasource", def, "anonymousEnabled",
                              g->conf.anonymous_enabled, "buildInfo", "version", g->version,
                              "commit", "cairn", "env", "production", "edition", "cairn-dash",
                              "minRefreshInterval", "5s", "authProxyEnabled", 0));
    json_decref(list);
}

static json_t *folder_json(struct dash *g, struct httpd_req *req, sqlite3_stmt *st,
                           enum dash_role role)
{
    const char *uid = (const char *)sqlite3_column_text(st, 1);
    return json_pack("{s:I, s:s, s:s, s:s, s:b, s:b, s:b, s:b, s:i}", "id",
                     (json_int_t)sqlite3_column_int64(st, 0), "uid", uid, "title",
                     (const char *)sqlite3_column_text(st, 2), "url",
                     arena_printf(httpd_req_arena(req), "%s/dashboards/f/%s/%s", g->conf.sub_path,
                                  uid, (const char *)sqlite3_column_text(st, 3)),
                     "hasAcl", 0, "canSave", role >= DASH_EDITOR, "canEdit", role >= DASH_EDITOR,
                     "canAdmin", role >= DASH_ADMIN, "version", sqlite3_column_int(st, 4));
}

static void h_folders(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    struct dash *g = ctx;
    struct dash_user u;
    sqlite3_stmt *st = NULL;
    json_t *out = json_array();
    if (dash_require(g, req, resp, DASH_VIEWER, &u) < 0) {
        json_decref(out);
        return;
    }
    sqlite3_prepare_v2(g->db,
                       "SELECT id, uid, title, slug, version FROM dashboard WHERE is_folder = 1"
                       " ORDER BY lower(title)",
                       -1, &st, NULL);
    while (sqlite3_step(st) == SQLITE_ROW)
        json_array_append_new(out, json_pack("{s:I, s:s, s:s}", "id",
                                             (json_int_t)sqlite3_column_int64(st, 0), "uid",
                                             (const char *)sqlite3_column_text(st, 1), "title",
                                             (const char *)sqlite3_column_text(st, 2)));
    sqlite3_finalize(st);
    httpd_resp_json(resp, 200, out);
}

static void folder_answer(struct dash *g, struct httpd_req *req, struct httpd_resp *resp,
                          const char *uid, enum dash_role role)
{
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2(g->db,
                       "SELECT id, uid, title, slug, version FROM dashboard WHERE is_folder = 1"
                       " AND uid = ?",
                       -1, &st, NULL);
    sqlite3_bind_text(st, 1, uid, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        httpd_resp_json(resp, 200, folder_json(g, req, st, role));
    else
        dash_error(resp, 404, "Folder not found");
    sqlite3_finalize(st);
}

static void h_folder_get(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    struct dash_user u;
    if (dash_require(ctx, req, resp, DASH_VIEWER, &u) < 0)
        return;
    folder_answer(ctx, req, resp, httpd_req_param(req, "uid"), u.role);
}

static void h_folder_create(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    struct dash *g = ctx;
    struct dash_user u;
    json_t *b;
    const char *title = NULL, *uid = NULL;
    int64_t id;
    sqlite3_stmt *st = NULL;
    int exists;
    if (dash_require(g, req, resp, DASH_EDITOR, &u) < 0)
        return;
    if (!(b = dash_body(req, resp, "folder title cannot be empty", "{s:s, s?s}", "title", &title,
                        "uid", &uid)))
        return;
    if (!*title) {
        dash_error(resp, 400, "folder title cannot be empty");
        json_decref(b);
        return;
    }
    sqlite3_prepare_v2(g->db,
                       "SELECT 1 FROM dashboard WHERE is_folder = 1 AND (title = ? OR uid = ?)", -1,
                       &st, NULL);
    sqlite3_bind_text(st, 1, title, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, uid ? uid : "", -1, SQLITE_STATIC);
    exists = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    if (exists) {
        dash_error(resp, 409,
                   "a folder or dashboard in the general folder with the same name "
                   "already exists");
    } else if (dash_folder_ensure(g, title, uid, &id) < 0) {
        dash_error(resp, 500, "Failed to create folder");
    } else {
        sqlite3_prepare_v2(g->db, "SELECT uid FROM dashboard WHERE id = ?", -1, &st, NULL);
        sqlite3_bind_int64(st, 1, id);
        sqlite3_step(st);
        folder_answer(g, req, resp, (const char *)sqlite3_column_text(st, 0), u.role);
        sqlite3_finalize(st);
    }
    json_decref(b);
}

static void h_folder_delete(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    struct dash *g = ctx;
    struct dash_user u;
    sqlite3_stmt *st = NULL;
    int64_t id = -1;
    char *title = NULL;
    if (dash_require(g, req, resp, DASH_EDITOR, &u) < 0)
        return;
    sqlite3_prepare_v2(g->db, "SELECT id, title FROM dashboard WHERE is_folder = 1 AND uid = ?", -1,
                       &st, NULL);
    sqlite3_bind_text(st, 1, httpd_req_param(req, "uid"), -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        id = sqlite3_column_int64(st, 0);
        title = arena_strdup(httpd_req_arena(req), (const char *)sqlite3_column_text(st, 1));
    }
    sqlite3_finalize(st);
    if (id < 0) {
        dash_error(resp, 404, "Folder not found");
        return;
    }
    /* Grafana deletes the folder's dashboards with it. */
    pthread_mutex_lock(&g->dblock);
    sqlite3_exec(g->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    dash_db_run_id(g, "DELETE FROM dashboard WHERE id = ?1 OR folder_id = ?1", id);
    sqlite3_exec(g->db, "COMMIT", NULL, NULL, NULL);
    pthread_mutex_unlock(&g->dblock);
    dash_deleted(req, resp, "Folder", title, id);
}

static void h_metrics(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    struct dash *g = ctx;
    struct strbuf *b = httpd_resp_body(resp);
    (void)req;
    httpd_resp_header(resp, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    httpd_stats_write(g->http, b, "grafana_api_response_status_total", NULL);
    strbuf_addf(b,
                "# HELP grafana_build_info A metric with a constant '1' value labeled by "
                "version.\n# TYPE grafana_build_info gauge\n"
                "grafana_build_info{edition=\"cairn-dash\",version=\"%s\"} 1\n",
                g->version);
    strbuf_addf(b,
                "# HELP grafana_database_up Whether SQLite answers.\n"
                "# TYPE grafana_database_up gauge\ngrafana_database_up %d\n",
                dash_db_ping(g) == 0);
}

const struct httpd_route dash_routes[] = {
    {"GET", "/api/health", h_health},
    {"GET", "/metrics", h_metrics},
    {"POST", "/login", dash_auth_login},
    {"POST", "/api/login", dash_auth_login},
    {"GET", "/logout", dash_auth_logout},
    {"GET", "/api/user", dash_auth_user},
    {"POST", "/api/admin/users", dash_auth_create_user},
    {"PATCH", "/api/org/users/:id", dash_auth_set_role},
    {"POST", "/api/auth/keys", dash_auth_create_key},
    {"GET", "/api/frontend/settings", h_settings},
    {"POST", "/api/dashboards/db", dash_api_save},
    {"POST", "/api/dashboards/import", dash_api_import},
    {"GET", "/api/dashboards/uid/:uid", dash_api_get},
    {"DELETE", "/api/dashboards/uid/:uid", dash_api_delete},
    {"GET", "/api/dashboards/uid/:uid/versions", dash_api_versions},
    {"GET", "/api/dashboards/uid/:uid/versions/:id", dash_api_versions},
    {"GET", "/api/search", dash_api_search},
    {"GET", "/api/folders", h_folders},
    {"POST", "/api/folders", h_folder_create},
    {"GET", "/api/folders/:uid", h_folder_get},
    {"DELETE", "/api/folders/:uid", h_folder_delete},
    {"GET", "/api/datasources", dash_api_ds_list},
    {"POST", "/api/datasources", dash_api_ds_create},
    {"GET", "/api/datasources/uid/:uid", dash_api_ds_get},
    {"PUT", "/api/datasources/uid/:uid", dash_api_ds_update},
    {"DELETE", "/api/datasources/uid/:uid", dash_api_ds_delete},
    {"GET", "/api/datasources/name/:name", dash_api_ds_get},
    {"DELETE", "/api/datasources/name/:name", dash_api_ds_delete},
    {"GET", "/api/datasources/:id", dash_api_ds_get},
    {"PUT", "/api/datasources/:id", dash_api_ds_update},
    {"DELETE", "/api/datasources/:id", dash_api_ds_delete},
    {"*", "/api/datasources/proxy/uid/:uid/*", dash_api_ds_proxy},
    {"POST", "/api/ds/query", dash_api_ds_query},
};
const size_t dash_nroutes = sizeof(dash_routes) / sizeof(dash_routes[0]);

void dash_not_found(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    const char *p = httpd_req_path(req);
    if (strncmp(p, "/api/", 5) == 0) {
        dash_error(resp, 404, "Not found");
        return;
    }
    dash_ui_serve(ctx, req, resp);
}
