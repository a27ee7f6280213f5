/*
 * relabel: Prometheus 2.42's relabeling (model/relabel), for target labels
 * (relabel_configs), scraped series (metric_relabel_configs) and remote-write
 * (write_relabel_configs). A rule reads the values of source_labels joined by
 * separator, matches regex (anchored, RE2 syntax) and acts:
 *
 *   replace    target_label (after $-expansion) := replacement expanded with the
 *              match's groups; an empty result deletes target_label
 *   keep/drop  the set survives only if the value matches / does not match
 *   keepequal/dropequal  the value equals / differs from target_label's value
 *   hashmod    target_label := md5(value)'s last 8 bytes (big-endian) % modulus
 *   labelmap   every label whose name matches is copied to the expanded name
 *   labeldrop/labelkeep  labels whose names match are dropped / kept
 *   lowercase/uppercase  target_label := the value in lower / upper case
 *
 * Defaults as Prometheus: separator ";", regex "(.*)", replacement "$1",
 * action replace. Expansion is Go's regexp.Expand: $1, ${1}, $name, ${name},
 * $$ for a dollar; unknown or unmatched groups expand to "".
 */
#ifndef CAIRN_RELABEL_H
#define CAIRN_RELABEL_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/diag.h"
#include "metrics/labels.h"

enum relabel_action {
    RELABEL_REPLACE,
    RELABEL_KEEP,
    RELABEL_DROP,
    RELABEL_KEEPEQUAL,
    RELABEL_DROPEQUAL,
    RELABEL_HASHMOD,
    RELABEL_LABELMAP,
    RELABEL_LABELDROP,
    RELABEL_LABELKEEP,
    RELABEL_LOWERCASE,
    RELABEL_UPPERCASE,
};

struct rx;
struct rx_span;

struct relabel_rule {
    const char **source_labels; /* NULL when not given (labeldrop/labelkeep check this) */
    size_t nsource;
    const char *separator;    /* default ";" */
    const char *regex;        /* default "(.*)" */
    const char *target_label; /* default "" */
    const char *replacement;  /* default "$1" */
    uint64_t modulus;
    const char *action; /* as written, default "replace" */
    struct srcloc loc;  /* of the rule, for messages */
    /* Filled by relabel_rule_compile(). */
    enum relabel_action act;
    struct rx *rx;
};

/* Fill r with Prometheus's defaults (strings are static). */
void relabel_rule_defaults(struct relabel_rule *r);
/*
 * Validate as Prometheus's Config.UnmarshalYAML and compile the regex.
 * Returns 0, or -1 with Prometheus's message (at r->loc) in d.
 */
int relabel_rule_compile(struct relabel_rule *r, struct diag *d);
void relabel_rule_release(struct relabel_rule *r);

/*
 * Apply rules in order to the set in b. Returns 1 to keep, 0 when a rule
 * dropped it. New strings are allocated in a.
 */
int relabel_process(struct labels_builder *b, const struct relabel_rule *rules, size_t n,
                    struct arena *a);

/* Go's Regexp.Expand of tmpl with the groups of a match of rx on subject. */
void relabel_expand(struct strbuf *out, const char *tmpl, const struct rx *rx, const char *subject,
                    const struct rx_span *g, int ngroups);

/* The value of name in the builder, or "" when it is not set. */
const char *relabel_builder_get(const struct labels_builder *b, const char *name);

#endif
