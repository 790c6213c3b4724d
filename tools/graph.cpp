// mandate graph: a compiled mandate as a Graphviz digraph.
//
// The spine is the step list in evaluation order: each step passes to the next
// or declines with its reason; the last passes to approval. A `require` or
// `decline ... when` step points at its condition, drawn as a cluster of the
// program's expression nodes.

#include <set>
#include <string>

#include "engine/program.hpp"
#include "mandate/authoring.hpp"
#include "tools/describe.hpp"

namespace mandate::authoring {

namespace {

namespace md = mandate::detail;

// A DOT string literal's contents.
std::string escape(std::string_view text) {
    std::string out;
    for (const char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}

const char* field_name(model::field f) {
    switch (f) {
        case model::field::charge_id: return "charge.id";
        case model::field::charge_amount: return "charge.amount";
        case model::field::charge_currency: return "charge.currency";
        case model::field::charge_at: return "charge.at";
        case model::field::charge_seller: return "charge.seller";
        case model::field::charge_items: return "charge.items";
        case model::field::charge_resource: return "charge.resource";
        case model::field::seller_id: return "charge.seller.id";
        case model::field::seller_domain: return "charge.seller.domain";
        case model::field::seller_country: return "charge.seller.country";
        case model::field::seller_category: return "charge.seller.category";
        case model::field::item_sku: return ".sku";
        case model::field::item_category: return ".category";
        case model::field::item_quantity: return ".quantity";
        case model::field::item_unit_price: return ".unit_price";
    }
    return "?";
}

std::string value_text(const md::value& v) {
    switch (v.kind) {
        case md::value_kind::boolean: return v.boolean ? "true" : "false";
        case md::value_kind::integer: return std::to_string(v.integer);
        case md::value_kind::money: return format_money({v.units, v.unit});
        case md::value_kind::text: {
            // Appended rather than concatenated: GCC 12 warns falsely (-Wrestrict)
            // about "literal" + std::string.
            std::string quoted(1, '"');
            quoted.append(v.text);
            quoted += '"';
            return quoted;
        }
        case md::value_kind::time: return format_rfc3339(instant(duration(v.integer)));
        case md::value_kind::duration: return format_duration(duration(v.integer));
        case md::value_kind::zone: return v.zone != nullptr ? std::string(v.zone->name()) : "?";
        case md::value_kind::list: {
            std::string text = "[";
            if (v.list != nullptr) {
                for (std::size_t i = 0; i < v.list->size(); ++i) {
                    if (i > 0) text += ", ";
                    if (text.size() > 60) {
                        text += "...";
                        break;
                    }
                    text += value_text((*v.list)[i]);
                }
            }
            return text + "]";
        }
        default: return "?";
    }
}

class dot_writer {
public:
    explicit dot_writer(const md::mandate_program& program) : program_(program) {}

    // A short text of an operand, for step labels: "[payee]", "daily * 30".
    std::string operand_text(std::uint32_t index, int depth = 0) const {
        if (index == md::no_node || index >= program_.nodes.size()) return "?";
        if (depth > 4) return "...";
        const md::node& n = program_.nodes[index];
        const auto kid = [&](std::uint32_t i) { return operand_text(i, depth + 1); };
        switch (n.code) {
            case md::opcode::constant: return value_text(program_.constants[n.a]);
            case md::opcode::parameter: return program_.parameters[n.a].name;
            case md::opcode::variable: return "variable " + std::to_string(n.a);
            case md::opcode::charge_field: return field_name(static_cast<model::field>(n.a));
            case md::opcode::item_field:
                return "variable " + std::to_string(n.b) +
                       field_name(static_cast<model::field>(n.a));
            case md::opcode::logical_not: return "not " + kid(n.a);
            case md::opcode::logical_and: return kid(n.a) + " and " + kid(n.b);
            case md::opcode::logical_or: return kid(n.a) + " or " + kid(n.b);
            case md::opcode::compare:
                return kid(n.a) + " " + ast::to_string(n.op) + " " + kid(n.b);
            case md::opcode::in_set:
                return kid(n.a) + " " + ast::to_string(n.op) + " " +
                       kid(program_.sets[n.b].list);
            case md::opcode::add: return kid(n.a) + " + " + kid(n.b);
            case md::opcode::subtract: return kid(n.a) + " - " + kid(n.b);
            case md::opcode::multiply: return kid(n.a) + " * " + kid(n.b);
            case md::opcode::negate: return "-" + kid(n.a);
            case md::opcode::every: return "every ... in " + kid(n.a);
            case md::opcode::some: return "some ... in " + kid(n.a);
            case md::opcode::sum: return "sum(... in " + kid(n.a) + ")";
            case md::opcode::count: return "count(" + kid(n.a) + ")";
            case md::opcode::list: {
                std::string text = "[";
                for (std::uint32_t i = 0; i < n.b; ++i) {
                    if (i > 0) text += ", ";
                    text += kid(program_.children[n.a + i]);
                }
                return text + "]";
            }
        }
        return "?";
    }

    // The label of one expression node in a condition cluster.
    std::string node_label(const md::node& n) const {
        switch (n.code) {
            case md::opcode::constant: return value_text(program_.constants[n.a]);
            case md::opcode::parameter: return "parameter " + program_.parameters[n.a].name;
            case md::opcode::variable: return "variable " + std::to_string(n.a);
            case md::opcode::charge_field: return field_name(static_cast<model::field>(n.a));
            case md::opcode::item_field:
                return "variable " + std::to_string(n.b) +
                       field_name(static_cast<model::field>(n.a));
            case md::opcode::logical_not: return "not";
            case md::opcode::logical_and: return "and";
            case md::opcode::logical_or: return "or";
            case md::opcode::compare: return ast::to_string(n.op);
            case md::opcode::in_set: return ast::to_string(n.op);
            case md::opcode::add: return "+";
            case md::opcode::subtract: return "-";
            case md::opcode::multiply: return "*";
            case md::opcode::negate: return "negate";
            case md::opcode::every: return "every (variable " + std::to_string(n.b) + ")";
            case md::opcode::some: return "some (variable " + std::to_string(n.b) + ")";
            case md::opcode::sum: return "sum (variable " + std::to_string(n.b) + ")";
            case md::opcode::count: return "count";
            case md::opcode::list: return "list";
        }
        return "?";
    }

    // The expression tree under `root` as a cluster for step number `step`
    // (1-based, as in the step's label); returns the root's DOT id.
    std::string cluster(std::size_t step, std::uint32_t root, std::string& out) {
        out += "  subgraph cluster_condition_" + std::to_string(step) + " {\n";
        out += "    label=\"condition of step " + std::to_string(step) +
               "\"; style=dashed; color=gray40;\n";
        std::string edges;
        std::set<std::uint32_t> seen;
        write_node(step, root, out, edges, seen, 0);
        out += edges;
        out += "  }\n";
        return node_id(step, root);
    }

private:
    static std::string node_id(std::size_t step, std::uint32_t index) {
        std::string id(1, 'e');
        id += std::to_string(step);
        id += '_';
        id += std::to_string(index);
        return id;
    }

    void write_node(std::size_t step, std::uint32_t index, std::string& out, std::string& edges,
                    std::set<std::uint32_t>& seen, int depth) {
        if (index >= program_.nodes.size() || !seen.insert(index).second) return;
        const md::node& n = program_.nodes[index];
        const bool leaf = n.code == md::opcode::constant || n.code == md::opcode::parameter ||
                          n.code == md::opcode::variable || n.code == md::opcode::charge_field ||
                          n.code == md::opcode::item_field;
        out += "    " + node_id(step, index) + " [label=\"" + escape(node_label(n)) + "\"" +
               (leaf ? ", shape=box, style=rounded" : ", shape=ellipse") + "];\n";
        if (depth > 256) return;  // the checker bounds nesting far below this
        const auto child = [&](std::uint32_t c, const char* label) {
            if (c == md::no_node || c >= program_.nodes.size()) return;
            write_node(step, c, out, edges, seen, depth + 1);
            edges += "    " + node_id(step, index) + " -> " + node_id(step, c);
            if (label != nullptr) edges += std::string(" [label=\"") + label + "\"]";
            edges += ";\n";
        };
        switch (n.code) {
            case md::opcode::logical_not:
            case md::opcode::negate:
            case md::opcode::count: child(n.a, nullptr); break;
            case md::opcode::logical_and:
            case md::opcode::logical_or:
            case md::opcode::compare:
            case md::opcode::add:
            case md::opcode::subtract:
            case md::opcode::multiply:
                child(n.a, nullptr);
                child(n.b, nullptr);
                break;
            case md::opcode::in_set:
                child(n.a, nullptr);
                child(program_.sets[n.b].list, "set");
                break;
            case md::opcode::every:
            case md::opcode::some:
            case md::opcode::sum:
                child(n.a, "over");
                child(n.c, "body");
                break;
            case md::opcode::list:
                for (std::uint32_t i = 0; i < n.b; ++i) child(program_.children[n.a + i], nullptr);
                break;
            default: break;
        }
    }

    const md::mandate_program& program_;
};

}  // namespace

std::string graph_dot(const policy& compiled, std::string_view mandate_name) {
    const md::policy_image& image = compiled.image();
    const md::mandate_program* program = image.find(mandate_name);
    if (program == nullptr) return {};
    dot_writer writer(*program);
    const std::string file = image.file_name;

    std::string out = "digraph \"" + escape(program->name) + "\" {\n";
    out += "  graph [label=\"mandate " + escape(program->name) + " (" + escape(file) +
           ")\", labelloc=t, fontname=\"Helvetica\"];\n";
    out += "  node [fontname=\"Helvetica\", shape=box];\n";
    out += "  edge [fontname=\"Helvetica\", fontsize=10];\n";
    out += "  charge [label=\"charge\", shape=circle];\n";
    out += "  checks [label=\"charge checks\\namount, currency";
    out += program->has_time_windows ? ", time, time order" : "";
    out += "\"];\n";
    out += "  invalid_charge [label=\"decline\\ninvalid_charge\", shape=octagon, color=red];\n";
    out += "  approve [label=\"approve\\ncount in every budget and limit\", shape=doublecircle, "
           "color=darkgreen];\n";
    out += "  charge -> checks;\n";
    out += "  checks -> invalid_charge [label=\"malformed\", color=red];\n";

    std::string previous = "checks";
    for (std::size_t i = 0; i < program->steps.size(); ++i) {
        const md::step& s = program->steps[i];
        const std::string id = "step" + std::to_string(i + 1);
        std::string label = std::to_string(i + 1) + ". " + authoring::detail::clause_label(s);
        switch (s.kind) {
            case md::step_kind::require:
            case md::step_kind::decline_when: break;
            case md::step_kind::valid:
                if (s.from != md::no_node) label += " from " + writer.operand_text(s.from);
                if (s.until != md::no_node) label += " until " + writer.operand_text(s.until);
                break;
            case md::step_kind::budget:
            case md::step_kind::limit:
                label += " " + writer.operand_text(s.operand) +
                         (s.kind == md::step_kind::limit ? " charges " : " ") +
                         authoring::detail::window_label(s, nullptr);
                if (s.zone != md::no_node) label += " in " + writer.operand_text(s.zone);
                if (s.length != md::no_node) label += " " + writer.operand_text(s.length);
                break;
            default:
                // List clauses keep their list in a set slot.
                label += " " + writer.operand_text(s.set != md::no_node
                                                       ? program->sets[s.set].list
                                                       : s.operand);
                break;
        }
        label += "\n" + file + ":" + std::to_string(s.line) + ":" + std::to_string(s.column);
        out += "  " + id + " [label=\"" + escape(label) + "\"];\n";
        // Every reason the step can decline with: a validity window declines early
        // charges as not_yet_valid, and caps and budgets refuse another currency.
        std::string reasons(s.reason_name);
        if (s.kind == md::step_kind::valid && s.from != md::no_node) {
            reasons += " | not_yet_valid";
        }
        if (s.kind == md::step_kind::amount || s.kind == md::step_kind::budget) {
            reasons += " | currency_not_allowed";
        }
        const std::string decline = "decline" + std::to_string(i + 1);
        out += "  " + decline + " [label=\"decline\\n" + escape(reasons) +
               "\", shape=octagon, color=red];\n";
        out += "  " + previous + " -> " + id + (previous == "checks" ? "" : " [label=\"pass\"]") +
               ";\n";
        out += "  " + id + " -> " + decline + " [label=\"" +
               (s.kind == md::step_kind::decline_when ? "true" : "fail") + "\", color=red];\n";
        if ((s.kind == md::step_kind::require || s.kind == md::step_kind::decline_when) &&
            s.operand != md::no_node) {
            const std::string root = writer.cluster(i + 1, s.operand, out);
            out += "  " + id + " -> " + root + " [style=dashed, arrowhead=none, label=\"if\"];\n";
        }
        previous = id;
    }
    out += "  " + previous + " -> approve" + (previous == "checks" ? "" : " [label=\"pass\"]") +
           ";\n";
    out += "}\n";
    return out;
}

}  // namespace mandate::authoring
