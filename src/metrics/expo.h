/*
 * expo: streaming pull parsers for the two exposition formats a scrape target
 * may answer with, in the shape of Prometheus's pkg/textparse:
 *
 *   - the Prometheus text format 0.0.4 ("Exposition formats", Prometheus
 *     documentation; Content-Type text/plain; version=0.0.4), lenient where
 *     Prometheus 2.42's promparse is: blanks and tabs between tokens, a
 *     trailing comma in a label set, a missing final newline, any "# " comment,
 *     untyped families, metadata anywhere;
 *   - OpenMetrics 1.0 ("OpenMetrics, a cloud-native, highly scalable metrics
 *     protocol", the OpenMetrics 1.0 specification; Content-Type
 *     application/openmetrics-text; version=1.0.0), strict: single spaces,
 *     "# EOF" last, "# UNIT", exemplars, _created, timestamps in seconds, and
 *     the spec's rules on families (grouping, clashing names, suffixes per
 *     type, counter _total, histogram and summary rules, canonical le and
 *     quantile values), checked as the stream goes (see expo_om.c).
 *
 * The parser walks a byte buffer the caller keeps alive; expo_next() returns
 * one entry per line (blank lines in text are skipped). After an EXPO_SERIES
 * entry the accessors give the metric name, labels, value, optional
 * timestamp (milliseconds; OpenMetrics seconds are converted), optional
 * exemplar, and the family's type. Strings are unescaped and NUL-terminated
 * and live in the parser's scratch memory: they are valid until the next
 * expo_next() or expo_parser_release(); copy what must outlive it
 * (labels_dup, symtab_intern).
 *
 * Errors: expo_next() returns EXPO_ERROR once and then keeps returning it;
 * expo_error() says "line:col: what was expected" (1-based, bytes), and
 * expo_error_report() adds the same to a struct diag with a file name.
 */
#ifndef CAIRN_EXPO_H
#define CAIRN_EXPO_H

#include <stddef.h>
#include <stdint.h>

#include "core/diag.h"
#include "metrics/labels.h"

enum expo_format {
    EXPO_TEXT,       /* text/plain; version=0.0.4 */
    EXPO_OPENMETRICS /* application/openmetrics-text; version=1.0.0 (and 0.0.1) */
};

enum expo_entry {
    EXPO_EOF,     /* end of input (text) or "# EOF" (OpenMetrics) */
    EXPO_SERIES,  /* a sample line */
    EXPO_TYPE,    /* # TYPE name type */
    EXPO_HELP,    /* # HELP name text */
    EXPO_UNIT,    /* # UNIT name unit (OpenMetrics) */
    EXPO_COMMENT, /* any other "#" line (text format only) */
    EXPO_ERROR
};

/* Metric family types; "untyped" (text) and "unknown" (OpenMetrics) are one. */
enum expo_mtype {
    EXPO_UNKNOWN,
    EXPO_COUNTER,
    EXPO_GAUGE,
    EXPO_HISTOGRAM,
    EXPO_GAUGEHISTOGRAM,
    EXPO_SUMMARY,
    EXPO_INFO,
    EXPO_STATESET
};

/* "counter", "gauge", ...; "unknown" for EXPO_UNKNOWN. */
const char *expo_mtype_name(enum expo_mtype t);

struct expo_exemplar {
    struct labels labels; /* the exemplar's own labels, sorted */
    double value;
    int has_ts;
    int64_t ts_ms;
};

/* Longest line accepted (Prometheus has no limit; this one bounds scratch memory). */
#define EXPO_MAX_LINE (1u << 20)

/* A label's name and value as offsets into the parser's scratch memory. */
struct expo_pair {
    size_t name, value;
};

struct expo_omstate;

/* The parser; fields are private (use the accessors). */
struct expo_parser {
    const char *buf, *end, *pos; /* input; pos: where the next entry starts */
    enum expo_format format;
    int strict;     /* apply every OpenMetrics rule (expo_parser_set_strict) */
    unsigned line;  /* line of pos */
    const char *ls; /* start of the line holding pos */
    unsigned entry_line;
    enum expo_entry state;
    int done;             /* EXPO_EOF was returned */
    char *last_type_name; /* family of the last TYPE line, for expo_type() of samples */
    enum expo_mtype last_type;
    char *scratch; /* unescaped, NUL-terminated strings of the current entry */
    size_t scratch_len, scratch_alloc;
    struct expo_pair *pairs, *epairs; /* series and exemplar labels */
    size_t npairs, apairs, nepairs, aepairs;
    struct labels_builder lb, eb;
    struct labels labels;
    size_t name_off; /* metric or family name of the current entry, in scratch */
    size_t name_len;
    const char *text; /* HELP text, UNIT, TYPE word or comment */
    size_t text_len;
    enum expo_mtype type; /* of the current family */
    double value;
    int has_ts;
    int64_t ts_ms;
    double ts_raw; /* OpenMetrics timestamp as written, seconds */
    int has_ex;
    struct expo_exemplar ex;
    int created; /* the sample is a _created sample of its family */
    int lazy;    /* expo_parser_set_lazy */
    /* Lazy mode: the series text, and where its labels start when not parsed yet. */
    const char *series, *pending_labels;
    size_t series_len;
    unsigned pending_line; /* p->line and p->ls at the sample, for errors */
    const char *pending_ls;
    char err[256];
    unsigned err_line, err_col;
    struct expo_omstate *om; /* strict OpenMetrics family state (expo_omcheck.c) */
};

