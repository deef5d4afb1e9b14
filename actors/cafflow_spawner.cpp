// cafflow-spawner: starts and reaps the tasks of one worker (src/exec/spawner.hpp).
// Started by `cafflowd --role worker`, never by hand.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>

#include "exec/spawner.hpp"

int main(int argc, char** argv) {
  int fd = -1;
  bool cgroups = true;
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--fd") == 0 && i + 1 < argc)
      fd = std::atoi(argv[++i]);
    else if (std::strcmp(argv[i], "--no-cgroups") == 0)
      cgroups = false;
  if (fd < 0 || fcntl(fd, F_GETFD) < 0) {
    std::fprintf(stderr, "cafflow-spawner: started by cafflowd --role worker, not by hand "
                         "(usage: cafflow-spawner --fd N [--worker ADDRESS] [--no-cgroups])\n");
    return 64;
  }
  cafflow::run_spawner(fd, cgroups);
}
