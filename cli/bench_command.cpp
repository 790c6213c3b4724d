// `mandate bench POLICY CHARGES`: how fast a user's own rule set decides their
// own charges.
//
// Only mandate::decide is timed. The charges are decoded first, and each one is
// decided against the budget state `mandate check` would hold when it reached
// that line: the state after every charge before it was authorized in order. So
// the timed decisions are the very answers `check` gives, and a stream that runs
// a budget dry is timed declining, as it would be in production.
//
// A decision takes tens of nanoseconds, about what reading the clock costs, so
// the clock is read around batches of consecutive decisions and each decision
// is given the batch's time divided by the batch size. The latency
// percentiles are therefore percentiles of those per-batch averages.

#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <deque>
#include <iomanip>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "mandate/json.hpp"

namespace mandate::cli {

namespace {

using steady = std::chrono::steady_clock;

// Decisions timed between two clock reads. Large enough that the two reads
// (about 20 ns on Linux's vDSO clock) add well under a nanosecond per decision,
// small enough that a slow batch still shows in the tail.
constexpr std::size_t batch_size = 64;

// At most this many malformed lines are named on standard error; the rest are
// only counted.
constexpr std::size_t max_skipped_named = 3;

// How often the progress line on a terminal is redrawn.
constexpr auto progress_interval = std::chrono::milliseconds(100);

constexpr const char* timed_description =
    "mandate::decide alone, on charges decoded beforehand; each charge meets the budget "
    "state mandate check would hold at its line (the charges before it authorized in "
    "order); decoding and recording are not timed";

struct bench_options {
    std::string policy_path;
    std::string charges_path;
    std::string mandate_name;
    std::string arguments = "{}";
    std::string duration = "1s";
    std::string warmup = "200ms";
    std::uint64_t iterations = 0;  // 0: time for `duration` instead
    bool json = false;
};

// A decoded charge and the budget state it is decided against.
struct timed_charge {
    const charge* request = nullptr;
    const budget_state* state = nullptr;
};

// What the stream decides, once, in the order `check` would decide it.
struct stream_tally {
    std::size_t lines = 0;    // non-blank lines
    std::size_t skipped = 0;  // malformed: they cannot be decided, so are not timed
    std::uint64_t approved = 0;
    std::map<std::string, std::uint64_t, std::less<>> declines;  // by reason code
};

struct memory_figures {
    // Compiled policy and bound mandate: heap growth while compiling and binding,
    // as the allocator reports it. Freed blocks glibc keeps in its per-thread
    // cache count as in use, so this is close (within a few KiB), not exact.
    std::optional<std::size_t> policy_heap_bytes;
    std::size_t state_bytes = 0;   // one budget state after the stream, counted exactly
    std::size_t replay_bytes = 0;  // every state kept for the timed run, likewise
    std::size_t replay_states = 0;
    std::size_t peak_rss_bytes = 0;  // the whole process, charges and samples included
};

struct timing {
    std::uint64_t checks = 0;
    std::vector<std::int64_t> batch_ns;  // one sample per batch
    std::int64_t wall_ns = 0;            // from the first batch to the last, clock reads included
    std::int64_t warmup_ns = 0;
    std::int64_t clock_read_ns = 0;
    std::uint64_t approved = 0;  // across every timed batch
};

// Bytes the allocator has handed out and not taken back (glibc's main arena,
// which is all a single-threaded run uses); nullopt where it cannot be asked.
// A running program always holds some heap, so zero means another allocator
// answered (AddressSanitizer's does, with zeros): the figure is unknown, not 0.
std::optional<std::size_t> heap_in_use() noexcept {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
    // Large blocks are mapped on their own and counted apart (hblkhd).
    const auto heap = mallinfo2();
    const std::size_t in_use = heap.uordblks + heap.hblkhd;
    if (in_use == 0) return std::nullopt;
    return in_use;
#else
    return std::nullopt;
#endif
}

std::optional<std::size_t> heap_growth(std::optional<std::size_t> before,
                                       std::optional<std::size_t> after) noexcept {
    if (!before || !after) return std::nullopt;
    return *after >= *before ? *after - *before : 0;
}

// The memory a budget state owns: itself, its windows and their rolling events.
std::size_t state_bytes(const budget_state& state) noexcept { return state.owned_bytes(); }

std::size_t peak_rss_bytes() noexcept {
    rusage usage{};
    if (getrusage(RUSAGE_SELF, &usage) != 0) return 0;
    return static_cast<std::size_t>(usage.ru_maxrss) * 1024;  // Linux counts KiB
}

std::int64_t nanoseconds(steady::duration length) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(length).count();
}

// The median cost of one steady_clock read, so readers can judge its share.
std::int64_t clock_read_ns() {
    std::vector<std::int64_t> samples(1001);
    for (auto& sample : samples) {
        const auto first = steady::now();
        const auto second = steady::now();
        sample = nanoseconds(second - first);
    }
    std::nth_element(samples.begin(), samples.begin() + 500, samples.end());
    return samples[500];
}

// Decodes every charge line; the documents own what the charges point into.
// Lines are read as for_each_charge_line reads them, but counted here so that
// a skipped line can be named by its number in the file.
void decode_stream(std::istream& input, std::deque<charge_document>& documents,
                   stream_tally& tally) {
    std::string line;
    std::string error;
    std::size_t line_number = 0;
    while (std::getline(input, line)) {
        ++line_number;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (is_blank(line)) continue;
        ++tally.lines;
        charge_document document;
        if (decode_charge(line, document, error)) {
            documents.push_back(std::move(document));
            continue;
        }
        ++tally.skipped;
        if (tally.skipped <= max_skipped_named) {
            const auto id = recover_charge_id(line);
            std::cerr << "mandate: bench: skipped line " << line_number
                      << (id ? " (id " + *id + ")" : std::string()) << ": " << error << "\n";
        }
    }
}

// Authorizes the stream once, in order, as `check` does, and gives each charge
// the state it met. A state is kept only when an approval changed it, so
// declines share the state before them.
std::vector<timed_charge> replay_stream(const bound_mandate& mandate,
                                        const std::deque<charge_document>& documents,
                                        std::deque<budget_state>& states, stream_tally& tally) {
    std::vector<timed_charge> stream;
    stream.reserve(documents.size());
    budget_state live(mandate);
    states.push_back(live);
    bool changed = false;
    for (const auto& document : documents) {
        const charge& request = document.view();
        if (changed) {
            states.push_back(live);
            changed = false;
        }
        stream.push_back({&request, &states.back()});
        const decision d = authorize(mandate, live, request);
        if (d.approved) {
            ++tally.approved;
            changed = true;
        } else {
            ++tally.declines[std::string(d.reason_name)];
        }
    }
    return stream;
}

// Decides `stream` in batches until `enough` says stop; `on_batch` sees the
// end of each batch (for the progress line). Returns the approvals counted.
template <typename Enough, typename OnBatch>
std::uint64_t run_batches(const bound_mandate& mandate, const std::vector<timed_charge>& stream,
                          std::size_t& next, std::vector<std::int64_t>* samples, Enough&& enough,
                          OnBatch&& on_batch) {
    std::uint64_t approved = 0;
    do {
        std::uint64_t batch_approved = 0;
        const auto start = steady::now();
        for (std::size_t k = 0; k < batch_size; ++k) {
            const timed_charge& c = stream[next];
            batch_approved += decide(mandate, *c.state, *c.request).approved ? 1u : 0u;
            next = next + 1 == stream.size() ? 0 : next + 1;
        }
        const auto end = steady::now();
        approved += batch_approved;
        if (samples != nullptr) samples->push_back(nanoseconds(end - start));
        on_batch(end);
    } while (!enough());
    return approved;
}

// A progress line on standard error, redrawn in place; only on a terminal, so
// logs and pipes get nothing.
class progress_line {
public:
    explicit progress_line(std::int64_t goal_ns)
        : enabled_(::isatty(STDERR_FILENO) == 1), goal_ns_(goal_ns) {}

