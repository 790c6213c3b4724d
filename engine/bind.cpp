// Binding a mandate's parameters to a token's arguments. Everything a step needs
// that does not depend on the charge (caps, budgets, windows, sets) is resolved
// here, once per token, so deciding never evaluates it again.

#include <nlohmann/json.hpp>

#include "engine/checker.hpp"
#include "engine/program.hpp"
#include "mandate/policy.hpp"

namespace mandate {

namespace {

using detail::value;
using detail::value_kind;
using model::base_type;

// Converts one JSON argument to a value of the parameter's element type.
bool convert_scalar(const nlohmann::json& json, base_type type, detail::bound_image& bound,
                    value& out, std::string& problem) {
    switch (type) {
        case base_type::integer:
            if (!json.is_number_integer()) {
                problem = "must be a JSON integer";
                return false;
            }
            if (json.is_number_unsigned() &&
                json.get<std::uint64_t>() >
                    static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
                problem = "is too large";
                return false;
            }
            out.kind = value_kind::integer;
            out.integer = json.get<std::int64_t>();
            return true;
        default: break;
    }
    if (!json.is_string()) {
        problem = "must be a JSON string";
        return false;
    }
    const auto& text = json.get_ref<const std::string&>();
    switch (type) {
        case base_type::text:
            bound.strings.push_back(text);
            out.kind = value_kind::text;
            out.text = bound.strings.back();
            return true;
        case base_type::money: {
            const auto space = text.rfind(' ');
            if (space == std::string::npos) {
                problem = "must be an amount with its currency, such as \"25.00 USD\"";
                return false;
            }
            const auto unit = currency::find(std::string_view(text).substr(space + 1));
            if (!unit) {
                problem = "has an unknown currency";
                return false;
            }
            minor_units units = 0;
            const amount_error error =
                parse_amount(std::string_view(text).substr(0, space), *unit, units);
            if (error != amount_error::none) {
                problem = std::string(describe(error));
                return false;
            }
            out.kind = value_kind::money;
            out.units = units;
            out.unit = *unit;
            return true;
        }
        case base_type::time: {
            const auto at = parse_rfc3339(text);
            if (!at) {
                problem = "must be an RFC 3339 time such as \"2026-12-01T00:00:00Z\"";
                return false;
            }
            out.kind = value_kind::time;
            out.integer = at->time_since_epoch().count();
            return true;
        }
        case base_type::duration: {
            const auto length = parse_duration(text);
            if (!length) {
                problem = "must be a duration such as \"1h\" or \"7d\"";
                return false;
            }
            out.kind = value_kind::duration;
            out.integer = length->count();
            return true;
        }
        case base_type::zone: {
            const date::time_zone* zone = find_zone(text);
            if (zone == nullptr) {
                problem = "is not a known IANA time zone";
                return false;
            }
            out.kind = value_kind::zone;
            out.zone = zone;
            return true;
        }
        default: problem = "has an unsupported type"; return false;
    }
}

bool convert_argument(const nlohmann::json& json, const model::type& type,
                      detail::bound_image& bound, value& out, std::string& problem) {
    if (!type.is_list) return convert_scalar(json, type.base, bound, out, problem);
    if (!json.is_array()) {
        problem = "must be a JSON array";
        return false;
    }
    detail::value_list elements;
    for (const auto& element : json) {
        value converted;
        if (!convert_scalar(element, type.base, bound, converted, problem)) {
            problem = "has an element that " + problem;
            return false;
        }
        elements.push_back(converted);
    }
    bound.lists.push_back(std::move(elements));
    out.kind = value_kind::list;
    out.list = &bound.lists.back();
    return true;
}

// Elements of list clauses that came from arguments get the checks the checker
// gives literals.
void validate_set(const detail::step& s, const value& list, std::vector<std::string>& errors) {
    if (list.list == nullptr) return;
    for (const value& element : *list.list) {
        switch (s.kind) {
            case detail::step_kind::domain: {
                const std::string problem = checker::check_domain_pattern(element.text);
                if (!problem.empty()) {
                    errors.push_back("invalid domain pattern \"" + std::string(element.text) +
                                     "\": " + problem);
                }
                break;
            }
            case detail::step_kind::country:
                if (!checker::is_country_code(element.text)) {
                    errors.push_back("\"" + std::string(element.text) +
                                     "\" is not a country code (two upper-case letters)");
                }
                break;
            case detail::step_kind::currency:
                if (!currency::find(element.text)) {
                    errors.push_back("unknown currency \"" + std::string(element.text) + "\"");
                }
                break;
            case detail::step_kind::category:
                if (element.integer < 0 || element.integer > 9999) {
                    errors.push_back("a merchant category code is 0 to 9999, not " +
                                     std::to_string(element.integer));
                }
                break;
            default: break;
        }
    }
}

std::string clause_name(const detail::step& s) {
    return "the clause at line " + std::to_string(s.line);
}

}  // namespace

bind_result bind(const std::shared_ptr<const policy>& compiled, std::string_view mandate_name,
                 std::string_view arguments_json) {
    bind_result result;
    auto& errors = result.errors;
    if (!compiled) {
        errors.push_back("no compiled policy");
        return result;
    }
    const detail::policy_image& image = compiled->image();

    // Pick the mandate.
    const detail::mandate_program* program = nullptr;
    if (mandate_name.empty()) {
        if (image.mandates.size() != 1) {
            errors.push_back("the policy holds " + std::to_string(image.mandates.size()) +
                             " mandates: name one with --mandate");
            return result;
        }
        program = image.mandates.front().get();
    } else {
        program = image.find(mandate_name);
        if (program == nullptr) {
            errors.push_back("no mandate named '" + std::string(mandate_name) + "' in " +
                             image.file_name);
            return result;
        }
    }

    auto bound = std::make_shared<detail::bound_image>();
    bound->policy = compiled->shared_image();
    bound->program = program;

    // Arguments.
    nlohmann::json arguments = nlohmann::json::object();
    if (!arguments_json.empty()) {
        arguments = nlohmann::json::parse(arguments_json, nullptr, false);
        if (arguments.is_discarded() || !arguments.is_object()) {
            errors.push_back("arguments must be a JSON object such as {\"payee\": \"acct_1\"}");
            return result;
        }
    }
    for (const auto& entry : arguments.items()) {
        // A named variable, not a structured binding: clang 14 cannot capture those.
        const std::string name = entry.key();
        const bool known = std::any_of(program->parameters.begin(), program->parameters.end(),
                                       [&](const auto& p) { return p.name == name; });
        if (!known) errors.push_back("unknown argument '" + name + "'");
    }

    std::deque<detail::value_list> scratch;
    static const std::vector<value> no_arguments;
    static const std::vector<const detail::value_set*> no_sets;
    for (std::size_t i = 0; i < program->parameters.size(); ++i) {
        const model::parameter& p = program->parameters[i];
        value converted;
        const auto found = arguments.find(p.name);
        if (found != arguments.end()) {
            std::string problem;
            if (!convert_argument(*found, p.declared, *bound, converted, problem)) {
                errors.push_back("argument '" + p.name + "' (" + model::to_string(p.declared) +
                                 ") " + problem);
            }
        } else if (program->defaults[i] != detail::no_node) {
            detail::eval_frame frame{*program, no_arguments, no_sets};
            frame.scratch = &scratch;
            value evaluated;
            if (detail::evaluate(frame, program->defaults[i], evaluated)) {
                if (evaluated.kind == value_kind::list) {
                    bound->lists.push_back(*evaluated.list);
                    evaluated.list = &bound->lists.back();
                }
                converted = evaluated;
            }
        } else {
            errors.push_back("missing argument '" + p.name + "' (" +
                             model::to_string(p.declared) + ")");
        }
        bound->arguments.push_back(converted);
    }
    if (!errors.empty()) return result;

    // Sets.
    bound->sets.resize(program->sets.size(), nullptr);
    detail::eval_frame frame{*program, bound->arguments, bound->sets};
    frame.scratch = &scratch;
    for (std::size_t i = 0; i < program->sets.size(); ++i) {
        const detail::set_slot& slot = program->sets[i];
        if (slot.compiled) {
            bound->sets[i] = slot.compiled.get();
            continue;
        }
        value list;
        if (!detail::evaluate(frame, slot.list, list)) {
            errors.push_back("a list could not be evaluated from the arguments");
            continue;
        }
        for (const detail::step& s : program->steps) {
            if (s.set == i) validate_set(s, list, errors);
        }
        auto set = detail::build_set(list, slot.is_domain, slot.is_currency);
        bound->sets[i] = set.get();
        bound->owned_sets.push_back(std::move(set));
    }

    // Step operands.
    const date::time_zone* utc = find_zone("UTC");
    for (const detail::step& s : program->steps) {
        detail::resolved_step r;
        if (s.set != detail::no_node) r.set = bound->sets[s.set];
        const auto operand = [&](std::uint32_t index, value& out) {
            if (detail::evaluate(frame, index, out)) return true;
            errors.push_back(clause_name(s) + " could not be evaluated from the arguments");
            return false;
        };
        value v;
        switch (s.kind) {
            case detail::step_kind::amount:
                if (operand(s.operand, v)) r.amount = money{v.units, v.unit};
                break;
            case detail::step_kind::valid:
                if (s.from != detail::no_node && operand(s.from, v)) {
                    r.from = instant(duration(v.integer));
                }
                if (s.until != detail::no_node && operand(s.until, v)) {
                    r.until = instant(duration(v.integer));
                }
                if (r.from >= r.until) {
                    errors.push_back(clause_name(s) + " is never valid: 'until' (" +
                                     format_rfc3339(r.until) + ") is not after 'from' (" +
                                     format_rfc3339(r.from) + ")");
                }
                break;
            case detail::step_kind::budget:
            case detail::step_kind::limit:
                if (operand(s.operand, v)) {
                    if (s.kind == detail::step_kind::budget) {
                        r.amount = money{v.units, v.unit};
                        if (v.units <= 0) {
                            errors.push_back(clause_name(s) +
                                             ": the budget must be more than zero");
                        }
                    } else {
                        r.count = v.integer;
                        if (v.integer <= 0) {
                            errors.push_back(clause_name(s) +
                                             ": the number of charges must be more than zero");
                        }
                    }
                }
                r.zone = utc;
                if (s.zone != detail::no_node && operand(s.zone, v)) r.zone = v.zone;
                if (s.length != detail::no_node && operand(s.length, v)) {
                    r.length = duration(v.integer);
                    if (r.length <= duration::zero()) {
                        errors.push_back(clause_name(s) +
                                         ": a rolling window must be longer than zero");
                    }
                }
                break;
            default: break;
        }
        bound->steps.push_back(r);
    }
    if (!errors.empty()) return result;
    bound->checks = detail::specialize(*program, bound->steps);
    bound->checks_program = program;
    bound->has_time_windows = program->has_time_windows;

    result.mandate = std::make_shared<const bound_mandate>(std::move(bound));
    return result;
}

}  // namespace mandate
