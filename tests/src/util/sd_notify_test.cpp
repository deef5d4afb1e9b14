#include "util/sd_notify.hpp"

#include <cstdlib>
#include <string>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include "fixtures.hpp"

using namespace cafflow;
using namespace cafflow::test;

TEST_SUITE("util/sd_notify") {

TEST_CASE("readiness reaches the socket systemd names, and nothing happens without one") {
  temp_dir dir;
  auto path = dir / "notify.sock";
  int fd = ::socket(AF_UNIX, SOCK_DGRAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::snprintf(address.sun_path, sizeof(address.sun_path), "%s", path.c_str());
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);

  ::unsetenv("NOTIFY_SOCKET");
  CHECK_FALSE(notify_systemd("READY=1"));

  ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
  CHECK(notify_systemd("READY=1\nSTATUS=worker 127.0.0.1:2851 is up"));
  char buffer[256] = {};
  auto n = ::recv(fd, buffer, sizeof(buffer) - 1, MSG_DONTWAIT);
  CHECK(std::string(buffer, n > 0 ? static_cast<std::size_t>(n) : 0)
        == "READY=1\nSTATUS=worker 127.0.0.1:2851 is up");

  // A socket that is not there: false, no crash.
  ::setenv("NOTIFY_SOCKET", (dir / "missing.sock").c_str(), 1);
  CHECK_FALSE(notify_systemd("READY=1"));
  ::unsetenv("NOTIFY_SOCKET");
  ::close(fd);
}

}
