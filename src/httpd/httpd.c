/*
 * httpd server lifecycle and dispatch on libmicrohttpd (GNU libmicrohttpd
 * manual, "microhttpd.h" of 0.9.75): one thread per connection, so a
 * handler may block (a query, an upstream call) without stalling others;
 * the connection limit bounds the threads.
 *
 * Per request: the URI log callback allocates the request (it is the only
 * place the raw target, query included, is visible), the access handler is
 * called once for the headers, then once per body chunk, then once more to
 * dispatch, and the completion callback counts and frees it.
 */
#include "httpd/httpd_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "core/xmalloc.h"

#define HTTPD_DEFAULT_MAX_BODY (10u << 20)
/* Bodies announced beyond this many times the cap are refused before they
 * are read (the connection is closed); smaller excess is drained so the
 * client reads a clean 413 instead of a reset. */
#define HTTPD_DRAIN_FACTOR 4

int httpd_addr_parse(const char *s, struct arena *a, const char **host, unsigned *port,
                     struct diag *d)
{
    const char *colon, *h = s, *he;
    char *end;
    unsigned long p;

    if (!s || !*s)
        goto bad;
    if (s[0] == '[') {
        he = strchr(s, ']');
        if (!he || he[1] != ':')
            goto bad;
        h = s + 1;
        colon = he + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon || memchr(s, ':', (size_t)(colon - s)))
            goto bad;
        he = colon;
    }
    if (colon[1] == '\0')
        goto bad;
    errno = 0;
    p = strtoul(colon + 1, &end, 10);
    if (*end || errno || p > 65535 || colon[1] == '-' || colon[1] == '+')
        goto bad;
    *host = he > h ? arena_strndup(a, h, (size_t)(he - h)) : NULL;
    *port = (unsigned)p;
    return 0;
bad:
    diag_error(d, NULL, "invalid listen address \"%s\": expected host:port, :port or [ipv6]:port",
               s ? s : "");
    return -1;
}

static int bind_listen(const char *host, unsigned port, struct diag *d)
{
    struct addrinfo hints, *res = NULL, *ai;
    char portstr[16];
    int fd = -1, rc, err = 0;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    snprintf(portstr, sizeof(portstr), "%u", port);
    rc = getaddrinfo(host, portstr, &hints, &res);
    if (rc != 0) {
        diag_error(d, NULL, "listen address %s:%u: %s", host ? host : "", port, gai_strerror(rc));
        return -1;
    }
    for (ai = res; ai; ai = ai->ai_next) {
        int one = 1, zero = 0;
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (ai->ai_family == AF_INET6)
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 128) == 0)
            break;
        err = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        diag_error(d, NULL, "cannot listen on %s:%u: %s", host ? host : "", port, strerror(err));
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

struct httpd *httpd_new(const struct httpd_options *opts, struct diag *d)
{
    struct httpd *h = xcalloc(1, sizeof(*h));
    struct arena a;
    const char *host = NULL;
    unsigned port = 0;
    size_t plen;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);

    arena_init(&a);
    h->opt = *opts;
    h->fd = -1;
    if (!h->opt.max_body)
        h->opt.max_body = HTTPD_DEFAULT_MAX_BODY;
    if (!h->opt.idle_timeout_s)
        h->opt.idle_timeout_s = 60;
    if (!h->opt.request_timeout_ms)
        h->opt.request_timeout_ms = 120000;
    if (!h->opt.max_connections)
        h->opt.max_connections = 128;
    if (!h->opt.server_name)
        h->opt.server_name = "httpd";
    pthread_mutex_init(&h->lock, NULL);
    pthread_cond_init(&h->idle, NULL);

    /* "/grafana/" and "grafana" both mean "/grafana". */
    {
        const char *p = opts->prefix ? opts->prefix : "";
        while (*p == '/')
            p++;
        plen = strlen(p);
        while (plen && p[plen - 1] == '/')
            plen--;
        h->prefix = xmalloc(plen + 2);
        if (plen) {
            h->prefix[0] = '/';
            memcpy(h->prefix + 1, p, plen);
            h->prefix[plen + 1] = '\0';
        } else {
            h->prefix[0] = '\0';
        }
    }
    h->listen = xstrdup(opts->listen ? opts->listen : "");
    h->opt.listen = h->listen;
    h->opt.prefix = h->prefix;
    if (httpd_addr_parse(h->listen, &a, &host, &port, d) < 0)
        goto fail;
    h->fd = bind_listen(host, port, d);
    if (h->fd < 0)
        goto fail;
    if (getsockname(h->fd, (struct sockaddr *)&ss, &sl) == 0)
        h->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                 : ((struct sockaddr_in *)&ss)->sin_port);
    arena_release(&a);
    return h;