void expo_parser_init(struct expo_parser *p, const char *buf, size_t len, enum expo_format format);
void expo_parser_release(struct expo_parser *p);
/*
 * Strict OpenMetrics: besides the syntax, every rule of the specification on
 * families and values (see expo_omcheck.c). Off by default, so that a scrape
 * accepts what Prometheus 2.42 accepts; expo_check() turns it on. No effect
 * on the text format.
 */
void expo_parser_set_strict(struct expo_parser *p, int strict);

/*
 * Lazy labels (text format; the OpenMetrics parser ignores it): a sample's
 * label set is checked for its end only, and parsed by expo_series_labels()
 * when the caller asks, so a caller that recognises the series text
 * (expo_series) from an earlier scrape skips the work, as Prometheus's scrape
 * cache does. The answers do not change: a label set that does not parse
 * fails in expo_series_labels with the error and position expo_next would
 * have given, and anything unusual in the line (a raw newline in a label
 * value, a bad value) is parsed eagerly.
 */
void expo_parser_set_lazy(struct expo_parser *p, int lazy);

enum expo_entry expo_next(struct expo_parser *p);

/* EXPO_SERIES: the metric name; EXPO_TYPE/HELP/UNIT: the family name. */
const char *expo_name(const struct expo_parser *p, size_t *len);
/*
 * EXPO_SERIES: the labels including __name__, sorted, unique (valid until
 * expo_next). In lazy mode, only after expo_series_labels().
 */
struct labels expo_labels(const struct expo_parser *p);
/*
 * EXPO_SERIES: the series as written, the metric name through the closing
 * '}' of its labels (no value, no timestamp): equal texts are equal series.
 */
const char *expo_series(const struct expo_parser *p, size_t *len);
/*
 * EXPO_SERIES in lazy mode: parse the labels if not done yet (then
 * expo_labels gives them). 0, or -1: the entry became EXPO_ERROR
 * (expo_error says where; expo_next keeps returning EXPO_ERROR).
 */
int expo_series_labels(struct expo_parser *p);
double expo_value(const struct expo_parser *p);
/* 1 and *ms when the sample has a timestamp, else 0. */
int expo_timestamp(const struct expo_parser *p, int64_t *ms);
/* EXPO_SERIES: the type of the family the sample belongs to; EXPO_TYPE: the type declared. */
enum expo_mtype expo_type(const struct expo_parser *p);
/* EXPO_HELP: the help text (unescaped); EXPO_UNIT: the unit; EXPO_COMMENT: the text after '#'. */
const char *expo_text(const struct expo_parser *p, size_t *len);
/* 1 and *ex when the sample carries an exemplar (OpenMetrics), else 0. */
int expo_exemplar(const struct expo_parser *p, struct expo_exemplar *ex);
/*
 * 1 and *ms when the sample is the _created sample of a counter, histogram,
 * summary or gaugehistogram (OpenMetrics): its value, seconds, as
 * milliseconds. The sample is still returned as a series, as Prometheus 2.42
 * ingests it.
 */
int expo_created(const struct expo_parser *p, int64_t *ms);
/* 1-based line of the current entry. */
unsigned expo_line(const struct expo_parser *p);

/* After EXPO_ERROR: "line:col: what was expected". */
const char *expo_error(const struct expo_parser *p);
/* After EXPO_ERROR: add the error to d at file:line:col (file may be NULL: "<input>"). */
void expo_error_report(const struct expo_parser *p, struct diag *d, const char *file);

/*
 * Parse a whole exposition and apply every validation a scrape applies on top
 * of the parser (a series must have a metric name and no duplicate label
 * names; for text, what Prometheus 2.42 rejects). Returns 0, or -1 with the
 * located error in d. Used by cairn-scrape --check-metrics.
 */
int expo_check(const char *buf, size_t len, enum expo_format format, struct diag *d,
               const char *file);

/* The Accept header Prometheus 2.42 sends with a scrape. */
#define EXPO_ACCEPT_HEADER                                                                   \
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;" \
    "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"

/*
 * The parser for a response's Content-Type, as Prometheus 2.42's textparse.New:
 * media type application/openmetrics-text (any version, any case, any
 * parameters) is OpenMetrics; anything else, a missing header included, is text.
 */
enum expo_format expo_format_from_content_type(const char *content_type);
/* The Content-Type a server writes for the format. */
const char *expo_content_type(enum expo_format format);

#endif
