// compile(): text -> parse tree -> checked model -> decision graph, and the small
// public classes around the compiled images.

#include <algorithm>
#include <stdexcept>

#include "engine/checker.hpp"
#include "engine/compiler.hpp"
#include "engine/program.hpp"
#include "grammar/parser.hpp"
#include "mandate/policy.hpp"

namespace mandate {

namespace detail {

const mandate_program* policy_image::find(std::string_view name) const noexcept {
    for (const auto& program : mandates) {
        if (program->name == name) return program.get();
    }
    return nullptr;
}

}  // namespace detail

compile_result compile(std::string_view source, std::string file_name) {
    compile_result result;

    grammar::parse_result parsed = grammar::parse(source, file_name);
    if (!parsed.ok()) {
        result.diagnostics = std::move(parsed.diagnostics);
        return result;
    }

    checker::check_result checked = checker::check(parsed.file, source);
    if (!checked.diagnostics.empty()) {
        result.diagnostics = std::move(checked.diagnostics);
        return result;
    }

    auto image = std::make_shared<detail::policy_image>();
    image->file_name = std::move(file_name);
    image->source = std::string(source);
    try {
        for (const auto& mandate : checked.mandates) {
            image->mandates.push_back(compiler::compile(mandate));
        }
    } catch (const std::logic_error& error) {
        // A checked mandate the compiler cannot lower is a bug in the checker:
        // refuse the policy rather than run a partial one.
        diagnostic d;
        d.file = image->file_name;
        d.line = 1;
        d.column = 1;
        d.message = std::string("internal compiler error: ") + error.what();
        result.diagnostics.push_back(d);
        return result;
    }
    result.compiled = std::make_shared<const policy>(std::move(image));
    return result;
}

policy::policy(std::shared_ptr<const detail::policy_image> image) : image_(std::move(image)) {}

const std::string& policy::file_name() const noexcept { return image_->file_name; }

std::vector<std::string> policy::mandate_names() const {
    std::vector<std::string> names;
    for (const auto& program : image_->mandates) names.push_back(program->name);
    return names;
}

bool policy::contains(std::string_view mandate_name) const noexcept {
    return image_->find(mandate_name) != nullptr;
}

std::vector<parameter_info> policy::parameters(std::string_view mandate_name) const {
    std::vector<parameter_info> parameters;
    const detail::mandate_program* program = image_->find(mandate_name);
    if (program == nullptr) return parameters;
    for (const auto& p : program->parameters) {
        parameter_info parameter;
        parameter.name = p.name;
        parameter.is_list = p.declared.is_list;
        parameter.has_default = p.default_value.has_value();
        switch (p.declared.base) {
            case model::base_type::integer: parameter.type = param_type::integer; break;
            case model::base_type::money: parameter.type = param_type::money; break;
            case model::base_type::time: parameter.type = param_type::time; break;
            case model::base_type::duration: parameter.type = param_type::length; break;
            case model::base_type::zone: parameter.type = param_type::zone; break;
            default: parameter.type = param_type::text; break;
        }
        parameters.push_back(parameter);
    }
    return parameters;
}

bound_mandate::bound_mandate(std::shared_ptr<const detail::bound_image> image)
    : image_(std::move(image)) {}

std::string_view bound_mandate::name() const noexcept { return image_->program->name; }

budget_state::budget_state(const bound_mandate& mandate)
    : window_count_(static_cast<std::uint32_t>(mandate.image().program->window_count)) {
    if (window_count_ > inline_windows) spilled_ = std::make_unique<window[]>(window_count_);
}

void budget_state::copy_windows_from(const budget_state& other) {
    if (other.spilled_) {
        auto copied = std::make_unique<window[]>(other.window_count_);
        std::copy_n(other.spilled_.get(), other.window_count_, copied.get());
        spilled_ = std::move(copied);
    } else {
        spilled_.reset();
        std::copy_n(other.inline_, inline_windows, inline_);
    }
    window_count_ = other.window_count_;
}

budget_state::budget_state(const budget_state& other)
    : latest_(other.latest_), approved_(other.approved_) {
    copy_windows_from(other);
}

budget_state::budget_state(budget_state&& other) noexcept
    : spilled_(std::move(other.spilled_)),
      window_count_(other.window_count_),
      latest_(other.latest_),
      approved_(other.approved_) {
    if (!spilled_) std::move(other.inline_, other.inline_ + inline_windows, inline_);
}

budget_state& budget_state::operator=(const budget_state& other) {
    if (this != &other) {
        copy_windows_from(other);
        latest_ = other.latest_;
        approved_ = other.approved_;
    }
    return *this;
}

budget_state& budget_state::operator=(budget_state&& other) noexcept {
    if (this != &other) {
        spilled_ = std::move(other.spilled_);
        if (!spilled_) std::move(other.inline_, other.inline_ + inline_windows, inline_);
        window_count_ = other.window_count_;
        latest_ = other.latest_;
        approved_ = other.approved_;
    }
    return *this;
}

std::size_t budget_state::owned_bytes() const noexcept {
    std::size_t bytes = sizeof(budget_state);
    if (spilled_) bytes += window_count_ * sizeof(window);
    for (const window& w : windows()) bytes += std::size_t{w.events.size()} * sizeof(event);
    return bytes;
}

budget_state::event_slots::event_slots(const event_slots& other)
    : slots_(other.capacity_ == 0 ? nullptr : new event[other.capacity_]),
      capacity_(other.capacity_) {
    std::copy_n(other.slots_, capacity_, slots_);
}

budget_state::event_slots& budget_state::event_slots::operator=(const event_slots& other) {
    if (this != &other) {
        event_slots copy(other);
        *this = std::move(copy);
    }
    return *this;
}

budget_state::event_slots& budget_state::event_slots::operator=(event_slots&& other) noexcept {
    if (this != &other) {
        delete[] slots_;
        slots_ = std::exchange(other.slots_, nullptr);
        capacity_ = std::exchange(other.capacity_, 0);
    }
    return *this;
}

void budget_state::event_slots::reset(std::uint32_t capacity) {
    event* fresh = capacity == 0 ? nullptr : new event[capacity]();
    delete[] slots_;
    slots_ = fresh;
    capacity_ = capacity;
}

std::string diagnostic::render() const {
    std::string text = file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " +
                       (level == severity::error ? "error: " : "warning: ") + message + "\n";
    const std::string gutter = "  " + std::to_string(line) + " | ";
    text += gutter + source_line + "\n";
    std::string pad(gutter.size() - 2, ' ');
    text += pad + "| ";
    // Keep tabs so the caret lines up under the source.
    for (std::uint32_t i = 1; i < column && i - 1 < source_line.size(); ++i) {
        text += source_line[i - 1] == '\t' ? '\t' : ' ';
    }
    text += '^';
    if (length > 1) text += std::string(length - 1, '~');
    text += "\n";
    if (!help.empty()) text += pad + "= help: " + help + "\n";
    return text;
}

std::string render(const std::vector<diagnostic>& diagnostics) {
    std::string text;
    for (const auto& d : diagnostics) text += d.render();
    return text;
}

}  // namespace mandate
