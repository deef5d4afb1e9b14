// cafflow-spawner: starts and reaps the tasks of one worker (src/exec/spawner.hpp).
// Started by `cafflowd --role worker`, never by hand.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>

#include "exec/spawner.hpp"

int main(int argc, char** argv) {
  int fd = -1;
  for (int i = 1; i + 1 < argc; i += 2)
    if (std::strcmp(argv[i], "--fd") == 0)
      fd = std::atoi(argv[i + 1]);
  if (fd < 0 || fcntl(fd, F_GETFD) < 0) {
    std::fprintf(stderr, "cafflow-spawner: started by cafflowd --role worker, not by hand "
                         "(usage: cafflow-spawner --fd N [--worker ADDRESS])\n");
    return 64;
  }
  cafflow::run_spawner(fd);
}
