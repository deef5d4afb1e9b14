#include "util/sd_notify.hpp"

#include <cstddef>
#include <cstdlib>
#include <cstring>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace cafflow {

bool notify_systemd(const std::string& state) {
  const char* path = std::getenv("NOTIFY_SOCKET");
  if (path == nullptr || (path[0] != '/' && path[0] != '@'))
    return false;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  auto length = std::strlen(path);
  if (length >= sizeof(address.sun_path))
    return false;
  std::memcpy(address.sun_path, path, length);
  if (path[0] == '@') // an abstract socket: its name starts with a NUL byte
    address.sun_path[0] = '\0';
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return false;
  auto size = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + length);
  auto sent = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL,
                       reinterpret_cast<const sockaddr*>(&address), size);
  ::close(fd);
  return sent == static_cast<ssize_t>(state.size());
}

} // namespace cafflow