    void show(const std::string& text) {
        if (!enabled_) return;
        std::cerr << "\r\033[Kmandate bench: " << text << std::flush;
        shown_ = true;
    }

    // Redraws at most every progress_interval.
    void update(steady::time_point now, steady::time_point started, std::uint64_t checks,
                std::int64_t timed_ns) {
        if (!enabled_ || now - last_ < progress_interval) return;
        last_ = now;
        std::ostringstream text;
        text << std::fixed << std::setprecision(1)
             << static_cast<double>(nanoseconds(now - started)) / 1e9 << " s";
        if (goal_ns_ > 0) text << " of " << static_cast<double>(goal_ns_) / 1e9 << " s";
        text << ", " << checks << " checks, ~";
        text << (checks > 0 ? static_cast<double>(timed_ns) / static_cast<double>(checks) : 0.0)
             << " ns a check";
        show(text.str());
    }

    void clear() {
        if (shown_) std::cerr << "\r\033[K" << std::flush;
        shown_ = false;
    }

private:
    bool enabled_;
    bool shown_ = false;
    std::int64_t goal_ns_ = 0;
    steady::time_point last_{};
};

timing time_stream(const bound_mandate& mandate, const std::vector<timed_charge>& stream,
                   const bench_options& options) {
    timing t;
    t.clock_read_ns = clock_read_ns();
    const std::int64_t warmup_ns = nanoseconds(*parse_duration(options.warmup));
    const std::int64_t duration_ns =
        options.iterations > 0 ? 0 : nanoseconds(*parse_duration(options.duration));
    progress_line progress(duration_ns);
    std::size_t next = 0;

    // Warm caches and branch predictors on the same stream; not recorded.
    progress.show("warming up");
    const auto warmup_start = steady::now();
    std::uint64_t warmup_batches = 0;
    run_batches(
        mandate, stream, next, nullptr,
        [&] { return nanoseconds(steady::now() - warmup_start) >= warmup_ns; },
        [&](steady::time_point) { ++warmup_batches; });
    t.warmup_ns = nanoseconds(steady::now() - warmup_start);

    // Room for every sample up front, so the timed run does not reallocate.
    std::uint64_t planned = 0;
    if (options.iterations > 0) {
        planned = (options.iterations + batch_size - 1) / batch_size;
    } else {
        const double batch_ns = static_cast<double>(t.warmup_ns) /
                                static_cast<double>(std::max<std::uint64_t>(warmup_batches, 1));
        planned = static_cast<std::uint64_t>(static_cast<double>(duration_ns) /
                                             std::max(batch_ns, 1.0) * 1.25) +
                  1024;
    }
    t.batch_ns.reserve(static_cast<std::size_t>(planned));

    // Start the timed run at the first charge, so its approvals can be checked.
    next = 0;
    std::int64_t timed_ns = 0;
    const auto start = steady::now();
    steady::time_point last_end = start;
    auto on_batch = [&](steady::time_point end) {
        last_end = end;
        t.checks += batch_size;
        timed_ns += t.batch_ns.back();
        progress.update(end, start, t.checks, timed_ns);
    };
    auto enough = [&] {
        if (options.iterations > 0) return t.batch_ns.size() >= planned;
        return nanoseconds(last_end - start) >= duration_ns;
    };
    t.approved = run_batches(mandate, stream, next, &t.batch_ns, enough, on_batch);
    t.wall_ns = nanoseconds(last_end - start);
    progress.clear();
    return t;
}

// The per-check time at quantile q of the sorted batch samples (nearest rank).
double per_check_at(const std::vector<std::int64_t>& sorted, double q) {
    const auto n = static_cast<double>(sorted.size());
    auto rank = static_cast<std::size_t>(std::ceil(q * n));
    rank = std::clamp<std::size_t>(rank, 1, sorted.size());
    return static_cast<double>(sorted[rank - 1]) / static_cast<double>(batch_size);
}

double tenths(double value) { return std::round(value * 10.0) / 10.0; }

std::string with_unit(double ns) {
    std::ostringstream text;
    text << std::fixed << std::setprecision(1);
    if (ns >= 1e6) {
        text << ns / 1e6 << " ms";
    } else if (ns >= 1e4) {
        text << ns / 1e3 << " us";
    } else {
        text << ns << " ns";
    }
    return text.str();
}

std::string bytes_text(std::optional<std::size_t> bytes) {
    if (!bytes) return "unknown";
    std::ostringstream text;
    text << std::fixed << std::setprecision(1);
    const auto b = static_cast<double>(*bytes);
    if (b >= 1024.0 * 1024.0) {
        text << b / (1024.0 * 1024.0) << " MiB";
    } else if (b >= 1024.0) {
        text << b / 1024.0 << " KiB";
    } else {
        text << *bytes << " B";
    }
    return text.str();
}

// 12345678 -> "12,345,678"
std::string grouped(std::uint64_t value) {
    const std::string digits = std::to_string(value);
    std::string text;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) text.push_back(',');
        text.push_back(digits[i]);
    }
    return text;
}

