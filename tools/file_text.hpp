// Reading a whole policy, charge or test file, with the reason when it cannot be
// read. Shared by the command line and by `mandate test`, so that a directory or
// a failed read is refused everywhere instead of being read as an empty file.
#pragma once

#include <string>

namespace mandate::tools::detail {

// Reads all of `path` into `contents`. Regular files, pipes and character devices
// (`/dev/stdin`, `<(...)` in a shell) are read; a directory or anything else is
// refused, as is a failed open or read. On failure `contents` is left as it was and
// `problem` says why, in lower case: "is a directory", "no such file or directory".
bool read_file_text(const std::string& path, std::string& contents, std::string& problem);

// Why `path` cannot be read as a stream of lines, or empty when it can (it may
// still fail later, like any read). The same rules as read_file_text, without
// reading; for callers that stream a file instead of reading it whole.
std::string stream_problem(const std::string& path);

}  // namespace mandate::tools::detail
