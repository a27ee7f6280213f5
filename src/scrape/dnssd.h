/*
 * dnssd: one DNS-SD lookup as Prometheus 2.42's discovery/dns: an A (or
 * AAAA) query gives one target per address at the configured port, an SRV
 * query one target per record at its target and port. Each target is a label
 * set with __address__, __meta_dns_name and, for SRV,
 * __meta_dns_srv_record_target and __meta_dns_srv_record_port.
 *
 * Queries go through glibc's resolver (res_ninit/res_nquery). The server is
 * the machine's (/etc/resolv.conf) unless a server "host:port" is given: the
 * cairn extension that lets tests point discovery at a DNS server on
 * loopback (cairn-scrape --discovery.dns-server, or CAIRN_DNS_SERVER).
 */
#ifndef CAIRN_DNSSD_H
#define CAIRN_DNSSD_H

#include <stddef.h>

#include "core/arena.h"
#include "metrics/labels.h"
#include "scrape/promcfg.h"

/*
 * Look up name. Returns 0 with the targets in *out (*n of them, in a; none
 * for NXDOMAIN or no records), or -1 with the reason in err (a temporary
 * failure: the caller keeps the previous targets).
 */
int dnssd_lookup(const char *name, enum promcfg_dns_type type, unsigned port, const char *server,
                 struct arena *a, struct labels **out, size_t *n, char *err, size_t errlen);

#endif