struct summary {
    double checks_per_second = 0;
    double mean_ns = 0, min_ns = 0, median_ns = 0, p90_ns = 0, p99_ns = 0, p999_ns = 0,
           max_ns = 0;
};

summary summarize(timing& t) {
    summary s;
    std::sort(t.batch_ns.begin(), t.batch_ns.end());
    std::int64_t total_ns = 0;
    for (const auto ns : t.batch_ns) total_ns += ns;
    const auto checks = static_cast<double>(t.checks);
    s.checks_per_second = total_ns > 0 ? checks * 1e9 / static_cast<double>(total_ns) : 0.0;
    s.mean_ns = static_cast<double>(total_ns) / checks;
    s.min_ns = per_check_at(t.batch_ns, 0.0);
    s.median_ns = per_check_at(t.batch_ns, 0.5);
    s.p90_ns = per_check_at(t.batch_ns, 0.9);
    s.p99_ns = per_check_at(t.batch_ns, 0.99);
    s.p999_ns = per_check_at(t.batch_ns, 0.999);
    s.max_ns = per_check_at(t.batch_ns, 1.0);
    return s;
}

void print_json(const bench_options& options, std::string_view mandate_name,
                const stream_tally& tally, const timing& t, const summary& s,
                const memory_figures& memory) {
    auto optional_bytes = [](std::optional<std::size_t> bytes) {
        return bytes ? nlohmann::ordered_json(*bytes) : nlohmann::ordered_json(nullptr);
    };
    nlohmann::ordered_json declines = nlohmann::ordered_json::object();
    for (const auto& [code, count] : tally.declines) declines[code] = count;
    const std::uint64_t decided = tally.lines - tally.skipped;

    nlohmann::ordered_json out;
    out["policy"] = options.policy_path;
    out["mandate"] = std::string(mandate_name);
    out["charges_file"] = options.charges_path;
    out["timed"] = timed_description;
    out["charges"] = {{"lines", tally.lines},
                      {"decided", decided},
                      {"skipped_malformed", tally.skipped},
                      {"approved", tally.approved},
                      {"declined", decided - tally.approved},
                      {"declines_by_reason", declines}};
    out["batch_size"] = batch_size;
    out["batches"] = t.batch_ns.size();
    out["checks"] = t.checks;
    out["checks_per_second"] = std::round(s.checks_per_second);
    out["mean_ns"] = tenths(s.mean_ns);
    out["min_ns"] = tenths(s.min_ns);
    out["median_ns"] = tenths(s.median_ns);
    out["p90_ns"] = tenths(s.p90_ns);
    out["p99_ns"] = tenths(s.p99_ns);
    out["p999_ns"] = tenths(s.p999_ns);
    out["max_ns"] = tenths(s.max_ns);
    out["wall_ns"] = t.wall_ns;
    out["warmup_ns"] = t.warmup_ns;
    out["clock_read_ns"] = t.clock_read_ns;
    out["memory"] = {{"policy_heap_bytes", optional_bytes(memory.policy_heap_bytes)},
                     {"state_bytes", memory.state_bytes},
                     {"replay_states", memory.replay_states},
                     {"replay_states_bytes", memory.replay_bytes},
                     {"peak_rss_bytes", memory.peak_rss_bytes}};
    std::cout << out.dump(2) << "\n";
}

