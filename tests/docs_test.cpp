// Every shell example in the documentation runs as written and prints what the
// page shows.
//
// In docs/**/*.md and README.md, fenced blocks are read in order:
// - a block whose info string holds `file=NAME` (```mandate file=lunch.mandate)
//   is written to NAME in the page's working directory, so a page can create the
//   files its later commands use;
// - a ```console block holds commands, each on a line starting with "$ ", followed
//   by the output they print, standard error included. A command line ending in
//   '\' continues on the next, as in sh: the backslash and the line break are
//   removed and the lines joined. Each command runs in its own sh, so shell
//   variables do not carry over from one "$ " line to the next.
//   Other blocks are illustrations and are not run.
//
// Each page runs in a scratch directory holding copies of stdlib-policies/ and
// examples/, with the `mandate` binary first on PATH. Random ids and SHA-256
// hashes are compared by shape, not value: a prefix and 26 base32 characters
// (spt_7vdhksqxgmmsmaa6qot7of7pr4), a prefix and 37 (the time-ordered
// auth_aaaaaaaaaaa5zyinzylzugbzlv6vexxej45rl), 64 hex digits. An id of another
// length is compared as written, so a page cannot show ids of the wrong shape.
// An expected line of just "..." stands for any number of lines.

#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support.hpp"

namespace {

namespace fs = std::filesystem;

const fs::path source_dir = MANDATE_SOURCE_DIR;
const fs::path binary = MANDATE_BINARY;

struct example {
    std::size_t line = 0;  // of the "$ " line in the page
    std::string command;
    std::vector<std::string> expected;
};

struct block {
    std::size_t line = 0;  // of the opening fence
    std::string info;      // what follows the opening fence
    std::vector<std::string> lines;
};

std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

// The fenced blocks of a Markdown page, in order.
std::vector<block> fenced_blocks(const std::string& page) {
    std::vector<block> blocks;
    const auto lines = split_lines(page);
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (lines[i].rfind("```", 0) != 0) continue;
        block b;
        b.line = i + 1;
        b.info = lines[i].substr(3);
        for (++i; i < lines.size() && lines[i].rfind("```", 0) != 0; ++i) {
            b.lines.push_back(lines[i]);
        }
        blocks.push_back(std::move(b));
    }
    return blocks;
}

// The value of `key=` in a fence's info string, or "".
std::string info_value(const std::string& info, const std::string& key) {
    std::istringstream words(info);
    for (std::string word; words >> word;) {
        if (word.rfind(key + "=", 0) == 0) return word.substr(key.size() + 1);
    }
    return {};
}

bool is_console(const std::string& info) {
    std::istringstream words(info);
    std::string language;
    words >> language;
    return language == "console";
}

std::vector<example> console_examples(const block& b) {
    std::vector<example> examples;
    for (std::size_t i = 0; i < b.lines.size(); ++i) {
        const std::string& line = b.lines[i];
        if (line.rfind("$ ", 0) == 0) {
            example e;
            e.line = b.line + 1 + i;
            e.command = line.substr(2);
            // A backslash before the line break joins the lines, as sh would.
            while (!e.command.empty() && e.command.back() == '\\' && i + 1 < b.lines.size()) {
                e.command.pop_back();
                e.command += b.lines[++i];
            }
            examples.push_back(std::move(e));
        } else if (!examples.empty()) {
            examples.back().expected.push_back(line);
        }
    }
    return examples;
}

// Random ids and hashes differ on every run; compare their shape. The shapes are
// those of mandate::random_id and mandate::time_ordered_id (audit.hpp).
std::string normalize(const std::string& line) {
    static const std::regex time_ordered_id(R"(\b([a-z]{2,5})_[a-z2-7]{37}\b)");
    static const std::regex random_id(R"(\b([a-z]{2,5})_[a-z2-7]{26}\b)");
    static const std::regex hash(R"(\b[0-9a-f]{64}\b)");
    std::string out = std::regex_replace(line, time_ordered_id, "$1_<time-ordered id>");
    out = std::regex_replace(out, random_id, "$1_<id>");
    out = std::regex_replace(out, hash, "<sha256>");
    while (!out.empty() && (out.back() == ' ' || out.back() == '\r')) out.pop_back();
    return out;
}

// Whether `got` matches `expected`, where an expected "..." line matches any
// number of lines.
bool matches(const std::vector<std::string>& expected, std::size_t e,
             const std::vector<std::string>& got, std::size_t g) {
    if (e == expected.size()) return g == got.size();
    if (expected[e] == "...") {
        for (std::size_t skip = g; skip <= got.size(); ++skip) {
            if (matches(expected, e + 1, got, skip)) return true;
        }
        return false;
    }
    return g < got.size() && normalize(expected[e]) == normalize(got[g]) &&
           matches(expected, e + 1, got, g + 1);
}

std::string shell_quoted(const std::string& text) {
    std::string out = "'";
    for (const char c : text) {
        if (c == '\'') out += "'\\''";
        else out += c;
    }
    return out + "'";
}

