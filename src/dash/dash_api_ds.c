/*
 * Datasources in SQLite with Grafana 9's "Data source HTTP API" shapes:
 * list, get/update/delete by id, uid and name, create (409 on a duplicate
 * name), and read-only rows for provisioned datasources (editable: false).
 */
#include "dash/dash.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"

#define DS_COLS                                                                             \
    "id, uid, name, type, access, url, is_default, json_data, basic_auth, basic_auth_user," \
    " read_only, version"

static json_t *ds_row(sqlite3_stmt *st)
{
    json_t *jd = json_loads((const char *)sqlite3_column_text(st, 7), 0, NULL);
    return json_pack(
        "{s:I, s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:b,"
        " s:o, s:o, s:b, s:i}",
        "id", (json_int_t)sqlite3_column_int64(st, 0), "uid",
        (const char *)sqlite3_column_text(st, 1), "orgId", 1, "name",
        (const char *)sqlite3_column_text(st, 2), "type", (const char *)sqlite3_column_text(st, 3),
        "typeLogoUrl", "", "access", (const char *)sqlite3_column_text(st, 4), "url",
        (const char *)sqlite3_column_text(st, 5), "user", "", "database", "", "basicAuthUser",
        (const char *)sqlite3_column_text(st, 9), "basicAuth", sqlite3_column_int(st, 8),
        "withCredentials", "", "isDefault", sqlite3_column_int(st, 6), "jsonData",
        jd ? jd : json_object(), "secureJsonFields", json_object(), "readOnly",
        sqlite3_column_int(st, 10), "version", sqlite3_column_int(st, 11));
}

/* The datasource named by the route (":uid", ":name" or ":id"), or NULL. */
static json_t *ds_find(struct dash *g, struct httpd_req *req)
{
    const char *uid = httpd_req_param(req, "uid"), *name = httpd_req_param(req, "name");
    const char *id = httpd_req_param(req, "id");
    sqlite3_stmt *st = NULL;
    json_t *r = NULL;
    if (uid) {
        sqlite3_prepare_v2(g->db, "SELECT " DS_COLS " FROM data_source WHERE uid = ?", -1, &st,
                           NULL);
        sqlite3_bind_text(st, 1, uid, -1, SQLITE_STATIC);
    } else if (name) {
        sqlite3_prepare_v2(g->db, "SELECT " DS_COLS " FROM data_source WHERE name = ?", -1, &st,
                           NULL);
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    } else {
        sqlite3_prepare_v2(g->db, "SELECT " DS_COLS " FROM data_source WHERE id = ?", -1, &st,
                           NULL);
        sqlite3_bind_int64(st, 1, id ? strtoll(id, NULL, 10) : -1);
    }
    if (sqlite3_step(st) == SQLITE_ROW)
        r = ds_row(st);
    sqlite3_finalize(st);
    return r;
}

