// What cafflow refuses to start on (issue 13): a store file that exists but
// is empty or not a cafflow database (it would have become a new, empty
// store), and --conf naming a directory or a file it cannot read (it ran on
// the built-in defaults). Exit 1 naming the file, and 78 (EX_CONFIG).
#include <filesystem>

#include <doctest/doctest.h>

#include "cluster.hpp"

using namespace cafflow;
using namespace cafflow::test;

namespace fs = std::filesystem;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// Starts the master on a store file prepared by `prepare`; returns its exit
/// code and output.
command_result master_on(const std::function<void(const std::string&)>& prepare) {
  cluster c(cluster_options(1));
  auto db = c.dir("data/cafflow.db");
  fs::create_directories(c.dir("data"));
  fs::create_directories(c.dir("logs"));
  prepare(db);
  auto before = read_file(db);
  c.start_master();
  command_result result;
  result.exit_code = c.master()->wait(std::chrono::seconds(30));
  auto port = c.master_address().substr(c.master_address().rfind(':') + 1);
  result.output = read_file(c.dir("logs/master-" + port + ".out"));
  CHECK(read_file(db) == before); // untouched
  CHECK(contains(result.output, db));
  return result;
}

} // namespace

TEST_SUITE_BEGIN("refusal");

TEST_CASE("an empty store file refuses to start the master, naming the file") {
  auto r = master_on([](const std::string& db) { write_file(db, ""); });
  CHECK(r.exit_code == 1);
  CHECK(contains(r.output, "is empty (0 bytes): it is not a cafflow database"));
}

TEST_CASE("a store file that is not SQLite, or SQLite of something else, refuses the start") {
  auto garbage = master_on([](const std::string& db) { write_file(db, "hello, not a database\n"); });
  CHECK(garbage.exit_code == 1);
  CHECK(contains(garbage.output, "is not an SQLite database"));
  auto foreign = master_on([](const std::string& db) {
    auto made = run_command({"/usr/bin/python3", "-c",
                             "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
                             "c.execute('CREATE TABLE people (name TEXT)'); c.commit()",
                             db});
    REQUIRE(made.exit_code == 0);
  });
  CHECK(foreign.exit_code == 1);
  CHECK(contains(foreign.output, "holds tables (people) but not cafflow's"));
}

TEST_CASE("--conf naming a directory is exit 78 for cafflowd and cafflow") {
  temp_dir dir;
  fs::create_directories(dir / "conf.d");
  auto daemon = run_command({CAFFLOWD_BIN, "--role", "master", "--conf", dir / "conf.d"});
  CHECK(daemon.exit_code == 78);
  CHECK(contains(daemon.output, "it is a directory"));
  CHECK(contains(daemon.output, dir / "conf.d"));
  auto cli = run_command({CAFFLOW_CLI_BIN, "--conf", dir / "conf.d", "workflow", "list"});
  CHECK(cli.exit_code == 78);
  CHECK(contains(cli.output, "it is a directory"));
}

TEST_CASE("--conf naming a file that cannot be read is exit 78 for cafflowd and cafflow") {
  // Root reads every file: run both as nobody, on a file only root may read.
  temp_dir dir;
  fs::permissions(dir.path(), fs::perms::owner_all | fs::perms::others_read
                                | fs::perms::others_exec);
  auto conf = dir / "secret.ini";
  write_file(conf, "[worker]\nslots = 2\n");
  fs::permissions(conf, fs::perms::owner_read | fs::perms::owner_write);
  std::vector<std::string> as_nobody{"setpriv", "--reuid=65534", "--regid=65534",
                                     "--clear-groups", "--"};
  auto with = [&](std::vector<std::string> command) {
    command.insert(command.begin(), as_nobody.begin(), as_nobody.end());
    return command;
  };
  auto daemon = run_command(with({CAFFLOWD_BIN, "--role", "master", "--conf", conf}));
  CHECK(daemon.exit_code == 78);
  CHECK(contains(daemon.output, "cannot read '" + conf + "': Permission denied"));
  auto cli = run_command(with({CAFFLOW_CLI_BIN, "--conf", conf, "config", "show"}));
  CHECK(cli.exit_code == 78);
  CHECK(contains(cli.output, "Permission denied"));
}

TEST_SUITE_END();