void print_text(const bench_options& options, std::string_view mandate_name,
                const stream_tally& tally, const timing& t, const summary& s,
                const memory_figures& memory) {
    const std::uint64_t decided = tally.lines - tally.skipped;
    std::ostringstream out;
    out << "mandate bench: " << options.policy_path << ", mandate " << mandate_name << "\n\n";

    out << "charges   " << tally.lines << (tally.lines == 1 ? " line" : " lines") << " in "
        << options.charges_path << "\n"
        << "          " << decided << " decided: " << tally.approved << " approved, "
        << decided - tally.approved << " declined; " << tally.skipped
        << " skipped as malformed (not timed)\n";

    // Declines by reason, wrapped to keep lines short.
    std::string row = "declines ";
    for (const auto& [code, count] : tally.declines) {
        std::string entry = " " + code + " " + std::to_string(count) + ",";
        if (row.size() + entry.size() > 96) {
            out << row << "\n";
            row = "         ";
        }
        row += entry;
    }
    if (!tally.declines.empty()) {
        row.pop_back();  // the last comma
        out << row << "\n";
    }

    out << "timed     mandate::decide alone, on charges decoded beforehand. Each charge\n"
        << "          meets the budget state `mandate check` would hold at its line.\n"
        << "          " << grouped(t.checks) << " checks in " << std::fixed
        << std::setprecision(2) << static_cast<double>(t.wall_ns) / 1e9 << " s, in batches of "
        << batch_size << " (a check takes its batch's time / " << batch_size << ")\n";
    out << "speed     " << grouped(static_cast<std::uint64_t>(std::llround(s.checks_per_second)))
        << " checks/s, mean " << with_unit(s.mean_ns) << " a check\n";
    out << "latency   median " << with_unit(s.median_ns) << "   p90 " << with_unit(s.p90_ns)
        << "   p99 " << with_unit(s.p99_ns) << "   p99.9 " << with_unit(s.p999_ns) << "   max "
        << with_unit(s.max_ns) << "\n"
        << "          (percentiles of batch averages; a clock read costs about "
        << t.clock_read_ns << " ns)\n";
    out << "memory    compiled policy about " << bytes_text(memory.policy_heap_bytes)
        << " (heap growth), budget state " << bytes_text(memory.state_bytes) << "\n"
        << "          " << memory.replay_states << " replay states "
        << bytes_text(memory.replay_bytes) << "; peak RSS of the whole process "
        << bytes_text(memory.peak_rss_bytes) << "\n";
    std::cout << out.str() << std::flush;
}

