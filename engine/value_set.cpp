// Sets behind `in` and the list clauses, built once before any charge is decided.

#include <algorithm>

#include "engine/program.hpp"

namespace mandate::detail {

void value_set::add_text(std::string_view text) {
    storage.emplace_back(text);
    if (!texts.insert(storage.back()).second) {
        storage.pop_back();  // a duplicate: nothing refers to the copy
        return;
    }
    if (texts.size() <= few_limit) {
        few_texts[few_count++] = text_key::of(storage.back());
    } else {
        few_count = 0;
    }
}

bool value_set::contains_long_text(std::string_view text) const noexcept {
    return texts.find(text) != texts.end();
}

bool value_set::contains_integer(std::int64_t number) const noexcept {
    return std::binary_search(integers.begin(), integers.end(), number);
}

bool value_set::contains(const value& v) const noexcept {
    switch (v.kind) {
        case value_kind::text: return contains_text(v.text);
        case value_kind::integer: return contains_integer(v.integer);
        default: break;
    }
    for (const value& candidate : others) {
        if (candidate.kind != v.kind) continue;
        switch (v.kind) {
            case value_kind::boolean:
                if (candidate.boolean == v.boolean) return true;
                break;
            case value_kind::money:
                if (candidate.unit == v.unit && candidate.units == v.units) return true;
                break;
            case value_kind::time:
            case value_kind::duration:
                if (candidate.integer == v.integer) return true;
                break;
            default: break;
        }
    }
    return false;
}

bool value_set::matches_domain(std::string_view domain) const noexcept {
    if (exact_domains.find(domain) != exact_domains.end()) return true;
    // "*.x.com" matches any name that ends in ".x.com" with at least one label before.
    for (std::size_t dot = domain.find('.'); dot != std::string_view::npos;
         dot = domain.find('.', dot + 1)) {
        if (dot == 0) return false;
        if (wildcard_suffixes.find(domain.substr(dot + 1)) != wildcard_suffixes.end()) {
            return true;
        }
    }
    return false;
}

std::shared_ptr<const value_set> build_set(const value& list, bool is_domain, bool is_currency) {
    auto set = std::make_shared<value_set>();
    if (list.list == nullptr) return set;
    for (const value& element : *list.list) {
        set->element = element.kind;
        if (is_currency) {
            if (const auto unit = currency::find(element.text)) set->currencies.push_back(*unit);
            continue;
        }
        if (is_domain) {
            set->storage.emplace_back(element.text);
            std::string_view pattern = set->storage.back();
            if (pattern.starts_with("*.")) {
                set->wildcard_suffixes.insert(pattern.substr(2));
            } else {
                set->exact_domains.insert(pattern);
            }
            continue;
        }
        switch (element.kind) {
            case value_kind::text: set->add_text(element.text); break;
            case value_kind::integer: set->integers.push_back(element.integer); break;
            default: set->others.push_back(element); break;
        }
    }
    std::sort(set->integers.begin(), set->integers.end());
    set->integers.erase(std::unique(set->integers.begin(), set->integers.end()),
                        set->integers.end());
    return set;
}

}  // namespace mandate::detail
