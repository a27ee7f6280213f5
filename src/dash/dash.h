/*
 * cairn-dash: a Grafana-compatible dashboard server. This header is the
 * daemon's internal interface between its files: configuration (dash_conf),
 * storage (dash_db), authentication (dash_auth), the HTTP API (dash_api),
 * datasource queries (dash_query), provisioning (dash_prov) and the web UI
 * (dash_ui). See docs/dash.md.
 */
#ifndef CAIRN_DASH_H
#define CAIRN_DASH_H

#include <pthread.h>
#include <stdint.h>

#include <jansson.h>

#include "core/diag.h"
#include "core/strbuf.h"
#include "httpd/httpd.h"

struct sqlite3;

/* Configuration, by Grafana's section.key names (defaults.ini of Grafana 9). */
struct dash_conf {
    char *http_addr;          /* server.http_addr, "" = every interface */
    unsigned http_port;       /* server.http_port, 3000 */
    char *root_url;           /* server.root_url */
    int serve_from_sub_path;  /* server.serve_from_sub_path */
    char *sub_path;           /* the path of root_url when serving from it, "" otherwise */
    char *data_path;          /* paths.data */
    char *provisioning_path;  /* paths.provisioning */
    char *admin_user;         /* security.admin_user */
    char *admin_password;     /* security.admin_password: wiped after the admin is stored */
    char *secret_key;         /* security.secret_key: signs CSRF tokens */
    int cookie_secure;        /* security.cookie_secure */
    char *cookie_samesite;    /* security.cookie_samesite: lax */
    int disable_login_form;   /* unused by cairn-dash, read for compatibility */
    int anonymous_enabled;    /* auth.anonymous.enabled */
    char *anonymous_role;     /* auth.anonymous.org_role, Viewer */
    long session_inactive_s;  /* auth.login_maximum_inactive_lifetime_duration, 7d */
    long session_lifetime_s;  /* auth.login_maximum_lifetime_duration, 30d */
    char *login_cookie_name;  /* auth.login_cookie_name, grafana_session */
    int brute_force_disabled; /* security.disable_brute_force_login_protection */
    int basic_auth_enabled;   /* auth.basic.enabled, true */
    char *datasources_yaml;   /* CAIRN_DASH_DATASOURCES: a datasources provisioning file's text */
    char *dashboards_yaml;    /* CAIRN_DASH_DASHBOARDS: a dashboards provisioning file's text */
    char *ui_dir;             /* where the web UI's files are (built tree or installed) */
    long query_timeout_s;     /* dataproxy.timeout, 30 */
};

enum dash_role { DASH_VIEWER = 0, DASH_EDITOR = 1, DASH_ADMIN = 2 };

struct dash_user {
    int64_t id;
    char login[128];
    char email[256];
    char name[128];
    enum dash_role role;
    int is_admin;   /* Grafana server admin */
    int via_cookie; /* authenticated by the session cookie (CSRF applies) */
    char csrf[65];  /* expected CSRF token for cookie sessions */
    int64_t created, updated;
};

struct dash {
    struct dash_conf conf;
    struct sqlite3 *db;
    pthread_mutex_t dblock; /* one connection, serialised: SQLite writes are serial anyway */
    struct httpd *http;
    char version[32];
    pthread_mutex_t lock; /* login attempts, the provisioning thread's stop flag */
    struct dash_attempt *attempts;
    size_t nattempts, aattempts;
    long prov_interval_s;  /* smallest updateIntervalSeconds of the dashboard providers */
    pthread_t prov_thread; /* re-reads provisioned dashboards (dash_prov_watch) */
    pthread_cond_t prov_cond;
    int prov_running, prov_stop; /* under lock */
};

/* dash_conf.c */
void dash_conf_defaults(struct dash_conf *c);
void dash_conf_release(struct dash_conf *c);
/* Read an ini file (Grafana's format: [section], key = value, ; and # comments). */
int dash_conf_load_ini(struct dash_conf *c, const char *path, struct diag *d);
/* Apply GF_<SECTION>_<KEY> variables and the CAIRN_DASH_* ones from environ. */
int dash_conf_load_env(struct dash_conf *c, char **env, struct diag *d);
/* One setting by section and key; 0, or -1 with the reason (unknown keys are ignored as Grafana
 * does). */
int dash_conf_set(struct dash_conf *c, const char *section, const char *key, const char *value,
                  const struct srcloc *loc, struct diag *d);
/* Derive sub_path from root_url; check what must hold. */
int dash_conf_finish(struct dash_conf *c, struct diag *d);
/* "30d", "7d", "1h", "10m", "5s", "300" (seconds). -1 when malformed. */
long dash_conf_duration(const char *s);

/* dash_db.c */
int dash_db_open(struct dash *g, struct diag *d);
void dash_db_close(struct dash *g);
/* 0 when the database answers a query. */
int dash_db_ping(struct dash *g);
int64_t dash_now_ms(void);
/* Runs sql, whose one parameter is a row id and whose result is not read (a delete):
 * 0 when it ran to the end. */
int dash_db_run_id(struct dash *g, const char *sql, int64_t id);

