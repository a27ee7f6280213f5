/*
 * parsesel: the parts of a PromQL expression that select series, as Prometheus 2.42's grammar
 * (promql/parser/generated_parser.y) and parse.go's checks have them: vector selectors with
 * their matchers (RE2 regexes, Go's error texts), and the modifiers after an expression:
 * offset, @ <time>, @ start() and @ end(), a range [5m], a subquery [30m:1m].
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "promql/parse_impl.h"

/* RE2's error text in Go regexp/syntax's words: "missing closing ): `^(?:()$`". */
static const char *go_regexp_error(struct parser *p, const char *msg)
{
    static const char *const map[][2] = {
        {"missing )", "missing closing )"},
        {"missing ]", "missing closing ]"},
        {"unexpected )", "unexpected )"},
        {"trailing \\", "trailing backslash at end of expression"},
        {"invalid escape sequence", "invalid escape sequence"},
        {"invalid character class range", "invalid character class range"},
        {"invalid character class", "invalid character class"},
        {"invalid repetition size", "invalid repeat count"},
        {"bad repetition operator", "invalid nested repetition operator"},
        {"no argument for repetition operator", "missing argument to repetition operator"},
        {"invalid named capture group", "invalid named capture"},
        {"invalid perl operator", "invalid or unsupported Perl syntax"},
        {"invalid UTF-8", "invalid UTF-8"},
    };
    const char *pre = "error parsing regexp: ";
    const char *s = strstr(msg, pre);
    if (!s)
        return msg;
    s += strlen(pre);
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        size_t n = strlen(map[i][0]);
        if (!strncmp(s, map[i][0], n) && s[n] == ':' && s[n + 1] == ' ')
            return arena_printf(p->a, "error parsing regexp: %s: `%s`", map[i][1], s + n + 2);
    }
    return msg;
}

struct pq_node *parsesel_selector(struct parser *p, const struct pq_token *name)
{
    unsigned pos = name ? name->pos : parse_cur(p)->pos;
    struct pq_node *n = parse_node(p, N_VS, pos);
    n->str = name ? (char *)parse_tok_text(p, name) : "";
    struct matcher *ms = NULL;
    size_t nms = 0, alloc = 0;
    int ok = 0;
    if (parse_is(p, T_LBRACE)) {
        parse_next(p);
        for (;;) {
            if (parse_is(p, T_RBRACE))
                break;
            if (!parse_is_label_word(parse_cur(p))) {
                parse_unexpected(p, "label matching", "identifier or \"}\"");
                goto out;
            }
            const char *lname = parse_tok_text(p, parse_cur(p));
            unsigned lpos = parse_cur(p)->pos;
            parse_next(p);
            enum matcher_type mt;
            switch (parse_cur(p)->type) {
            case T_EQL:
                mt = MATCH_EQ;
                break;
            case T_NEQ:
                mt = MATCH_NE;
                break;
            case T_EQL_REGEX:
                mt = MATCH_RE;
                break;
            case T_NEQ_REGEX:
                mt = MATCH_NRE;
                break;
            default:
                parse_unexpected(p, "label matching", "label matching operator");
                goto out;
            }
            parse_next(p);
            if (!parse_is(p, T_STRING)) {
                parse_unexpected(p, "label matching", "string");
                goto out;
            }
            const struct pq_token *st = parse_cur(p);
            char *val = parse_unquote(p, st);
            if (!val)
                goto out;
            parse_next(p);
            if (nms == alloc) {
                alloc = alloc ? alloc * 2 : 4;
                ms = xrealloc(ms, (alloc + 1) * sizeof(*ms));
            }
            struct diag d;
            diag_init(&d);
            if (matcher_init(&ms[nms], mt, lname, val, &d) < 0) {
                parse_errat(p, lpos, "%s", go_regexp_error(p, diag_last(&d)));
                diag_release(&d);
                goto out;
            }
            diag_release(&d);
            nms++;
            if (parse_is(p, T_COMMA)) {
                parse_next(p);
                continue;
            }
            if (!parse_is(p, T_RBRACE)) {
                parse_unexpected(p, "label matching", "\",\" or \"}\"");
                goto out;
            }
        }
        n->end = parse_cur(p)->pos + 1;
        parse_next(p);
    } else {
        n->end = name->pos + name->len;
    }
    if (name) {
        for (size_t i = 0; i < nms; i++) {
            if (!strcmp(ms[i].name, LABELS_METRIC_NAME)) {
                parse_errat(p, pos, "metric name must not be set twice: \"%s\" or \"%s\"", n->str,
                            ms[i].value);
                goto out;
            }
        }
        if (nms == alloc) {
            alloc = alloc ? alloc * 2 : 1;
            ms = xrealloc(ms, alloc * sizeof(*ms));
        }
        struct diag d;
        diag_init(&d);
        matcher_init(&ms[nms++], MATCH_EQ, LABELS_METRIC_NAME, n->str, &d);
        diag_release(&d);
    }
    int nonempty = 0;
    for (size_t i = 0; i < nms; i++)
        if (!matcher_matches_empty(&ms[i]))
            nonempty = 1;
    if (!nonempty) {
        parse_errat(p, pos, "vector selector must contain at least one non-empty matcher");
        goto out;
    }
    ok = 1;
out:
    if (p->nvs == p->avs) {
        p->avs = p->avs ? p->avs * 2 : 8;
        p->vs = xrealloc(p->vs, p->avs * sizeof(*p->vs));
    }
    p->vs[p->nvs++] = n;
    n->ms = arena_alloc(p->a, (nms + 1) * sizeof(*ms));
    if (nms)
        memcpy(n->ms, ms, nms * sizeof(*ms));
    n->nms = nms;
    free(ms);
    return ok ? n : NULL;
}

