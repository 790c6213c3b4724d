// Evaluation of condition expressions. Runs on the hot path: no allocation (list
// literals are only materialized while compiling or binding), no exceptions,
// every arithmetic step overflow checked. A failure sets frame.failure and makes
// the caller decline.

#include <limits>

#include "engine/program.hpp"

namespace mandate::detail {

namespace {

bool fail(eval_frame& frame, fault why) noexcept {
    frame.failure = why;
    return false;
}

bool missing(eval_frame& frame, charge_field field) noexcept {
    frame.missing = field;
    return fail(frame, fault::missing_field);
}

// Money operands must share a currency; a currency-less zero (an empty sum while
// binding) takes the other side's.
bool same_currency(eval_frame& frame, value& left, value& right) noexcept {
    if (left.unit == right.unit) return true;
    if (!left.unit.valid() && left.units == 0) {
        left.unit = right.unit;
        return true;
    }
    if (!right.unit.valid() && right.units == 0) {
        right.unit = left.unit;
        return true;
    }
    frame.left = money{left.units, left.unit};
    frame.right = money{right.units, right.unit};
    return fail(frame, fault::currency_mismatch);
}

bool load_charge_field(eval_frame& frame, model::field member, value& out) noexcept {
    const charge* request = frame.request;
    if (request == nullptr) return missing(frame, field_id);
    switch (member) {
        case model::field::charge_id:
            if (!request->has(field_id)) return missing(frame, field_id);
            out.kind = value_kind::text;
            out.text = request->id;
            return true;
        case model::field::charge_amount:
            if (!request->has(field_amount)) return missing(frame, field_amount);
            out.kind = value_kind::money;
            out.units = request->amount.units;
            out.unit = request->amount.unit;
            return true;
        case model::field::charge_currency:
            if (!request->has(field_amount)) return missing(frame, field_amount);
            out.kind = value_kind::text;
            out.text = request->amount.unit.code();
            return true;
        case model::field::charge_at:
            if (!request->has(field_at)) return missing(frame, field_at);
            out.kind = value_kind::time;
            out.integer = request->at.time_since_epoch().count();
            return true;
        case model::field::charge_items:
            if (!request->has(field_items)) return missing(frame, field_items);
            out.kind = value_kind::items;
            out.items = request->items;
            return true;
        case model::field::charge_resource:
            if (!request->has(field_resource)) return missing(frame, field_resource);
            out.kind = value_kind::text;
            out.text = request->resource;
            return true;
        case model::field::seller_id:
            if (!request->has(field_seller_id)) return missing(frame, field_seller_id);
            out.kind = value_kind::text;
            out.text = request->seller_id;
            return true;
        case model::field::seller_domain:
            if (!request->has(field_seller_domain)) return missing(frame, field_seller_domain);
            out.kind = value_kind::text;
            out.text = request->seller_domain;
            return true;
        case model::field::seller_country:
            if (!request->has(field_seller_country)) return missing(frame, field_seller_country);
            out.kind = value_kind::text;
            out.text = request->seller_country;
            return true;
        case model::field::seller_category:
            if (!request->has(field_seller_category)) {
                return missing(frame, field_seller_category);
            }
            out.kind = value_kind::integer;
            out.integer = request->seller_category;
            return true;
        default: return missing(frame, field_id);
    }
}

bool load_item_field(eval_frame& frame, model::field member, const value& item,
                     value& out) noexcept {
    const line_item* line = item.item;
    if (line == nullptr) return missing(frame, field_items);
    switch (member) {
        case model::field::item_sku:
            if ((line->present & item_sku) == 0) return missing(frame, field_items);
            out.kind = value_kind::text;
            out.text = line->sku;
            return true;
        case model::field::item_category:
            if ((line->present & item_category) == 0) return missing(frame, field_items);
            out.kind = value_kind::text;
            out.text = line->category;
            return true;
        case model::field::item_quantity:
            if ((line->present & item_quantity) == 0) return missing(frame, field_items);
            out.kind = value_kind::integer;
            out.integer = line->quantity;
            return true;
        case model::field::item_unit_price:
            if ((line->present & item_unit_price) == 0) return missing(frame, field_items);
            out.kind = value_kind::money;
            out.units = line->unit_price;
            out.unit = frame.request != nullptr ? frame.request->amount.unit : currency{};
            return true;
        default: return missing(frame, field_items);
    }
}

bool compare(eval_frame& frame, ast::binary_op op, value& left, value& right,
             bool& result) noexcept {
    int order = 0;
    switch (left.kind) {
        case value_kind::money:
            if (!same_currency(frame, left, right)) return false;
            order = left.units < right.units ? -1 : (left.units > right.units ? 1 : 0);
            break;
        case value_kind::integer:
        case value_kind::time:
        case value_kind::duration:
            order = left.integer < right.integer ? -1 : (left.integer > right.integer ? 1 : 0);
            break;
        case value_kind::text: {
            const int c = left.text.compare(right.text);
            order = c < 0 ? -1 : (c > 0 ? 1 : 0);
            break;
        }
        case value_kind::boolean: order = int{left.boolean} - int{right.boolean}; break;
        default: break;
    }
    switch (op) {
        case ast::binary_op::equal: result = order == 0; break;
        case ast::binary_op::not_equal: result = order != 0; break;
        case ast::binary_op::less: result = order < 0; break;
        case ast::binary_op::less_equal: result = order <= 0; break;
        case ast::binary_op::greater: result = order > 0; break;
        case ast::binary_op::greater_equal: result = order >= 0; break;
        default: result = false; break;
    }
    return true;
}

bool arithmetic(eval_frame& frame, opcode code, value& left, const value& right_in,
                value& out) noexcept {
    value right = right_in;
    out.kind = left.kind;
    bool overflow = false;
    if (left.kind == value_kind::money) {
        if (code == opcode::multiply) {
            out.unit = left.unit;
            overflow = !checked_mul(left.units, right.integer, out.units);
        } else {
            if (!same_currency(frame, left, right)) return false;
            out.unit = left.unit;
            overflow = code == opcode::add ? !checked_add(left.units, right.units, out.units)
                                           : !checked_sub(left.units, right.units, out.units);
        }
    } else {
        // int, duration, and time +/- duration: microseconds or plain integers
        if (left.kind == value_kind::time && right.kind == value_kind::time) {
            out.kind = value_kind::duration;
        }
        switch (code) {
            case opcode::add:
                overflow = __builtin_add_overflow(left.integer, right.integer, &out.integer);
                break;
            case opcode::subtract:
                overflow = __builtin_sub_overflow(left.integer, right.integer, &out.integer);
                break;
            default:
                overflow = __builtin_mul_overflow(left.integer, right.integer, &out.integer);
                break;
        }
    }
    if (overflow) return fail(frame, fault::overflow);
    return true;
}

// Calls visit(element) for each element of a list node's value; stops when visit
// returns false. Literal lists are walked node by node so nothing is built.
template <typename Visit>
bool for_each_element(eval_frame& frame, std::uint32_t list_index, Visit&& visit) noexcept {
    const node& list_node = frame.program.nodes[list_index];
    if (list_node.code == opcode::list) {
        for (std::uint32_t i = 0; i < list_node.b; ++i) {
            value element;
            if (!evaluate(frame, frame.program.children[list_node.a + i], element)) return false;
            if (!visit(element)) return true;
        }
        return true;
    }
    value list;
    if (!evaluate(frame, list_index, list)) return false;
    if (list.kind == value_kind::items) {
        for (const line_item& line : list.items) {
            value element;
            element.kind = value_kind::item;
            element.item = &line;
            if (!visit(element)) return true;
        }
        return true;
    }
    if (list.list != nullptr) {
        for (const value& element : *list.list) {
            if (!visit(element)) return true;
        }
    }
    return true;
}

}  // namespace

bool evaluate(eval_frame& frame, std::uint32_t index, value& out) noexcept {
    const node& n = frame.program.nodes[index];
    switch (n.code) {
        case opcode::constant: out = frame.program.constants[n.a]; return true;
        case opcode::parameter: out = frame.arguments[n.a]; return true;
        case opcode::variable: out = frame.variables[n.a]; return true;
        case opcode::charge_field:
            return load_charge_field(frame, static_cast<model::field>(n.a), out);
        case opcode::item_field:
            return load_item_field(frame, static_cast<model::field>(n.a), frame.variables[n.b],
                                   out);
        case opcode::logical_not: {
            if (!evaluate(frame, n.a, out)) return false;
            out.boolean = !out.boolean;
            return true;
        }
        case opcode::logical_and:
        case opcode::logical_or: {
            // Short-circuit: the right side is not evaluated once the left decides.
            if (!evaluate(frame, n.a, out)) return false;
            if (out.boolean == (n.code == opcode::logical_or)) return true;
            return evaluate(frame, n.b, out);
        }
        case opcode::compare: {
            value left;
            value right;
            if (!evaluate(frame, n.a, left) || !evaluate(frame, n.b, right)) return false;
            bool result = false;
            if (!compare(frame, n.op, left, right, result)) return false;
            out = value{};
            out.kind = value_kind::boolean;
            out.boolean = result;
            return true;
        }
        case opcode::in_set: {
            value needle;
            if (!evaluate(frame, n.a, needle)) return false;
            const value_set* set = frame.sets[n.b];
            const bool found = set != nullptr && set->contains(needle);
            out = value{};
            out.kind = value_kind::boolean;
            out.boolean = n.op == ast::binary_op::not_in ? !found : found;
            return true;
        }
        case opcode::add:
        case opcode::subtract:
        case opcode::multiply: {
            value left;
            value right;
            if (!evaluate(frame, n.a, left) || !evaluate(frame, n.b, right)) return false;
            return arithmetic(frame, n.code, left, right, out);
        }
        case opcode::negate: {
            if (!evaluate(frame, n.a, out)) return false;
            if (out.kind == value_kind::money) {
                return checked_sub(0, out.units, out.units) || fail(frame, fault::overflow);
            }
            return !__builtin_sub_overflow(std::int64_t{0}, out.integer, &out.integer) ||
                   fail(frame, fault::overflow);
        }
        case opcode::every:
        case opcode::some: {
            const bool want = n.code == opcode::some;
            bool decided = !want;  // every: true until a false; some: false until a true
            bool ok = true;
            const bool walked = for_each_element(frame, n.a, [&](const value& element) {
                frame.variables[n.b] = element;
                value body;
                if (!evaluate(frame, n.c, body)) {
                    ok = false;
                    return false;
                }
                if (body.boolean == want) {
                    decided = want;
                    return false;
                }
                return true;
            });
            if (!walked || !ok) return false;
            out = value{};
            out.kind = value_kind::boolean;
            out.boolean = decided;
            return true;
        }
        case opcode::sum: {
            value total;
            total.kind = n.result;
            if (n.result == value_kind::money && frame.request != nullptr) {
                total.unit = frame.request->amount.unit;
            }
            bool ok = true;
            const bool walked = for_each_element(frame, n.a, [&](const value& element) {
                frame.variables[n.b] = element;
                value body;
                value next;
                if (!evaluate(frame, n.c, body) ||
                    !arithmetic(frame, opcode::add, total, body, next)) {
                    ok = false;
                    return false;
                }
                total = next;
                return true;
            });
            if (!walked || !ok) return false;
            out = total;
            return true;
        }
        case opcode::count: {
            std::int64_t elements = 0;
            const node& list_node = frame.program.nodes[n.a];
            if (list_node.code == opcode::list) {
                elements = list_node.b;
            } else {
                value list;
                if (!evaluate(frame, n.a, list)) return false;
                elements = list.kind == value_kind::items
                               ? static_cast<std::int64_t>(list.items.size())
                               : (list.list != nullptr
                                      ? static_cast<std::int64_t>(list.list->size())
                                      : 0);
            }
            out = value{};
            out.kind = value_kind::integer;
            out.integer = elements;
            return true;
        }
        case opcode::list: {
            // Only while compiling or binding: deciding never builds a list.
            if (frame.scratch == nullptr) return fail(frame, fault::missing_field);
            value_list elements;
            for (std::uint32_t i = 0; i < n.b; ++i) {
                value element;
                if (!evaluate(frame, frame.program.children[n.a + i], element)) return false;
                elements.push_back(element);
            }
            frame.scratch->push_back(std::move(elements));
            out = value{};
            out.kind = value_kind::list;
            out.list = &frame.scratch->back();
            return true;
        }
    }
    return false;
}

}  // namespace mandate::detail
