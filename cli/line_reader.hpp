// Lines from a file descriptor, read with read(2) into our own buffer.
//
// `mandate authorize --stream` commits whatever lines are already waiting as one
// batch. Whether more are waiting is asked of the descriptor with poll(2), which
// only knows about bytes the kernel still holds: a stdio or iostream buffer would
// hide lines it had already taken in. Here the only buffer is this one, and
// next(false) looks at it before asking poll.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

namespace mandate::cli {

class line_reader {
public:
    // A line longer than `max_line_bytes` is cut to that length and the rest of
    // it, up to its newline, is skipped: the cut line still gets its answer (a
    // refusal, as it is too large), and memory stays bounded.
    line_reader(int fd, std::size_t max_line_bytes);

    // The next line without its newline (nor a trailing carriage return); the
    // last line of the input needs no newline. With `wait`, blocks until a line
    // or the end of the input arrives; without, returns nullopt as soon as no
    // complete line is buffered and the descriptor has nothing to read now.
    // nullopt with `wait` means the input has ended.
    std::optional<std::string> next(bool wait);

    // Why reading stopped early, when it was not the end of the input.
    const std::string& error() const noexcept { return error_; }

private:
    std::optional<std::string> take_line();
    bool input_waiting() const;
    void read_chunk();

    int fd_;
    std::size_t max_line_bytes_;
    std::string buffer_;
    std::size_t start_ = 0;  // where the unread part of buffer_ begins
    bool ended_ = false;     // read(2) returned 0, or failed
    bool skipping_ = false;  // dropping the rest of a line that was too long
    std::string error_;
};

}  // namespace mandate::cli
