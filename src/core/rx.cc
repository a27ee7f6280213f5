// rx: the C face of libre2 (see rx.h). The only C++ in the tree: RE2 has
// no C API in Debian, and a hand-written matcher is what the rules forbid.
#include "core/rx.h"

#include <re2/re2.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <new>
#include <string>
#include <vector>

struct rx {
    re2::RE2 *re;
};

extern "C" struct rx *rx_new(const char *pattern, size_t len, int flags, char *err, size_t errlen)
{
    std::string pat(pattern, len);
    if (flags & RX_ANCHORED)
        pat = "^(?:" + pat + ")$";
    re2::RE2::Options opt;
    opt.set_log_errors(false);
    // Go's regexp: Perl classes and \b are there, UTF-8 input, '.' stops at '\n'.
    opt.set_encoding(re2::RE2::Options::EncodingUTF8);
    re2::RE2 *re = new (std::nothrow) re2::RE2(pat, opt);
    if (re == nullptr) {
        if (err != nullptr && errlen > 0)
            snprintf(err, errlen, "out of memory");
        return nullptr;
    }
    if (!re->ok()) {
        if (err != nullptr && errlen > 0)
            snprintf(err, errlen, "%s", re->error().c_str());
        delete re;
        return nullptr;
    }
    struct rx *rx = new (std::nothrow) struct rx;
    if (rx == nullptr) {
        delete re;
        return nullptr;
    }
    rx->re = re;
    return rx;
}

extern "C" void rx_free(struct rx *rx)
{
    if (rx == nullptr)
        return;
    delete rx->re;
    delete rx;
}

extern "C" int rx_match(const struct rx *rx, const char *s, size_t len)
{
    re2::StringPiece in(s, len);
    return rx->re->Match(in, 0, len, re2::RE2::UNANCHORED, nullptr, 0) ? 1 : 0;
}

extern "C" int rx_ngroups(const struct rx *rx)
{
    return rx->re->NumberOfCapturingGroups();
}

extern "C" int rx_match_groups(const struct rx *rx, const char *s, size_t len, struct rx_span *g,
                               int n)
{
    if (n <= 0)
        return rx_match(rx, s, len);
    std::vector<re2::StringPiece> sub((size_t)n);
    re2::StringPiece in(s, len);
    if (!rx->re->Match(in, 0, len, re2::RE2::UNANCHORED, sub.data(), n))
        return 0;
    for (int i = 0; i < n; i++) {
        if (sub[(size_t)i].data() == nullptr) {
            g[i].start = g[i].end = -1;
        } else {
            g[i].start = sub[(size_t)i].data() - s;
            g[i].end = g[i].start + (long)sub[(size_t)i].size();
        }
    }
    return 1;
}

extern "C" int rx_group_index(const struct rx *rx, const char *name)
{
    const std::map<std::string, int> &m = rx->re->NamedCapturingGroups();
    auto it = m.find(name);
    return it == m.end() ? -1 : it->second;
}

extern "C" int rx_is_literal(const char *pattern, size_t len)
{
    static const char meta[] = "\\.+*?()|[]{}^$";
    for (size_t i = 0; i < len; i++)
        if (strchr(meta, pattern[i]) != nullptr)
            return 0;
    return 1;
}
