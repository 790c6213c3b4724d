// Whole-file reads with POSIX calls: an std::ifstream opens a directory without
// complaint and then reads nothing, which made a directory look like an empty file.

#include "tools/file_text.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <utility>

namespace mandate::tools::detail {

namespace {

std::string error_text(int error) {
    std::string text = std::strerror(error);
    if (!text.empty()) {
        text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
    }
    return text;
}

// Why a file of this type is not read, or empty when it is.
std::string type_problem(mode_t mode) {
    if (S_ISDIR(mode)) return "is a directory";
    if (S_ISREG(mode) || S_ISFIFO(mode) || S_ISCHR(mode)) return {};
    return "is not a regular file";
}

}  // namespace

bool read_file_text(const std::string& path, std::string& contents, std::string& problem) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        problem = error_text(errno);
        return false;
    }

    // The type of what was opened, not of what the path named a moment before.
    struct stat info {};
    if (::fstat(fd, &info) != 0) {
        problem = error_text(errno);
        ::close(fd);
        return false;
    }
    problem = type_problem(info.st_mode);
    if (!problem.empty()) {
        ::close(fd);
        return false;
    }

    std::string bytes;
    if (S_ISREG(info.st_mode) && info.st_size > 0) {
        bytes.reserve(static_cast<std::size_t>(info.st_size));
    }
    char buffer[65536];
    for (;;) {
        const ssize_t got = ::read(fd, buffer, sizeof buffer);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) {
            problem = error_text(errno);
            ::close(fd);
            return false;
        }
        if (got == 0) break;
        bytes.append(buffer, static_cast<std::size_t>(got));
    }
    ::close(fd);
    contents = std::move(bytes);
    return true;
}

std::string stream_problem(const std::string& path) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) return error_text(errno);
    std::string problem = type_problem(info.st_mode);
    if (problem.empty() && ::access(path.c_str(), R_OK) != 0) problem = error_text(errno);
    return problem;
}

}  // namespace mandate::tools::detail
