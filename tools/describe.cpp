#include "tools/describe.hpp"

#include "grammar/ast.hpp"

namespace mandate::authoring::detail {

namespace md = mandate::detail;

std::string clause_label(const md::step& s) {
    switch (s.kind) {
        case md::step_kind::seller: return "seller in";
        case md::step_kind::domain: return "domain in";
        case md::step_kind::currency: return "currency";
        case md::step_kind::amount: return std::string("amount ") + ast::to_string(s.compare);
        case md::step_kind::category: return "category in";
        case md::step_kind::country: return "country in";
        case md::step_kind::valid: return "valid";
        case md::step_kind::budget: return "budget";
        case md::step_kind::limit: return "limit";
        case md::step_kind::require: return "require";
        case md::step_kind::decline_when: return "decline when";
    }
    return "clause";
}

std::string window_label(const md::step& s, const md::resolved_step* resolved) {
    switch (s.window) {
        case model::window_kind::total: return "total";
        case model::window_kind::rolling:
            return "per rolling " +
                   (resolved != nullptr ? format_duration(resolved->length) : std::string("?"));
        case model::window_kind::calendar: {
            std::string text = "per " + std::string(to_string(s.unit));
            if (s.unit == calendar_unit::week) {
                static const char* const days[] = {"sunday",   "monday", "tuesday", "wednesday",
                                                   "thursday", "friday", "saturday"};
                text += std::string(" starting ") + days[s.week_start.c_encoding() % 7];
            }
            if (resolved != nullptr && resolved->zone != nullptr) {
                text += " in " + std::string(resolved->zone->name());
            }
            return text;
        }
    }
    return "";
}

std::string clause_position(const std::string& file, const md::step& s) {
    return file + ":" + std::to_string(s.line);
}

}  // namespace mandate::authoring::detail
