#include "util/files.hpp"

#include <cerrno>
#include <cstring>
#include <limits>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace cafflow {

namespace {

error cannot_read(const std::string& path, const std::string& why) {
  return make_error(ec::filesystem_error, "cannot read '" + path + "': " + why);
}

} // namespace

expected<std::string> read_file(const std::string& path) {
  return read_file(path, std::numeric_limits<std::size_t>::max());
}

expected<std::string> read_file(const std::string& path, std::size_t max_bytes) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused below).
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0)
    return cannot_read(path, std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    auto err = errno;
    ::close(fd);
    return cannot_read(path, std::strerror(err));
  }
  if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode)) {
    ::close(fd);
    return cannot_read(path, S_ISDIR(st.st_mode) ? "it is a directory" : "it is not a file");
  }
  auto too_large = [&](std::size_t size) {
    return make_error(ec::invalid_argument,
                      "'" + path + "' is " + std::to_string(size)
                        + " bytes, larger than the limit of " + std::to_string(max_bytes));
  };
  if (S_ISREG(st.st_mode) && static_cast<std::size_t>(st.st_size) > max_bytes) {
    ::close(fd);
    return too_large(static_cast<std::size_t>(st.st_size));
  }
  std::string content;
  if (S_ISREG(st.st_mode) && st.st_size > 0)
    content.reserve(static_cast<std::size_t>(st.st_size));
  char buf[64 * 1024];
  for (;;) {
    auto n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      auto err = errno;
      ::close(fd);
      return cannot_read(path, std::strerror(err));
    }
    if (n == 0)
      break;
    content.append(buf, static_cast<std::size_t>(n));
    // It grew while we read (or /proc reports no size).
    if (content.size() > max_bytes) {
      ::close(fd);
      return too_large(content.size());
    }
  }
  ::close(fd);
  return content;
}

} // namespace cafflow
