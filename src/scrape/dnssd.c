/*
 * DNS-SD lookups with glibc's resolver: res_nquery for the answer, ns_parserr
 * to walk its records (RFC 1035 message format; SRV RDATA per RFC 2782:
 * priority, weight, port, target).
 */
#include "scrape/dnssd.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Point the resolver state at host:port (IPv4 literal) instead of resolv.conf's servers. */
static int set_server(res_state st, const char *server, char *err, size_t errlen)
{
    char host[64];
    const char *colon = strrchr(server, ':');
    unsigned port = 53;
    struct in_addr ia;

    if (colon) {
        size_t len = (size_t)(colon - server);
        if (len >= sizeof(host))
            goto bad;
        memcpy(host, server, len);
        host[len] = 0;
        port = (unsigned)atoi(colon + 1);
    } else {
        snprintf(host, sizeof(host), "%s", server);
    }
    if (inet_pton(AF_INET, host, &ia) != 1 || port == 0 || port > 65535)
        goto bad;
    st->nscount = 1;
    st->nsaddr_list[0].sin_family = AF_INET;
    st->nsaddr_list[0].sin_addr = ia;
    st->nsaddr_list[0].sin_port = htons((uint16_t)port);
    return 0;
bad:
    snprintf(err, errlen, "DNS server \"%s\" is not an IPv4 address with an optional port", server);
    return -1;
}

static struct labels make_target(struct arena *a, const char *addr, const char *name,
                                 const char *srv_target, const char *srv_port)
{
    struct label *v = arena_alloc(a, 4 * sizeof(*v));
    size_t n = 0;

    /* Sorted by name. */
    v[n++] = (struct label){"__address__", arena_strdup(a, addr)};
    v[n++] = (struct label){"__meta_dns_name", arena_strdup(a, name)};
    if (srv_target) {
        v[n++] = (struct label){"__meta_dns_srv_record_port", arena_strdup(a, srv_port)};
        v[n++] = (struct label){"__meta_dns_srv_record_target", arena_strdup(a, srv_target)};
    }
    return (struct labels){v, n};
}

int dnssd_lookup(const char *name, enum promcfg_dns_type type, unsigned port, const char *server,
                 struct arena *a, struct labels **out, size_t *n, char *err, size_t errlen)
{
    struct __res_state st;
    unsigned char ans[8192];
    ns_msg msg;
    int len, qtype, rc = -1;
    size_t cap;

    *out = NULL;
    *n = 0;
    memset(&st, 0, sizeof(st));
    if (res_ninit(&st) != 0) {
        snprintf(err, errlen, "res_ninit failed");
        return -1;
    }
    st.retrans = 1;
    st.retry = 2;
    if (server && *server && set_server(&st, server, err, errlen) < 0)
        goto out;
    qtype = type == PROMCFG_DNS_SRV ? ns_t_srv : type == PROMCFG_DNS_AAAA ? ns_t_aaaa : ns_t_a;
    len = res_nquery(&st, name, ns_c_in, qtype, ans, sizeof(ans));
    if (len < 0) {
        /* NXDOMAIN and NODATA mean "no targets", anything else is a failure to retry. */
        if (st.res_h_errno == HOST_NOT_FOUND || st.res_h_errno == NO_DATA) {
            rc = 0;
        } else {
            snprintf(err, errlen, "lookup %s: %s", name, hstrerror(st.res_h_errno));
        }
        goto out;
    }
    if (ns_initparse(ans, len, &msg) < 0) {
        snprintf(err, errlen, "lookup %s: malformed DNS answer", name);
        goto out;
    }
    cap = ns_msg_count(msg, ns_s_an);
    *out = arena_alloc(a, (cap + 1) * sizeof(**out));
    for (int i = 0; i < (int)cap; i++) {
        ns_rr rr;
        char addr[NS_MAXDNAME + 16], host[NS_MAXDNAME], pbuf[8];
        if (ns_parserr(&msg, ns_s_an, i, &rr) < 0)
            continue;
        if ((int)ns_rr_type(rr) != qtype)
            continue; /* CNAMEs on the way */
        if (qtype == ns_t_a && ns_rr_rdlen(rr) == 4) {
            char ip[INET_ADDRSTRLEN];
            inet_ntop(AF_INET, ns_rr_rdata(rr), ip, sizeof(ip));
            snprintf(addr, sizeof(addr), "%s:%u", ip, port);
            (*out)[(*n)++] = make_target(a, addr, name, NULL, NULL);
        } else if (qtype == ns_t_aaaa && ns_rr_rdlen(rr) == 16) {
            char ip[INET6_ADDRSTRLEN];
            inet_ntop(AF_INET6, ns_rr_rdata(rr), ip, sizeof(ip));
            snprintf(addr, sizeof(addr), "[%s]:%u", ip, port);
            (*out)[(*n)++] = make_target(a, addr, name, NULL, NULL);
        } else if (qtype == ns_t_srv && ns_rr_rdlen(rr) > 6) {
            const unsigned char *rd = ns_rr_rdata(rr);
            unsigned sport = (unsigned)(rd[4] << 8 | rd[5]);
            size_t hl;
            if (dn_expand(ns_msg_base(msg), ns_msg_end(msg), rd + 6, host, sizeof(host)) < 0)
                continue;
            hl = strlen(host);
            /* Prometheus keeps the record's target with its final dot in the meta label. */
            snprintf(pbuf, sizeof(pbuf), "%u", sport);
            snprintf(addr, sizeof(addr), "%s:%u", host, sport);
            char *dotted = arena_printf(a, "%s.", host);
            (*out)[(*n)++] = make_target(a, addr, name, hl ? dotted : ".", pbuf);
        }
    }
    rc = 0;
out:
    res_nclose(&st);
    return rc;
}
