/*
 * Dashboards and folders in SQLite, with Grafana's HTTP API shapes
 * ("Dashboard HTTP API", "Folder HTTP API", "Search API" of Grafana 9):
 * POST /api/dashboards/db, GET|DELETE /api/dashboards/uid/:uid, versions,
 * POST /api/dashboards/import, /api/search, /api/folders. A folder is a
 * dashboard row with is_folder set, as in Grafana's schema. Every save is
 * one IMMEDIATE transaction: the row, its tags and a dashboard_version.
 */
#include "dash/dash.h"

#include <ctype.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"

void dash_slugify(const char *title, char *out, size_t n)
{
    size_t o = 0;
    int dash = 0;
    for (const unsigned char *p = (const unsigned char *)title; *p && o + 1 < n; p++) {
        if (isalnum(*p)) {
            if (dash && o)
                out[o++] = '-';
            if (o + 1 < n)
                out[o++] = (char)tolower(*p);
            dash = 0;
        } else {
            dash = 1;
        }
    }
    out[o] = '\0';
}

static void new_uid(char *out)
{
    static const char a[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    char hexs[20];
    dash_auth_random_hex(hexs, 9);
    for (int i = 0; i < 9; i++)
        out[i] = a[(unsigned char)(hexs[2 * i] * 16 + hexs[2 * i + 1]) % (sizeof(a) - 1)];
    out[9] = '\0';
}

static sqlite3_stmt *prep(struct dash *g, const char *sql)
{
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2(g->db, sql, -1, &st, NULL);
    return st;
}

static int64_t folder_id_of(struct dash *g, const char *uid)
{
    sqlite3_stmt *st = prep(g, "SELECT id FROM dashboard WHERE uid = ? AND is_folder = 1");
    int64_t id = -1;
    sqlite3_bind_text(st, 1, uid, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return id;
}

/* Columns 1-7 that both the INSERT and the UPDATE of a save set, in that order: slug, title,
 * data, version, folder_id, updated, updated_by. */
static void bind_saved(sqlite3_stmt *st, const struct dash_save *s, const char *title,
                       const char *data, int64_t now)
{
    sqlite3_bind_text(st, 1, s->slug, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, title, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, data, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, s->version);
    sqlite3_bind_int64(st, 5, s->folder_id);
    sqlite3_bind_int64(st, 6, now);
    sqlite3_bind_int64(st, 7, s->user_id);
}

static enum dash_save_result save_locked(struct dash *g, struct dash_save *s)
{
    json_t *m = s->dashboard;
    const char *title = json_string_value(json_object_get(m, "title"));
    const char *uid = json_string_value(json_object_get(m, "uid"));
    int version = (int)json_integer_value(json_object_get(m, "version"));
    int64_t now = dash_now_ms() / 1000, id = 0, existing_version = 0, other = 0;
    sqlite3_stmt *st;
    char *data;
    const char *prov = NULL;
    int allow = 0;

    if (!json_is_object(m) || !title || !*title)
        return DASH_SAVE_BAD;
    if (s->folder_uid && *s->folder_uid) {
        s->folder_id = folder_id_of(g, s->folder_uid);
        if (s->folder_id < 0)
            return DASH_SAVE_NOT_FOUND_FOLDER;
    }
    if (uid && *uid) {
        snprintf(s->uid, sizeof(s->uid), "%s", uid);
    } else {
        new_uid(s->uid);
    }
    dash_slugify(title, s->slug, sizeof(s->slug));
    st = prep(g, "SELECT id, version, provisioner, allow_ui_updates, data, folder_id FROM dashboard"
                 " WHERE uid = ? AND is_folder = 0");
    sqlite3_bind_text(st, 1, s->uid, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        id = sqlite3_column_int64(st, 0);
        existing_version = sqlite3_column_int64(st, 1);
        prov = (const char *)sqlite3_column_text(st, 2);
        allow = sqlite3_column_int(st, 3);
        if (prov && !s->provisioner && !allow) {
            sqlite3_finalize(st);
            return DASH_SAVE_PROVISIONED;
        }
        /* Re-reading an unchanged provisioned file makes no new version. */
        if (s->provisioner && sqlite3_column_int64(st, 5) == s->folder_id) {
            json_t *old = json_loads((const char *)sqlite3_column_text(st, 4), 0, NULL);
            json_t *cur = json_deep_copy(m);
            int same;
            json_object_del(old, "version");
            json_object_del(cur, "version");
            json_object_del(cur, "id");
            json_object_set_new(cur, "uid", json_string(s->uid));
            same = old && json_equal(old, cur);
            json_decref(old);
            json_decref(cur);
            if (same) {
                s->id = id;
                s->version = (int)existing_version;
                sqlite3_finalize(st);
                return DASH_SAVE_OK;
            }
        }
    }
    sqlite3_finalize(st);
    if (id && !s->overwrite && !s->provisioner && version != existing_version)
        return DASH_SAVE_VERSION_MISMATCH;
    st = prep(g, "SELECT id FROM dashboard WHERE folder_id = ? AND title = ? AND uid != ?"
                 " AND is_folder = 0");
    sqlite3_bind_int64(st, 1, s->folder_id);
    sqlite3_bind_text(st, 2, title, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, s->uid, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        other = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (other && !s->overwrite && !s->provisioner)
        return DASH_SAVE_NAME_EXISTS;
    if (other)
        dash_db_run_id(g, "DELETE FROM dashboard WHERE id = ?", other);
    s->version = (int)existing_version + 1;
    json_object_set_new(m, "uid", json_string(s->uid));
    json_object_set_new(m, "version", json_integer(s->version));
    json_object_del(m, "id");
    data = json_dumps(m, JSON_COMPACT);
    if (id) {
        st = prep(g, "UPDATE dashboard SET slug = ?, title = ?, data = ?, version = ?,"
                     " folder_id = ?, updated = ?, updated_by = ?, provisioner = ?,"
                     " allow_ui_updates = ?, external_id = ? WHERE id = ?");
        sqlite3_bind_int64(st, 11, id);
    } else {
        st = prep(g, "INSERT INTO dashboard (slug, title, data, version, folder_id, updated,"
                     " updated_by, provisioner, allow_ui_updates, external_id, uid, created,"
                     " created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
        sqlite3_bind_text(st, 11, s->uid, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 12, now);
        sqlite3_bind_int64(st, 13, s->user_id);
    }
    bind_saved(st, s, title, data, now);
    sqlite3_bind_int(st, 9, 0);
    if (s->provisioner) {
        sqlite3_bind_text(st, 8, s->provisioner, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 9, s->allow_ui_updates);
        sqlite3_bind_text(st, 10, s->external_path, -1, SQLITE_STATIC);
    } else if (prov) {
        /* a UI save of a provisioned dashboard that allows it keeps it provisioned */
        sqlite3_finalize(st);
        st = NULL;
    }
    if (st && sqlite3_step(st) != SQLITE_DONE) {
        sqlite3_finalize(st);
        free(data);
        return DASH_SAVE_DB_ERROR;
    }
    if (!st) {
        st = prep(g, "UPDATE dashboard SET slug = ?, title = ?, data = ?, version = ?,"
                     " folder_id = ?, updated = ?, updated_by = ? WHERE id = ?");
        bind_saved(st, s, title, data, now);
        sqlite3_bind_int64(st, 8, id);
        sqlite3_step(st);
    }
    sqlite3_finalize(st);
    if (!id)
        id = sqlite3_last_insert_rowid(g->db);
    s->id = id;
    dash_db_run_id(g, "DELETE FROM dashboard_tag WHERE dashboard_id = ?", id);
    {
        json_t *tags = json_object_get(m, "tags"), *t;
        size_t i;
        json_array_foreach(tags, i, t)
        {
            if (!json_is_string(t))
                continue;
            st = prep(g, "INSERT INTO dashboard_tag (dashboard_id, term) VALUES (?, ?)");
            sqlite3_bind_int64(st, 1, id);
            sqlite3_bind_text(st, 2, json_string_value(t), -1, SQLITE_STATIC);
            sqlite3_step(st);
            sqlite3_finalize(st);
        }
    }
    st = prep(g, "INSERT OR REPLACE INTO dashboard_version (dashboard_id, version, parent_version,"
                 " created, created_by, message, data) VALUES (?, ?, ?, ?, ?, ?, ?)");
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, s->version);
    sqlite3_bind_int64(st, 3, existing_version);
    sqlite3_bind_int64(st, 4, now);
    sqlite3_bind_int64(st, 5, s->user_id);
    sqlite3_bind_text(st, 6, s->message ? s->message : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, data, -1, SQLITE_STATIC);
    sqlite3_step(st);
    sqlite3_finalize(st);
    free(data);
    return DASH_SAVE_OK;
}

enum dash_save_result dash_dashboard_save(struct dash *g, struct dash_save *s)
{
    enum dash_save_result r;
    pthread_mutex_lock(&g->dblock);
    if (sqlite3_exec(g->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        pthread_mutex_unlock(&g->dblock);
        return DASH_SAVE_DB_ERROR;
    }
    r = save_locked(g, s);
    if (r == DASH_SAVE_OK && sqlite3_exec(g->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        r = DASH_SAVE_DB_ERROR;
    if (r != DASH_SAVE_OK)
        sqlite3_exec(g->db, "ROLLBACK", NULL, NULL, NULL);
    pthread_mutex_unlock(&g->dblock);
    return r;
}

int dash_folder_ensure(struct dash *g, const char *title, const char *uid, int64_t *id)
{
    sqlite3_stmt *st;
    char u[64], slug[256];
    int64_t now = dash_now_ms() / 1000;
    int rc = -1;
    pthread_mutex_lock(&g->dblock);
    st = prep(g, "SELECT id FROM dashboard WHERE is_folder = 1 AND (title = ? OR uid = ?)");
    sqlite3_bind_text(st, 1, title, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, uid ? uid : "", -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        rc = 0;
    }
    sqlite3_finalize(st);
    if (rc < 0) {
        if (uid && *uid)
            snprintf(u, sizeof(u), "%s", uid);
        else
            new_uid(u);
        dash_slugify(title, slug, sizeof(slug));
        st = prep(g, "INSERT INTO dashboard (uid, slug, title, data, version, is_folder,"
                     " created, updated, created_by, updated_by) VALUES (?, ?, ?, '{}', 1, 1,"
                     " ?, ?, 0, 0)");
        sqlite3_bind_text(st, 1, u, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, slug, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, title, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, now);
        sqlite3_bind_int64(st, 5, now);
        if (sqlite3_step(st) == SQLITE_DONE) {
            *id = sqlite3_last_insert_rowid(g->db);
            rc = 0;
        }
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&g->dblock);
    return rc;
}
