#include "grammar/ast.hpp"

namespace mandate::ast {

const char* to_string(binary_op op) noexcept {
    switch (op) {
        case binary_op::logical_or: return "or";
        case binary_op::logical_and: return "and";
        case binary_op::equal: return "==";
        case binary_op::not_equal: return "!=";
        case binary_op::less: return "<";
        case binary_op::less_equal: return "<=";
        case binary_op::greater: return ">";
        case binary_op::greater_equal: return ">=";
        case binary_op::in: return "in";
        case binary_op::not_in: return "not in";
        case binary_op::add: return "+";
        case binary_op::subtract: return "-";
        case binary_op::multiply: return "*";
    }
    return "?";
}

const char* to_string(clause_kind kind) noexcept {
    switch (kind) {
        case clause_kind::seller: return "seller";
        case clause_kind::domain: return "domain";
        case clause_kind::currency: return "currency";
        case clause_kind::amount: return "amount";
        case clause_kind::category: return "category";
        case clause_kind::country: return "country";
        case clause_kind::valid: return "valid";
        case clause_kind::budget: return "budget";
        case clause_kind::limit: return "limit";
        case clause_kind::require: return "require";
        case clause_kind::decline_when: return "decline";
    }
    return "?";
}

}  // namespace mandate::ast