json_t *dash_ds_by_uid(struct dash *g, const char *uid_or_name)
{
    sqlite3_stmt *st = NULL;
    json_t *r = NULL;
    if (!uid_or_name || !*uid_or_name)
        sqlite3_prepare_v2(g->db,
                           "SELECT " DS_COLS " FROM data_source ORDER BY is_default DESC, id"
                           " LIMIT 1",
                           -1, &st, NULL);
    else
        sqlite3_prepare_v2(g->db, "SELECT " DS_COLS " FROM data_source WHERE uid = ?1 OR name = ?1",
                           -1, &st, NULL);
    sqlite3_bind_text(st, 1, uid_or_name ? uid_or_name : "", -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        r = ds_row(st);
    sqlite3_finalize(st);
    return r;
}

json_t *dash_ds_list(struct dash *g)
{
    sqlite3_stmt *st = NULL;
    json_t *out = json_array();
    sqlite3_prepare_v2(g->db, "SELECT " DS_COLS " FROM data_source ORDER BY name", -1, &st, NULL);
    while (sqlite3_step(st) == SQLITE_ROW)
        json_array_append_new(out, ds_row(st));
    sqlite3_finalize(st);
    return out;
}

void dash_api_ds_list(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    struct dash_user u;
    if (dash_require(ctx, req, resp, DASH_VIEWER, &u) < 0)
        return;
    httpd_resp_json(resp, 200, dash_ds_list(ctx));
}

void dash_api_ds_get(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    struct dash_user u;
    json_t *ds;
    if (dash_require(ctx, req, resp, DASH_VIEWER, &u) < 0)
        return;
    ds = ds_find(ctx, req);
    if (!ds)
        dash_error(resp, 404, "Data source not found");
    else
        httpd_resp_json(resp, 200, ds);
}

/* Insert or update from a Grafana datasource JSON; id 0 inserts. 0, or an HTTP status. */
int dash_ds_upsert(struct dash *g, json_t *b, int64_t id, int read_only, const char **msg)
{
    const char *name = NULL, *type = NULL, *access = "proxy", *url = "", *uid = NULL, *bau = "";
    int is_default = 0, basic = 0, rc = 0;
    json_t *jd = json_object_get(b, "jsonData");
    char uidbuf[32], *jds;
    sqlite3_stmt *st = NULL;
    int64_t now = dash_now_ms() / 1000;
    if (json_unpack(b, "{s:s, s:s, s?s, s?s, s?s, s?b, s?b, s?s}", "name", &name, "type", &type,
                    "access", &access, "url", &url, "uid", &uid, "isDefault", &is_default,
                    "basicAuth", &basic, "basicAuthUser", &bau) < 0) {
        *msg = "bad request data";
        return 400;
    }
    if (!uid || !*uid) {
        dash_auth_random_hex(uidbuf, 7);
        uid = uidbuf;
    }
    jds = json_dumps(jd ? jd : json_object(), JSON_COMPACT);
    pthread_mutex_lock(&g->dblock);
    sqlite3_exec(g->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (is_default)
        sqlite3_exec(g->db, "UPDATE data_source SET is_default = 0", NULL, NULL, NULL);
    if (id)
        sqlite3_prepare_v2(g->db,
                           "UPDATE data_source SET name = ?1, type = ?2, access = ?3, url = ?4,"
                           " is_default = ?5, json_data = ?6, basic_auth = ?7,"
                           " basic_auth_user = ?8, read_only = ?9, updated = ?10,"
                           " version = version + 1, uid = ?11 WHERE id = ?12",
                           -1, &st, NULL);
    else
        sqlite3_prepare_v2(g->db,
                           "INSERT INTO data_source (name, type, access, url, is_default,"
                           " json_data, basic_auth, basic_auth_user, read_only, updated, uid,"
                           " created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?10)",
                           -1, &st, NULL);
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, type, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, access, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, url, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, is_default);
    sqlite3_bind_text(st, 6, jds, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 7, basic);
    sqlite3_bind_text(st, 8, bau, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 9, read_only);
    sqlite3_bind_int64(st, 10, now);
    sqlite3_bind_text(st, 11, uid, -1, SQLITE_STATIC);
    if (id)
        sqlite3_bind_int64(st, 12, id);
    if (sqlite3_step(st) != SQLITE_DONE) {
        *msg = "data source with the same name already exists";
        rc = 409;
    }
    sqlite3_finalize(st);
    sqlite3_exec(g->db, rc ? "ROLLBACK" : "COMMIT", NULL, NULL, NULL);
    pthread_mutex_unlock(&g->dblock);
    free(jds);
    json_object_set_new(b, "uid", json_string(uid));
    return rc;
}

void dash_api_ds_create(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    struct dash *g = ctx;
    struct dash_user u;
    json_t *b, *ds;
    const char *msg = NULL;
    int rc;
    if (dash_require(g, req, resp, DASH_ADMIN, &u) < 0)
        return;
    if (!(b = dash_body(req, resp, NULL, NULL)))
        return;
    rc = dash_ds_upsert(g, b, 0, 0, &msg);
    if (rc) {
        dash_error(resp, rc, msg);
    } else {
        ds = dash_ds_by_uid(g, json_string_value(json_object_get(b, "uid")));
        httpd_resp_json(resp, 200,
                        json_pack("{s:O, s:O, s:s, s:O}", "datasource", ds, "id",
                                  json_object_get(ds, "id"), "message", "Datasource added", "name",
                                  json_object_get(ds, "name")));
        json_decref(ds);
    }
    json_decref(b);
}

/* The data source the request names, when it may be changed: NULL with 404, or 403 for a
 * provisioned (read-only) one, answered. New reference. */
static json_t *ds_writable(struct dash *g, struct httpd_req *req, struct httpd_resp *resp,
                           const char *verb)
{
    json_t *ds = ds_find(g, req);

    if (!ds) {
        dash_error(resp, 404, "Data source not found");
    } else if (json_is_true(json_object_get(ds, "readOnly"))) {
        dash_error(resp, 403,
                   arena_printf(httpd_req_arena(req), "Cannot %s read-only data source", verb));
        json_decref(ds);
        ds = NULL;
    }
    return ds;
}

void dash_api_ds_update(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    struct dash *g = ctx;
    struct dash_user u;
    json_t *b = NULL, *ds;
    const char *msg = NULL;
    int rc;
    if (dash_require(g, req, resp, DASH_ADMIN, &u) < 0)
        return;
    if (!(ds = ds_writable(g, req, resp, "update")))
        return;
    if (!(b = dash_body(req, resp, NULL, NULL)))
        goto out;
    if (!json_object_get(b, "uid"))
        json_object_set(b, "uid", json_object_get(ds, "uid"));
    rc = dash_ds_upsert(g, b, json_integer_value(json_object_get(ds, "id")), 0, &msg);
    if (rc) {
        dash_error(resp, rc, msg);
        goto out;
    }
    json_decref(ds);
    ds = dash_ds_by_uid(g, json_string_value(json_object_get(b, "uid")));
    httpd_resp_json(resp, 200,
                    json_pack("{s:O, s:O, s:s, s:O}", "datasource", ds, "id",
                              json_object_get(ds, "id"), "message", "Datasource updated", "name",
                              json_object_get(ds, "name")));
out:
    json_decref(b);
    json_decref(ds);
}

void dash_api_ds_delete(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
{
    struct dash *g = ctx;
    struct dash_user u;
    json_t *ds;
    if (dash_require(g, req, resp, DASH_ADMIN, &u) < 0)
        return;
    if (!(ds = ds_writable(g, req, resp, "delete")))
        return;
    dash_db_run_id(g, "DELETE FROM data_source WHERE id = ?",
                   json_integer_value(json_object_get(ds, "id")));
    httpd_resp_json(
        resp, 200,
        json_pack("{s:O, s:s}", "id", json_object_get(ds, "id"), "message", "Data source deleted"));
    json_decref(ds);
}
