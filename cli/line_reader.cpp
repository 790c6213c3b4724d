#include "cli/line_reader.hpp"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace mandate::cli {

namespace {

constexpr std::size_t chunk_bytes = 64 * 1024;

void drop_carriage_return(std::string& line) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
}

// Waits until `fd` can be read, for `timeout_ms` (-1: as long as it takes).
bool readable(int fd, int timeout_ms) {
    pollfd watched{fd, POLLIN, 0};
    // POLLHUP and POLLERR count too: read(2) then returns at once, with the end
    // of the input or the error.
    return ::poll(&watched, 1, timeout_ms) > 0;
}

}  // namespace

line_reader::line_reader(int fd, std::size_t max_line_bytes)
    : fd_(fd), max_line_bytes_(max_line_bytes) {}

std::optional<std::string> line_reader::next(bool wait) {
    for (;;) {
        if (auto line = take_line()) return line;
        if (ended_) return std::nullopt;
        if (!wait && !input_waiting()) return std::nullopt;
        read_chunk();
    }
}

std::optional<std::string> line_reader::take_line() {
    for (std::size_t newline = buffer_.find('\n', start_); newline != std::string::npos;
         newline = buffer_.find('\n', start_)) {
        std::string line = buffer_.substr(start_, newline - start_);
        start_ = newline + 1;
        if (skipping_) {
            skipping_ = false;  // the end of a line already answered in part
            continue;
        }
        drop_carriage_return(line);
        return line;
    }

    // No newline is buffered: keep only the partial line.
    buffer_.erase(0, start_);
    start_ = 0;
    if (skipping_) {
        buffer_.clear();
        return std::nullopt;
    }
    if (buffer_.size() > max_line_bytes_) {
        std::string cut = buffer_.substr(0, max_line_bytes_);
        buffer_.clear();
        skipping_ = true;
        return cut;
    }
    if (ended_ && !buffer_.empty()) {
        std::string last = std::move(buffer_);
        buffer_.clear();
        drop_carriage_return(last);
        return last;
    }
    return std::nullopt;
}

bool line_reader::input_waiting() const { return readable(fd_, 0); }

void line_reader::read_chunk() {
    const std::size_t before = buffer_.size();
    buffer_.resize(before + chunk_bytes);
    for (;;) {
        const ssize_t got = ::read(fd_, buffer_.data() + before, chunk_bytes);
        if (got > 0) {
            buffer_.resize(before + static_cast<std::size_t>(got));
            return;
        }
        const int error = errno;
        if (got < 0 && error == EINTR) continue;
        // A descriptor left non-blocking by whoever started us: wait for it.
        if (got < 0 && (error == EAGAIN || error == EWOULDBLOCK) && readable(fd_, -1)) continue;
        buffer_.resize(before);
        ended_ = true;
        if (got < 0) error_ = std::strerror(error);
        return;
    }
}

}  // namespace mandate::cli