fail:
    arena_release(&a);
    httpd_free(h);
    return NULL;
}

unsigned httpd_port(const struct httpd *h)
{
    return h->port;
}

static void *uri_log(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct httpd_req *req = xmalloc(sizeof(*req));
    (void)conn;
    httpd_req_setup(req, cls, uri);
    return req;
}

static void remote_text(struct httpd_req *req)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    socklen_t sl =
        sa && sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    req->remote[0] = '\0';
    if (sa)
        getnameinfo(sa, sl, req->remote, sizeof(req->remote), NULL, 0, NI_NUMERICHOST);
    /* An IPv4 client of a dual-stack socket reads as itself. */
    if (strncmp(req->remote, "::ffff:", 7) == 0)
        memmove(req->remote, req->remote + 7, strlen(req->remote + 7) + 1);
}

static enum MHD_Result queue(struct httpd_req *req)
{
    struct httpd_resp *r = &req->resp;
    struct MHD_Response *mr;
    enum MHD_Result ok;

    if (r->static_data) {
        mr = MHD_create_response_from_buffer(r->static_len, (void *)r->static_data,
                                             MHD_RESPMEM_PERSISTENT);
    } else if (r->body.len) {
        size_t len;
        char *buf = strbuf_detach(&r->body, &len);
        mr = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
    } else {
        mr = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    }
    if (!mr)
        return MHD_NO;
    for (size_t i = 0; i < r->nheaders; i++)
        MHD_add_response_header(mr, r->headers[i].name, r->headers[i].value);
    req->dispatched = 1;
    ok = MHD_queue_response(req->conn, (unsigned)r->status, mr);
    MHD_destroy_response(mr);
    return ok;
}

static void plain(struct httpd_req *req, int status, const char *msg)
{
    httpd_resp_text(&req->resp, status, "text/plain; charset=utf-8", "%s\n", msg);
}

static void dispatch(struct httpd *h, struct httpd_req *req)
{
    const char *path = req->path;
    size_t plen = strlen(h->prefix);
    int path_matched = 0;
    struct strbuf allow = STRBUF_INIT;

    if (plen) {
        if (strncmp(path, h->prefix, plen) == 0 && (path[plen] == '/' || path[plen] == '\0')) {
            path = path[plen] ? path + plen : "/";
            req->path = path;
        } else if (!h->opt.prefix_optional) {
            path = NULL; /* outside the prefix: only the fallback sees it */
        }
    }
    for (size_t i = 0; path && i < h->opt.nroutes; i++) {
        const struct httpd_route *rt = &h->opt.routes[i];
        struct httpd_kv params[HTTPD_MAX_PARAMS];
        int n = httpd_route_match(rt->pattern, path, &req->arena, params, HTTPD_MAX_PARAMS);
        if (n < 0)
            continue;
        path_matched = 1;
        if (strcmp(rt->method, "*") != 0 && strcmp(rt->method, req->method) != 0 &&
            !(strcmp(req->method, "HEAD") == 0 && strcmp(rt->method, "GET") == 0)) {
            strbuf_addf(&allow, "%s%s", allow.len ? ", " : "", rt->method);
            continue;
        }
        memcpy(req->params, params, (size_t)n * sizeof(params[0]));
        req->nparams = (size_t)n;
        req->route = (long)i;
        req->pattern = rt->pattern;
        rt->fn(req, &req->resp, h->opt.ctx);
        goto done;
    }
    if (path_matched) {
        httpd_resp_header(&req->resp, "Allow", allow.buf);
        plain(req, 405, "method not allowed");
    } else if (h->opt.not_found) {
        h->opt.not_found(req, &req->resp, h->opt.ctx);
    } else {
        plain(req, 404, "404 page not found");
    }
done:
    strbuf_release(&allow);
}

