/*
 * cairn-dash storage: one SQLite database, <paths.data>/grafana.db, as
 * Grafana keeps it. WAL journal with synchronous=FULL, so a save that was
 * acknowledged is on disk (each COMMIT fsyncs the WAL) and a killed daemon
 * loses nothing it answered 200 for. Schema changes are migrations, applied
 * in order at start and recorded in migration_log (Grafana's table name).
 */
#include "dash/dash.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/xmalloc.h"

struct migration {
    const char *id;
    const char *sql;
};

/* Append only: a released migration is never edited. */
static const struct migration migrations[] = {
    {"create dashboard table",
     "CREATE TABLE dashboard (id INTEGER PRIMARY KEY AUTOINCREMENT, uid TEXT NOT NULL UNIQUE,"
     " slug TEXT NOT NULL, title TEXT NOT NULL, data TEXT NOT NULL, version INTEGER NOT NULL,"
     " is_folder INTEGER NOT NULL DEFAULT 0, folder_id INTEGER NOT NULL DEFAULT 0,"
     " created INTEGER NOT NULL, updated INTEGER NOT NULL, created_by INTEGER NOT NULL,"
     " updated_by INTEGER NOT NULL, provisioner TEXT, allow_ui_updates INTEGER NOT NULL DEFAULT 0,"
     " external_id TEXT);"
     "CREATE INDEX dashboard_folder ON dashboard(folder_id, title);"},
    {"create dashboard_version table",
     "CREATE TABLE dashboard_version (id INTEGER PRIMARY KEY AUTOINCREMENT,"
     " dashboard_id INTEGER NOT NULL, version INTEGER NOT NULL, parent_version INTEGER NOT NULL,"
     " restored_from INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL,"
     " created_by INTEGER NOT NULL, message TEXT NOT NULL, data TEXT NOT NULL,"
     " UNIQUE(dashboard_id, version));"},
    {"create dashboard_tag table",
     "CREATE TABLE dashboard_tag (dashboard_id INTEGER NOT NULL, term TEXT NOT NULL);"
     "CREATE INDEX dashboard_tag_id ON dashboard_tag(dashboard_id);"},
    {"create data_source table",
     "CREATE TABLE data_source (id INTEGER PRIMARY KEY AUTOINCREMENT, uid TEXT NOT NULL UNIQUE,"
     " name TEXT NOT NULL UNIQUE, type TEXT NOT NULL, access TEXT NOT NULL, url TEXT NOT NULL,"
     " is_default INTEGER NOT NULL DEFAULT 0, json_data TEXT NOT NULL DEFAULT '{}',"
     " basic_auth INTEGER NOT NULL DEFAULT 0, basic_auth_user TEXT NOT NULL DEFAULT '',"
     " read_only INTEGER NOT NULL DEFAULT 0, version INTEGER NOT NULL DEFAULT 1,"
     " created INTEGER NOT NULL, updated INTEGER NOT NULL);"},
    {"create user table",
     "CREATE TABLE user (id INTEGER PRIMARY KEY AUTOINCREMENT, login TEXT NOT NULL UNIQUE,"
     " email TEXT NOT NULL, name TEXT NOT NULL, password TEXT NOT NULL, salt TEXT NOT NULL,"
     " role TEXT NOT NULL DEFAULT 'Viewer', is_admin INTEGER NOT NULL DEFAULT 0,"
     " created INTEGER NOT NULL, updated INTEGER NOT NULL);"},
    {"create user_auth_token table",
     "CREATE TABLE user_auth_token (id INTEGER PRIMARY KEY AUTOINCREMENT,"
     " user_id INTEGER NOT NULL, token_hash TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL,"
     " seen_at INTEGER NOT NULL);"},
    {"create api_key table",
     "CREATE TABLE api_key (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE,"
     " key_hash TEXT NOT NULL UNIQUE, role TEXT NOT NULL, created INTEGER NOT NULL,"
     " expires INTEGER);"},
};

int64_t dash_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int dash_db_run_id(struct dash *g, const char *sql, int64_t id)
{
    sqlite3_stmt *st = NULL;
    int rc;

    sqlite3_prepare_v2(g->db, sql, -1, &st, NULL);
    sqlite3_bind_int64(st, 1, id);
    rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    return rc;
}

static int exec(sqlite3 *db, const char *sql, struct diag *d, const char *what)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        diag_error(d, NULL, "database: %s: %s", what, err ? err : sqlite3_errmsg(db));
        sqlite3_free(err);
        return -1;
    }
    return 0;
}