// Runs `command` with sh in `directory`; standard output and error together.
std::string run(const fs::path& directory, const std::string& command) {
    const std::string line = "cd " + shell_quoted(directory.string()) +
                             " && PATH=" + shell_quoted(binary.parent_path().string()) +
                             ":\"$PATH\" NO_COLOR=1 sh -c " + shell_quoted(command) +
                             " 2>&1 </dev/null";
    FILE* pipe = ::popen(line.c_str(), "r");
    REQUIRE(pipe != nullptr);
    std::string out;
    char buffer[4096];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) {
        out.append(buffer, n);
    }
    ::pclose(pipe);
    return out;
}

std::vector<fs::path> pages() {
    std::vector<fs::path> found{source_dir / "README.md"};
    for (const auto& entry : fs::recursive_directory_iterator(source_dir / "docs")) {
        if (entry.is_regular_file() && entry.path().extension() == ".md") {
            found.push_back(entry.path());
        }
    }
    std::sort(found.begin(), found.end());
    return found;
}

// Runs one page; returns how many commands it ran.
std::size_t run_page(const fs::path& page) {
    const auto blocks = fenced_blocks(mandate::testing::read_file(page));
    const bool has_console = std::any_of(blocks.begin(), blocks.end(),
                                         [](const block& b) { return is_console(b.info); });
    if (!has_console) return 0;

    mandate::testing::scratch_dir work("mandate-docs");
    for (const char* tree : {"stdlib-policies", "examples"}) {
        fs::copy(source_dir / tree, work.path() / tree, fs::copy_options::recursive);
    }

    std::size_t ran = 0;
    const std::string where = fs::relative(page, source_dir).string();
    for (const block& b : blocks) {
        if (const auto name = info_value(b.info, "file"); !name.empty()) {
            std::ofstream out(work.path() / name, std::ios::binary);
            for (const auto& line : b.lines) out << line << '\n';
            REQUIRE(out.good());
            continue;
        }
        if (!is_console(b.info)) continue;
        for (const example& e : console_examples(b)) {
            const auto got = split_lines(run(work.path(), e.command));
            std::string shown;
            for (const auto& line : got) shown += line + '\n';
            INFO(where << ":" << e.line << ": $ " << e.command << "\nprinted:\n" << shown);
            CHECK(matches(e.expected, 0, got, 0));
            ++ran;
        }
    }
    return ran;
}

}  // namespace

TEST_CASE("the docs test reads blocks, ids and wildcards as documented", "[docs]") {
    const auto blocks = fenced_blocks(
        "text\n```mandate file=a.mandate\nmandate a() {}\n```\n"
        "```console\n$ echo one \\\nand two\none and two\n$ true\n```\n");
    REQUIRE(blocks.size() == 2);
    CHECK(info_value(blocks[0].info, "file") == "a.mandate");
    CHECK_FALSE(is_console(blocks[0].info));
    REQUIRE(is_console(blocks[1].info));
    const auto examples = console_examples(blocks[1]);
    REQUIRE(examples.size() == 2);
    CHECK(examples[0].command == "echo one and two");
    CHECK(examples[0].expected == std::vector<std::string>{"one and two"});
    CHECK(examples[1].expected.empty());

    CHECK(normalize("token spt_7vdhksqxgmmsmaa6qot7of7pr4 ok") == "token spt_<id> ok");
    CHECK(normalize("auth_aaaaaaaaaaa5zyinzylzugbzlv6vexxej45rl") == "auth_<time-ordered id>");
    CHECK(normalize("auth_5zyinzylzugbzlv6vexxej45rl") == "auth_<id>");
    CHECK_FALSE(matches({"auth_5zyinzylzugbzlv6vexxej45rl"}, 0,
                        {"auth_aaaaaaaaaaa5zyinzylzugbzlv6vexxej45rl"}, 0));
    CHECK(normalize("spt_7vdhksqxgmmsmaa6qot7of7p") == "spt_7vdhksqxgmmsmaa6qot7of7p");
    CHECK(normalize("acct_staples") == "acct_staples");
    CHECK(matches({"a", "...", "d"}, 0, {"a", "b", "c", "d"}, 0));
    CHECK(matches({"a", "...", "d"}, 0, {"a", "d"}, 0));
    CHECK_FALSE(matches({"a", "d"}, 0, {"a", "b", "d"}, 0));
    CHECK_FALSE(matches({"a"}, 0, {"b"}, 0));
}

TEST_CASE("a console command continued over lines runs as one command", "[docs]") {
    const auto blocks = fenced_blocks(
        "```console\n"
        "$ printf '%s|' one \\\n"
        "    two \\\n"
        "    three\n"
        "one|two|three|\n"
        "$ echo '{\"a\": 1,' \\\n"
        "    '\"b\": 2}'\n"
        "{\"a\": 1, \"b\": 2}\n"
        "```\n");
    REQUIRE(blocks.size() == 1);
    const auto examples = console_examples(blocks[0]);
    REQUIRE(examples.size() == 2);

    mandate::testing::scratch_dir work("mandate-docs");
    for (const example& e : examples) {
        INFO("$ " << e.command);
        CHECK(matches(e.expected, 0, split_lines(run(work.path(), e.command)), 0));
    }
}

TEST_CASE("every console example in the docs prints what the docs show", "[docs]") {
    std::size_t ran = 0;
    for (const auto& page : pages()) ran += run_page(page);
    // The tutorial alone has more than this; a count of zero would mean the
    // examples were silently skipped.
    CHECK(ran >= 10);
}
