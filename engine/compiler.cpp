// The compiler lowers a checked mandate into steps and expression nodes. Lists
// that do not depend on arguments become sets now, once for every token; lists
// that do are left for bind.

#include "engine/compiler.hpp"

#include <stdexcept>

namespace mandate::compiler {

namespace {

using detail::no_node;
using detail::node;
using detail::opcode;
using detail::value;
using detail::value_kind;
using model::base_type;

value_kind kind_of(const model::type& t) {
    if (t.is_list) return t.base == base_type::item ? value_kind::items : value_kind::list;
    switch (t.base) {
        case base_type::boolean: return value_kind::boolean;
        case base_type::integer: return value_kind::integer;
        case base_type::money: return value_kind::money;
        case base_type::text: return value_kind::text;
        case base_type::time: return value_kind::time;
        case base_type::duration: return value_kind::duration;
        case base_type::zone: return value_kind::zone;
        case base_type::item: return value_kind::item;
        default: return value_kind::none;
    }
}

class lowering {
public:
    explicit lowering(detail::mandate_program& program) : program_(program) {}

    std::uint32_t lower(const model::expr& e) {
        switch (e.kind) {
            case model::expr_kind::literal: return constant(e);
            case model::expr_kind::list: {
                std::vector<std::uint32_t> elements;
                for (const auto& operand : e.operands) elements.push_back(lower(operand));
                node n;
                n.code = opcode::list;
                n.result = value_kind::list;
                n.a = static_cast<std::uint32_t>(program_.children.size());
                n.b = static_cast<std::uint32_t>(elements.size());
                program_.children.insert(program_.children.end(), elements.begin(),
                                         elements.end());
                return emit(n);
            }
            case model::expr_kind::parameter: {
                node n;
                n.code = opcode::parameter;
                n.result = kind_of(e.result);
                n.a = e.index;
                return emit(n);
            }
            case model::expr_kind::variable: {
                node n;
                n.code = opcode::variable;
                n.result = kind_of(e.result);
                n.a = e.index;
                return emit(n);
            }
            case model::expr_kind::charge:
                throw std::logic_error("the charge is only readable through its fields");
            case model::expr_kind::field_access: return field(e);
            case model::expr_kind::logical_not:
            case model::expr_kind::negate:
            case model::expr_kind::count: {
                node n;
                n.code = e.kind == model::expr_kind::logical_not ? opcode::logical_not
                         : e.kind == model::expr_kind::negate    ? opcode::negate
                                                                 : opcode::count;
                n.result = kind_of(e.result);
                n.a = lower(e.operands[0]);
                return emit(n);
            }
            case model::expr_kind::binary: return binary(e);
            case model::expr_kind::every:
            case model::expr_kind::some:
            case model::expr_kind::sum: {
                node n;
                n.code = e.kind == model::expr_kind::every  ? opcode::every
                         : e.kind == model::expr_kind::some ? opcode::some
                                                            : opcode::sum;
                n.result = kind_of(e.result);
                n.a = lower(e.operands[0]);
                n.b = e.index;
                n.c = lower(e.operands[1]);
                return emit(n);
            }
        }
        throw std::logic_error("unknown expression kind");
    }

    // A set slot for a list operand; built now when it needs no arguments.
    std::uint32_t set_for(const model::expr& list, bool is_domain, bool is_currency) {
        detail::set_slot slot;
        slot.list = lower(list);
        slot.is_domain = is_domain;
        slot.is_currency = is_currency;
        if (!list.uses_params) {
            static const std::vector<value> no_arguments;
            static const std::vector<const detail::value_set*> no_sets;
            std::deque<detail::value_list> scratch;
            detail::eval_frame frame{program_, no_arguments, no_sets};
            frame.scratch = &scratch;
            value evaluated;
            if (!detail::evaluate(frame, slot.list, evaluated)) {
                throw std::logic_error("a constant list failed to evaluate");
            }
            slot.compiled = detail::build_set(evaluated, is_domain, is_currency);
        }
        program_.sets.push_back(std::move(slot));
        return static_cast<std::uint32_t>(program_.sets.size() - 1);
    }

    std::string_view keep(std::string text) {
        program_.strings.push_back(std::move(text));
        return program_.strings.back();
    }

private:
    std::uint32_t emit(const node& n) {
        program_.nodes.push_back(n);
        return static_cast<std::uint32_t>(program_.nodes.size() - 1);
    }

    std::uint32_t constant(const model::expr& e) {
        value v;
        v.kind = kind_of(e.result);
        switch (v.kind) {
            case value_kind::boolean: v.boolean = e.value.boolean; break;
            case value_kind::integer: v.integer = e.value.integer; break;
            case value_kind::money:
                v.units = e.value.amount.units;
                v.unit = e.value.amount.unit;
                break;
            case value_kind::text: v.text = keep(e.value.text); break;
            case value_kind::time: v.integer = e.value.at.time_since_epoch().count(); break;
            case value_kind::duration: v.integer = e.value.length.count(); break;
            case value_kind::zone: v.zone = e.value.zone; break;
            default: break;
        }
        program_.constants.push_back(v);
        node n;
        n.code = opcode::constant;
        n.result = v.kind;
        n.a = static_cast<std::uint32_t>(program_.constants.size() - 1);
        return emit(n);
    }