static int migrate(sqlite3 *db, struct diag *d)
{
    sqlite3_stmt *st = NULL;
    int rc = -1;
    if (exec(db,
             "CREATE TABLE IF NOT EXISTS migration_log (id INTEGER PRIMARY KEY AUTOINCREMENT,"
             " migration_id TEXT NOT NULL UNIQUE, sql TEXT NOT NULL, success INTEGER NOT NULL,"
             " timestamp TEXT NOT NULL)",
             d, "creating migration_log") < 0)
        return -1;
    for (size_t i = 0; i < sizeof(migrations) / sizeof(migrations[0]); i++) {
        const struct migration *m = &migrations[i];
        int done;
        sqlite3_prepare_v2(db, "SELECT 1 FROM migration_log WHERE migration_id = ?", -1, &st, NULL);
        sqlite3_bind_text(st, 1, m->id, -1, SQLITE_STATIC);
        done = sqlite3_step(st) == SQLITE_ROW;
        sqlite3_finalize(st);
        st = NULL;
        if (done)
            continue;
        if (exec(db, "BEGIN IMMEDIATE", d, "migration") < 0)
            goto out;
        if (exec(db, m->sql, d, m->id) < 0) {
            exec(db, "ROLLBACK", d, "rollback");
            goto out;
        }
        sqlite3_prepare_v2(db,
                           "INSERT INTO migration_log (migration_id, sql, success, timestamp)"
                           " VALUES (?, ?, 1, datetime('now'))",
                           -1, &st, NULL);
        sqlite3_bind_text(st, 1, m->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, m->sql, -1, SQLITE_STATIC);
        sqlite3_step(st);
        sqlite3_finalize(st);
        st = NULL;
        if (exec(db, "COMMIT", d, "migration") < 0)
            goto out;
        log_info("cairn-dash: migration applied: %s", m->id);
    }
    rc = 0;
out:
    return rc;
}

int dash_db_open(struct dash *g, struct diag *d)
{
    char *path = NULL;
    struct stat st;
    int rc = -1;

    if (mkdir(g->conf.data_path, 0750) < 0 && errno != EEXIST) {
        diag_error(d, NULL, "data directory %s: cannot create: %s", g->conf.data_path,
                   strerror(errno));
        goto out;
    }
    if (stat(g->conf.data_path, &st) < 0 || !S_ISDIR(st.st_mode)) {
        diag_error(d, NULL, "data directory %s: not a directory", g->conf.data_path);
        goto out;
    }
    /* SQLite opens a read-only directory's database read-only and fails on the first
     * write; say so at start instead. */
    path = xmalloc(strlen(g->conf.data_path) + 32);
    sprintf(path, "%s/.cairn-dash-probe", g->conf.data_path);
    {
        /* access() says yes to root on a read-only mount; creating a file tells. */
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0) {
            diag_error(d, NULL,
                       "data directory %s is not writable (%s): cairn-dash keeps grafana.db "
                       "there",
                       g->conf.data_path, strerror(errno));
            goto out;
        }
        close(fd);
        unlink(path);
    }
    sprintf(path, "%s/grafana.db", g->conf.data_path);
    if (sqlite3_open_v2(path, &g->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                        NULL) != SQLITE_OK) {
        diag_error(d, NULL, "database %s: %s", path, g->db ? sqlite3_errmsg(g->db) : "no memory");
        goto out;
    }
    sqlite3_busy_timeout(g->db, 5000);
    if (exec(g->db, "PRAGMA journal_mode=WAL", d, path) < 0 ||
        exec(g->db, "PRAGMA synchronous=FULL", d, path) < 0 ||
        exec(g->db, "PRAGMA cache_size=-1024", d, path) < 0 || /* 1 MiB of page cache */
        exec(g->db, "PRAGMA foreign_keys=ON", d, path) < 0 || migrate(g->db, d) < 0)
        goto out;
    rc = 0;
out:
    if (rc < 0 && g->db) {
        sqlite3_close(g->db);
        g->db = NULL;
    }
    free(path);
    return rc;
}

void dash_db_close(struct dash *g)
{
    if (g->db)
        sqlite3_close(g->db);
    g->db = NULL;
}

int dash_db_ping(struct dash *g)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int ok = 0;
    char *path;
    if (!g->db)
        return -1;
    /* A connection of its own, so the answer comes from the file as it is now and not
     * from the main connection's page cache: a vanished or damaged file is "failing". */
    path = xmalloc(strlen(g->conf.data_path) + 16);
    sprintf(path, "%s/grafana.db", g->conf.data_path);
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "SELECT count(*) FROM migration_log", -1, &st, NULL) == SQLITE_OK)
        ok = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    sqlite3_close(db);
    free(path);
    return ok ? 0 : -1;
}