static enum MHD_Result access_handler(void *cls, struct MHD_Connection *conn, const char *url,
                                      const char *method, const char *version,
                                      const char *upload_data, size_t *upload_data_size,
                                      void **con_cls)
{
    struct httpd *h = cls;
    struct httpd_req *req = *con_cls;
    (void)url;
    (void)version;

    if (!req) /* no URI log call (should not happen): refuse rather than guess */
        return MHD_NO;
    if (!req->conn) {
        const char *cl;
        req->conn = conn;
        req->method = arena_strdup(&req->arena, method);
        remote_text(req);
        pthread_mutex_lock(&h->lock);
        h->inflight++;
        req->counted = 1;
        pthread_mutex_unlock(&h->lock);
        cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > (unsigned long long)h->opt.max_body) {
            req->too_large = 1;
            if (strtoull(cl, NULL, 10) / HTTPD_DRAIN_FACTOR > h->opt.max_body) {
                plain(req, 413, "request body too large");
                return queue(req);
            }
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!req->too_large && strbuf_add(&req->body, upload_data, *upload_data_size) < 0) {
            req->too_large = 1;
            strbuf_release(&req->body);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (req->dispatched)
        return MHD_YES;
    if (req->too_large) {
        plain(req, 413, "request body too large");
        return queue(req);
    }
    httpd_req_parse_form(req, httpd_req_header(req, MHD_HTTP_HEADER_CONTENT_TYPE));
    dispatch(h, req);
    return queue(req);
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    struct httpd *h = cls;
    struct httpd_req *req = *con_cls;
    (void)conn;
    (void)toe;
    if (!req)
        return;
    if (req->dispatched)
        httpd_stats_add(h, req->route, req->resp.status,
                        (double)(httpd_now_ms() - req->start_ms) / 1000.0);
    if (req->counted) {
        pthread_mutex_lock(&h->lock);
        h->inflight--;
        if (!h->inflight)
            pthread_cond_broadcast(&h->idle);
        pthread_mutex_unlock(&h->lock);
    }
    httpd_req_release(req);
    free(req);
    *con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    struct httpd *h = cls;
    char buf[512];
    vsnprintf(buf, sizeof(buf), fmt, ap);
    buf[strcspn(buf, "\n")] = '\0';
    log_debug("%s: libmicrohttpd: %s", h->opt.server_name, buf);
}

int httpd_start(struct httpd *h, struct diag *d)
{
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ITC |
                     MHD_USE_ERROR_LOG;
    h->mhd = MHD_start_daemon(
        flags, 0, NULL, NULL, access_handler, h, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)h->fd,
        MHD_OPTION_URI_LOG_CALLBACK, uri_log, h, MHD_OPTION_NOTIFY_COMPLETED, completed, h,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)h->opt.idle_timeout_s, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)h->opt.max_connections, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, h, MHD_OPTION_END);
    if (!h->mhd) {
        diag_error(d, NULL, "cannot start the HTTP server on %s", h->listen);
        return -1;
    }
    h->fd = -1; /* libmicrohttpd owns it now */
    return 0;
}

void httpd_stop(struct httpd *h, unsigned grace_ms)
{
    struct timespec until;
    MHD_socket fd;

    if (!h || !h->mhd || h->stopped)
        return;
    h->stopped = 1;
    fd = MHD_quiesce_daemon(h->mhd);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += grace_ms / 1000;
    until.tv_nsec += (long)(grace_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&h->lock);
    while (h->inflight) {
        if (pthread_cond_timedwait(&h->idle, &h->lock, &until) == ETIMEDOUT)
            break;
    }
    pthread_mutex_unlock(&h->lock);
    MHD_stop_daemon(h->mhd);
    h->mhd = NULL;
}

void httpd_free(struct httpd *h)
{
    if (!h)
        return;
    if (h->mhd)
        httpd_stop(h, 0);
    if (h->fd >= 0)
        close(h->fd);
    pthread_mutex_destroy(&h->lock);
    pthread_cond_destroy(&h->idle);
    free(h->stats);
    free(h->prefix);
    free(h->listen);
    free(h);
}
