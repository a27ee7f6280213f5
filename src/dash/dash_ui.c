/*
 * The web UI's files, served by the daemon from conf.ui_dir: /public/...
 * as they are, every other non-API path as index.html (the UI routes in the
 * browser), with "[[.AppSubUrl]]" replaced by the sub-path so the page works
 * under /grafana/ as Grafana's own index template does.
 */
#include "dash/dash.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"

static const struct {
    const char *ext, *type;
} types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
};

static const char *type_of(const char *path)
{
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    return "application/octet-stream";
}

static int read_ui_file(struct dash *g, const char *rel, struct strbuf *out)
{
    char *path;
    int rc;
    if (strstr(rel, "..") || strchr(rel, '\\'))
        return -1;
    path = xmalloc(strlen(g->conf.ui_dir) + strlen(rel) + 2);
    sprintf(path, "%s/%s", g->conf.ui_dir, rel);
    strbuf_init(out, 16u << 20);
    rc = strbuf_read_file(out, path);
    free(path);
    return rc;
}

void dash_ui_serve(struct dash *g, struct httpd_req *req, struct httpd_resp *resp)
{
    const char *p = httpd_req_path(req);
    struct strbuf f;
    if (strcmp(httpd_req_method(req), "GET") != 0 && strcmp(httpd_req_method(req), "HEAD") != 0) {
        dash_error(resp, 404, "Not found");
        return;
    }
    if (strncmp(p, "/public/", 8) == 0) {
        if (read_ui_file(g, p + 1, &f) < 0) {
            strbuf_release(&f);
            httpd_resp_text(resp, 404, "text/plain; charset=utf-8", "404 not found\n");
            return;
        }
        httpd_resp_header(resp, "Content-Type", type_of(p));
        httpd_resp_header(resp, "Cache-Control", "max-age=3600");
        strbuf_add(httpd_resp_body(resp), f.buf, f.len);
        strbuf_release(&f);
        return;
    }
    if (read_ui_file(g, "index.html", &f) < 0) {
        strbuf_release(&f);
        httpd_resp_text(resp, 500, "text/plain; charset=utf-8",
                        "the web UI is not installed in %s\n", g->conf.ui_dir);
        return;
    }
    {
        struct strbuf *b = httpd_resp_body(resp);
        const char *s = f.buf, *hit;
        while ((hit = strstr(s, "[[.AppSubUrl]]"))) {
            strbuf_add(b, s, (size_t)(hit - s));
            strbuf_adds(b, g->conf.sub_path);
            s = hit + 14;
        }
        strbuf_adds(b, s);
    }
    strbuf_release(&f);
    httpd_resp_header(resp, "Content-Type", "text/html; charset=utf-8");
    httpd_resp_header(resp, "Cache-Control", "no-store");
    httpd_resp_header(resp, "X-Frame-Options", "deny");
}