static int parse_duration_tok(struct parser *p, int64_t *ms, int allow_zero)
{
    const struct pq_token *t = parse_cur(p);
    if (pq_parse_duration(p->q + t->pos, t->len, ms) < 0) {
        parse_errat(p, t->pos, "not a valid duration string: \"%.*s\"", (int)t->len, p->q + t->pos);
        return -1;
    }
    if (!allow_zero && *ms == 0) {
        parse_errat(p, t->pos, "duration must be greater than 0");
        return -1;
    }
    parse_next(p);
    return 0;
}

/* The node an offset or @ modifier applies to, or NULL. */
static struct pq_node *modifier_target(struct pq_node *e)
{
    if (e->kind == N_VS || e->kind == N_SUBQ)
        return e;
    if (e->kind == N_MS)
        return e->expr;
    return NULL;
}

struct pq_node *parsesel_postfix(struct parser *p, struct pq_node *e)
{
    for (;;) {
        if (parse_is(p, T_LBRACKET)) {
            unsigned lb = parse_cur(p)->pos;
            parse_next(p);
            if (!parse_is(p, T_DURATION)) {
                parse_unexpected(p, "subquery selector", "duration");
                return NULL;
            }
            int64_t range;
            if (parse_duration_tok(p, &range, 0) < 0)
                return NULL;
            if (parse_is(p, T_RBRACKET)) {
                if (e->kind != N_VS) {
                    parse_errat(p, lb, "ranges only allowed for vector selectors");
                    return NULL;
                }
                if (e->offset) {
                    parse_errat(p, lb, "no offset modifiers allowed before range");
                    return NULL;
                }
                if (e->at_mode != AT_NONE) {
                    parse_errat(p, lb, "no @ modifiers allowed before range");
                    return NULL;
                }
                struct pq_node *m = parse_node(p, N_MS, e->pos);
                m->expr = e;
                m->range = range;
                m->end = parse_cur(p)->pos + 1;
                parse_next(p);
                e = m;
                continue;
            }
            if (!parse_is(p, T_COLON)) {
                parse_unexpected(p, "subquery or range", "\":\" or \"]\"");
                return NULL;
            }
            parse_next(p);
            struct pq_node *s = parse_node(p, N_SUBQ, e->pos);
            s->expr = e;
            s->range = range;
            int had_step = parse_is(p, T_DURATION);
            if (had_step && parse_duration_tok(p, &s->step, 0) < 0)
                return NULL;
            if (!parse_is(p, T_RBRACKET)) {
                parse_unexpected(p, "subquery selector", had_step ? "\"]\"" : "duration or \"]\"");
                return NULL;
            }
            s->end = parse_cur(p)->pos + 1;
            parse_next(p);
            enum pq_type ty = pq_node_type(e);
            if (ty != PQ_VECTOR) {
                parse_errat(p, s->pos, "subquery is only allowed on instant vector, got %s instead",
                            pq_type_raw_name(ty));
                return NULL;
            }
            e = s;
            continue;
        }
        if (parse_is(p, T_OFFSET)) {
            parse_next(p);
            int neg = 0;
            if (parse_is(p, T_SUB) || parse_is(p, T_ADD)) {
                neg = parse_is(p, T_SUB);
                parse_next(p);
            }
            if (!parse_is(p, T_DURATION)) {
                parse_unexpected(p, "offset", "duration");
                return NULL;
            }
            int64_t off;
            if (parse_duration_tok(p, &off, 1) < 0)
                return NULL;
            struct pq_node *tg = modifier_target(e);
            if (!tg) {
                parse_errat(
                    p, e->pos,
                    "offset modifier must be preceded by an instant vector selector or range vector selector or a subquery");
                return NULL;
            }
            if (tg->offset) {
                parse_errat(p, e->pos, "offset may not be set multiple times");
                return NULL;
            }
            tg->offset = neg ? -off : off;
            e->end = p->t[p->i - 1].pos + p->t[p->i - 1].len;
            continue;
        }
        if (parse_is(p, T_AT)) {
            parse_next(p);
            enum pq_at mode = AT_TS;
            double ts = 0;
            if (parse_is(p, T_START) || parse_is(p, T_END)) {
                mode = parse_is(p, T_START) ? AT_START : AT_END;
                parse_next(p);
                if (!parse_is(p, T_LPAREN)) {
                    parse_unexpected(p, "@", "\"(\"");
                    return NULL;
                }
                parse_next(p);
                if (!parse_is(p, T_RPAREN)) {
                    parse_unexpected(p, "@", "\")\"");
                    return NULL;
                }
                parse_next(p);
            } else {
                int neg = 0;
                if (parse_is(p, T_SUB) || parse_is(p, T_ADD)) {
                    neg = parse_is(p, T_SUB);
                    parse_next(p);
                }
                if (!parse_is(p, T_NUMBER)) {
                    parse_unexpected(p, "@", "timestamp");
                    return NULL;
                }
                if (pq_parse_number(p->q + parse_cur(p)->pos, parse_cur(p)->len, &ts) < 0) {
                    parse_unexpected(p, "@", "timestamp");
                    return NULL;
                }
                if (neg)
                    ts = -ts;
                parse_next(p);
            }
            struct pq_node *tg = modifier_target(e);
            if (!tg) {
                parse_errat(
                    p, e->pos,
                    "@ modifier must be preceded by an instant vector selector or range vector selector or a subquery");
                return NULL;
            }
            if (tg->at_mode != AT_NONE) {
                parse_errat(p, e->pos, "@ <timestamp> may not be set multiple times");
                return NULL;
            }
            if (mode == AT_TS) {
                /* Prometheus bounds the seconds; here the milliseconds must fit too. */
                if (isinf(ts) || isnan(ts) || ts >= 9.223372036854775e15 ||
                    ts <= -9.223372036854775e15) {
                    parse_errat(p, e->pos, "timestamp out of bounds for @ modifier: %f", ts);
                    return NULL;
                }
                tg->at = (int64_t)llround(ts * 1000);
            }
            tg->at_mode = mode;
            e->end = p->t[p->i - 1].pos + p->t[p->i - 1].len;
            continue;
        }
        return e;
    }
}
