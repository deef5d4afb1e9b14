#include "util/files.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
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


expected<void> replace_file(const std::string& path, const std::string& content,
                            replace_mode how) {
  namespace fs = std::filesystem;
  auto target = fs::path(path);
  auto dir = target.parent_path();
  std::error_code err;
  if (!dir.empty()) {
    fs::create_directories(dir, err);
    if (err)
      return make_error(ec::filesystem_error,
                        "cannot create '" + dir.string() + "': " + err.message());
  }
  mode_t mode = how.mode;
  struct stat st {};
  if (how.keep_existing && ::stat(path.c_str(), &st) == 0)
    mode = st.st_mode & 07777;
  auto temp = (dir / ("." + target.filename().string() + ".tmp." + std::to_string(::getpid())))
                .string();
  int fd = -1;
  // `error` is the errno of the call that failed, taken before close() can
  // overwrite it.
  auto fail = [&](const std::string& what, int error) {
    ::unlink(temp.c_str());
    return make_error(ec::filesystem_error, what + ": " + std::strerror(error));
  };
  auto close_and_fail = [&](const std::string& what) {
    int error = errno;
    ::close(fd);
    return fail(what, error);
  };
  // O_EXCL: never write through a file (or link) someone else put there; a
  // temporary left by a crashed process of the same pid is removed once.
  fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0 && errno == EEXIST && ::unlink(temp.c_str()) == 0)
    fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return make_error(ec::filesystem_error,
                      "cannot write '" + temp + "': " + std::strerror(errno));
  const char* data = content.data();
  std::size_t left = content.size();
  while (left > 0) {
    auto n = ::write(fd, data, left);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return close_and_fail("cannot write '" + temp + "'");
    data += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fchmod(fd, mode) != 0)
    return close_and_fail("cannot set the mode of '" + temp + "'");
  if (::fsync(fd) != 0)
    return close_and_fail("cannot write '" + temp + "'");
  if (::close(fd) != 0)
    return fail("cannot write '" + temp + "'", errno);
  if (::rename(temp.c_str(), path.c_str()) != 0)
    return fail("cannot move the new file over '" + path + "'", errno);
  return {};
}

} // namespace cafflow