int run_bench(const bench_options& options) {
    if (options.charges_path.empty()) {
        std::cerr << "mandate: bench needs CHARGES: a JSON-lines file of charges as mandate "
                     "check reads them (or - for standard input). It times your own charges "
                     "and does not make any up.\n";
        return exit_usage;
    }

    // Load the zone database before measuring, so the policy's figure holds
    // only what the policy itself needs.
    (void)find_zone("UTC");

    std::string source;
    mandate::compile_result compiled;
    std::shared_ptr<const mandate::bound_mandate> bound;
    const auto heap_before_policy = heap_in_use();
    if (const int code = load_mandate(options.policy_path, options.mandate_name,
                                      options.arguments, source, compiled, bound);
        code != exit_ok) {
        return code;
    }
    memory_figures memory;
    memory.policy_heap_bytes = heap_growth(heap_before_policy, heap_in_use());

    std::ifstream file;
    std::istream* input = open_charges(options.charges_path, file);
    if (input == nullptr) return exit_usage;
    stream_tally tally;
    std::deque<charge_document> documents;
    decode_stream(*input, documents, tally);
    if (tally.skipped > max_skipped_named) {
        std::cerr << "mandate: bench: skipped " << tally.skipped
                  << " malformed charge lines in all\n";
    }
    if (documents.empty()) {
        std::cerr << "mandate: no charge to time in '" << options.charges_path << "': "
                  << (tally.lines == 0 ? "it holds no charge lines"
                                       : "every charge line is malformed")
                  << "\n";
        return exit_usage;
    }

    std::deque<budget_state> states;
    const auto stream = replay_stream(*bound, documents, states, tally);
    memory.replay_states = states.size();
    for (const auto& state : states) memory.replay_bytes += state_bytes(state);
    memory.state_bytes = state_bytes(states.back());

    timing t = time_stream(*bound, stream, options);

    // Every pass decides the same stream against the same states, so the timed
    // approvals must match the replay's; anything else is a bug in the engine.
    const std::uint64_t passes = t.checks / stream.size();
    const std::uint64_t rest = t.checks % stream.size();
    std::uint64_t expected = passes * tally.approved;
    for (std::size_t i = 0; i < rest; ++i) {
        expected += decide(*bound, *stream[i].state, *stream[i].request).approved ? 1u : 0u;
    }
    if (t.approved != expected) {
        std::cerr << "mandate: bench: the timed decisions approved " << t.approved
                  << " charges where the replay predicts " << expected
                  << "; decisions are not deterministic\n";
        return exit_refused;
    }

    memory.peak_rss_bytes = peak_rss_bytes();
    const summary s = summarize(t);
    if (options.json) {
        print_json(options, bound->name(), tally, t, s, memory);
    } else {
        print_text(options, bound->name(), tally, t, s, memory);
    }
    return exit_ok;
}

}  // namespace