    std::uint32_t field(const model::expr& e) {
        const model::expr& base = e.operands[0];
        node n;
        n.result = kind_of(e.result);
        if (base.kind == model::expr_kind::variable) {
            n.code = opcode::item_field;
            n.a = static_cast<std::uint32_t>(e.member);
            n.b = base.index;
            return emit(n);
        }
        // charge.X and charge.seller.X both read straight from the charge.
        if (e.member == model::field::charge_seller) {
            throw std::logic_error("charge.seller is only readable through its fields");
        }
        n.code = opcode::charge_field;
        n.a = static_cast<std::uint32_t>(e.member);
        return emit(n);
    }

    std::uint32_t binary(const model::expr& e) {
        node n;
        n.result = kind_of(e.result);
        n.op = e.op;
        switch (e.op) {
            case ast::binary_op::logical_and: n.code = opcode::logical_and; break;
            case ast::binary_op::logical_or: n.code = opcode::logical_or; break;
            case ast::binary_op::in:
            case ast::binary_op::not_in:
                n.code = opcode::in_set;
                n.a = lower(e.operands[0]);
                n.b = set_for(e.operands[1], false, false);
                return emit(n);
            case ast::binary_op::add: n.code = opcode::add; break;
            case ast::binary_op::subtract: n.code = opcode::subtract; break;
            case ast::binary_op::multiply: n.code = opcode::multiply; break;
            default: n.code = opcode::compare; break;
        }
        n.a = lower(e.operands[0]);
        n.b = lower(e.operands[1]);
        return emit(n);
    }

    detail::mandate_program& program_;
};

reason builtin_reason(const model::clause& c) {
    switch (c.kind) {
        case ast::clause_kind::seller: return reason::seller_not_allowed;
        case ast::clause_kind::domain: return reason::domain_not_allowed;
        case ast::clause_kind::currency: return reason::currency_not_allowed;
        case ast::clause_kind::amount:
            return (c.compare == ast::binary_op::less || c.compare == ast::binary_op::less_equal)
                       ? reason::amount_over_limit
                       : reason::amount_under_limit;
        case ast::clause_kind::category: return reason::category_not_allowed;
        case ast::clause_kind::country: return reason::country_not_allowed;
        case ast::clause_kind::valid: return reason::expired;
        case ast::clause_kind::budget: return reason::budget_exceeded;
        case ast::clause_kind::limit: return reason::limit_exceeded;
        case ast::clause_kind::require:
        case ast::clause_kind::decline_when: return reason::custom;
    }
    return reason::invalid_charge;
}

}  // namespace

std::unique_ptr<detail::mandate_program> compile(const model::mandate& checked) {
    auto program = std::make_unique<detail::mandate_program>();
    program->name = checked.name;
    program->parameters = checked.parameters;
    program->variable_slots = checked.variable_slots;
    program->refunds_restore_budget = checked.refunds_restore_budget;
    lowering lower(*program);

    for (std::size_t i = 0; i < checked.clauses.size(); ++i) {
        const model::clause& c = checked.clauses[i];
        detail::step s;
        s.kind = static_cast<detail::step_kind>(c.kind);
        s.clause = static_cast<std::int32_t>(i);
        s.line = c.where.line;
        s.column = c.where.column;
        s.compare = c.compare;
        s.code = builtin_reason(c);
        s.reason_name = s.code == reason::custom ? lower.keep(c.reason_code) : to_string(s.code);

        switch (c.kind) {
            case ast::clause_kind::seller:
            case ast::clause_kind::country:
            case ast::clause_kind::category:
                s.set = lower.set_for(*c.value, false, false);
                break;
            case ast::clause_kind::domain: s.set = lower.set_for(*c.value, true, false); break;
            case ast::clause_kind::currency: s.set = lower.set_for(*c.value, false, true); break;
            case ast::clause_kind::valid:
                if (c.valid_from) s.from = lower.lower(*c.valid_from);
                if (c.valid_until) s.until = lower.lower(*c.valid_until);
                break;
            case ast::clause_kind::budget:
            case ast::clause_kind::limit:
                s.operand = lower.lower(*c.value);
                s.window = c.per.kind;
                s.unit = c.per.unit;
                s.week_start = c.per.week_start;
                if (c.per.zone) s.zone = lower.lower(*c.per.zone);
                if (c.per.length) s.length = lower.lower(*c.per.length);
                s.window_index = program->window_count++;
                if (c.per.kind != model::window_kind::total) program->has_time_windows = true;
                break;
            default: s.operand = lower.lower(*c.value); break;
        }
        program->steps.push_back(s);
    }

    // Defaults are literals: lowered so bind can read them as values.
    for (const auto& parameter : program->parameters) {
        program->defaults.push_back(parameter.default_value ? lower.lower(*parameter.default_value)
                                                            : no_node);
    }
    return program;
}

}  // namespace mandate::compiler