/* dash_auth.c */
void dash_auth_hash(const char *password, const char *salt, char out[101]);
void dash_auth_random_hex(char *out, size_t nbytes);
int dash_auth_ensure_admin(struct dash *g, struct diag *d);
/* Who is calling: 0 with u filled, or -1 (anonymous disabled / bad credentials). */
int dash_auth_identify(struct dash *g, struct httpd_req *req, struct dash_user *u);
/* Handlers: POST /login and /api/login, GET /logout, GET /api/user, POST /api/admin/users,
 * PATCH /api/org/users/:id, POST /api/auth/keys. */
void dash_auth_login(struct httpd_req *req, struct httpd_resp *resp, void *ctx);
void dash_auth_logout(struct httpd_req *req, struct httpd_resp *resp, void *ctx);
void dash_auth_user(struct httpd_req *req, struct httpd_resp *resp, void *ctx);
void dash_auth_create_user(struct httpd_req *req, struct httpd_resp *resp, void *ctx);
void dash_auth_set_role(struct httpd_req *req, struct httpd_resp *resp, void *ctx);
void dash_auth_create_key(struct httpd_req *req, struct httpd_resp *resp, void *ctx);

/* dash_api.c and friends: the route table. */
extern const struct httpd_route dash_routes[];
extern const size_t dash_nroutes;
void dash_not_found(struct httpd_req *req, struct httpd_resp *resp, void *ctx);
/* {"message": msg} with status, Grafana's error envelope. */
void dash_error(struct httpd_resp *resp, int status, const char *msg);
/* 200 {"title", "message": "<kind> <title> deleted", "id"}: Grafana's answer to deleting a
 * dashboard or a folder. */
void dash_deleted(struct httpd_req *req, struct httpd_resp *resp, const char *kind,
                  const char *title, int64_t id);
/*
 * A request's JSON body, unpacked with fmt and what follows (json_unpack's format; NULL: any
 * JSON): NULL, with 400 and msg ("bad request data" when NULL) answered, when it is not.
 * New reference.
 */
json_t *dash_body(struct httpd_req *req, struct httpd_resp *resp, const char *msg, const char *fmt,
                  ...);
/* Authenticate and check the role; on failure answers 401/403 and returns -1. */
int dash_require(struct dash *g, struct httpd_req *req, struct httpd_resp *resp,
                 enum dash_role role, struct dash_user *u);

/* Dashboards (dash_dashboards.c), shared with provisioning. */
enum dash_save_result {
    DASH_SAVE_OK,
    DASH_SAVE_VERSION_MISMATCH,
    DASH_SAVE_NAME_EXISTS,
    DASH_SAVE_UID_EXISTS,
    DASH_SAVE_PROVISIONED,
    DASH_SAVE_NOT_FOUND_FOLDER,
    DASH_SAVE_BAD,
    DASH_SAVE_DB_ERROR
};
struct dash_save {
    json_t *dashboard; /* the model; borrowed */
    int64_t folder_id;
    const char *folder_uid;
    const char *message;
    int overwrite;
    int64_t user_id;
    const char *provisioner;   /* provider name when provisioning */
    int allow_ui_updates;      /* provisioning only */
    const char *external_path; /* provisioning: the file */
    /* out */
    int64_t id;
    char uid[64];
    char slug[256];
    int version;
};
enum dash_save_result dash_dashboard_save(struct dash *g, struct dash_save *s);
void dash_slugify(const char *title, char *out, size_t n);
int dash_folder_ensure(struct dash *g, const char *title, const char *uid, int64_t *id);

/* Handlers (dash_api_dash.c, dash_api_ds.c, dash_api.c). */
#define DASH_HANDLER(name) void name(struct httpd_req *req, struct httpd_resp *resp, void *ctx)
DASH_HANDLER(dash_api_save);
DASH_HANDLER(dash_api_get);
DASH_HANDLER(dash_api_delete);
DASH_HANDLER(dash_api_versions);
DASH_HANDLER(dash_api_import);
DASH_HANDLER(dash_api_search);
DASH_HANDLER(dash_api_ds_list);
DASH_HANDLER(dash_api_ds_get);
DASH_HANDLER(dash_api_ds_create);
DASH_HANDLER(dash_api_ds_update);
DASH_HANDLER(dash_api_ds_delete);
DASH_HANDLER(dash_api_ds_query);
DASH_HANDLER(dash_api_ds_proxy);

/* Datasources (dash_api_ds.c): by uid or name ("" or NULL: the default); NULL when none. */
json_t *dash_ds_by_uid(struct dash *g, const char *uid_or_name);
json_t *dash_ds_list(struct dash *g);
/* Insert (id 0) or update a datasource from Grafana's JSON; 0, or an HTTP status and msg. */
int dash_ds_upsert(struct dash *g, json_t *b, int64_t id, int read_only, const char **msg);

/* dash_query.c */
/* Runs a /api/ds/query body; returns the response JSON and sets *status. */
json_t *dash_query_run(struct dash *g, json_t *body, int *status);

/* dash_prov.c: datasources and dashboards at start; dashboards again every
 * updateIntervalSeconds from dash_prov_watch() on. */
int dash_prov_load(struct dash *g, struct diag *d);
int dash_prov_dashboards(struct dash *g, struct diag *d);
void dash_prov_watch(struct dash *g);
/* Stop the re-reading thread (before the configuration is released). */
void dash_prov_unwatch(struct dash *g);

/* dash_ui.c */
void dash_ui_serve(struct dash *g, struct httpd_req *req, struct httpd_resp *resp);

#endif