void add_bench_command(CLI::App& app, std::vector<command>& commands) {
    auto options = std::make_shared<bench_options>();
    auto* bench = app.add_subcommand(
        "bench", "Time a mandate on a file of charges: checks per second, latency, memory");
    bench->add_option("policy", options->policy_path, "Policy file (.mandate)")->required();
    bench->add_option("charges", options->charges_path,
                      "JSON-lines file of charges, as check reads them, or - for standard input");
    bench->add_option("--mandate", options->mandate_name,
                      "Mandate to use; may be left out when the file holds one");
    bench->add_option("--args", options->arguments,
                      "Arguments as a JSON object, as for check (default {})");
    auto* duration = bench->add_option("--duration", options->duration,
                                       "How long to time decisions, after the warm-up "
                                       "(default 1s)")
                         ->check(positive_duration());
    bench->add_option("--iterations", options->iterations,
                      "Time this many checks instead of a duration (rounded up to batches of "
                      "64)")
        ->check(CLI::PositiveNumber)
        ->excludes(duration);
    bench->add_option("--warmup", options->warmup,
                      "Decide the stream untimed for this long first (default 200ms)")
        ->check(positive_duration());
    bench->add_flag("--json", options->json, "Print the figures as one JSON object");
    commands.push_back({bench, [options] { return run_bench(*options); }});
}

}  // namespace mandate::cli
