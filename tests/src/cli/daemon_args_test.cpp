#include "cli/daemon_args.hpp"

#include <doctest/doctest.h>

using namespace cafflow;

namespace {

expected<daemon_args> parse(std::vector<std::string> args) {
  args.insert(args.begin(), "cafflowd");
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  return parse_daemon_args(static_cast<int>(argv.size()), argv.data());
}

} // namespace

TEST_SUITE_BEGIN("daemon_args");

TEST_CASE("roles, config file, overrides") {
  auto a = parse({"--role", "worker", "--conf", "/c.ini", "--address", "127.0.0.1:2852",
                  "--set", "worker.slots=2", "--set", "log.level=debug"});
  REQUIRE(a);
  CHECK(a->role == role::worker);
  CHECK(a->conf == "/c.ini");
  CHECK(a->address == "127.0.0.1:2852");
  CHECK(a->overrides.size() == 2);
}

TEST_CASE("bad arguments are errors naming them") {
  auto bad_role = parse({"--role", "boss"});
  REQUIRE_FALSE(bad_role);
  CHECK(bad_role.error().message.find("unknown role 'boss'") != std::string::npos);
  CHECK_FALSE(parse({}));
  CHECK_FALSE(parse({"--role", "master", "--frobnicate"}));
}

TEST_CASE("a worker's address must be one of cluster.workers") {
  auto cfg = load_config({"", {}, {"cluster.workers=127.0.0.1:1,127.0.0.1:2"}});
  REQUIRE(cfg);
  daemon_args a;
  a.role = role::worker;
  CHECK(role_address(*cfg, a)->port == 1);
  a.address = "127.0.0.1:2";
  CHECK(role_address(*cfg, a)->port == 2);
  a.address = "127.0.0.1:3";
  auto bad = role_address(*cfg, a);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find("not in cluster.workers (127.0.0.1:1, 127.0.0.1:2)") !=
        std::string::npos);
  CHECK(log_file_name(a, *parse_host_port("127.0.0.1:2")) == "worker-2.log");
}

TEST_CASE("a standby serves cluster.standby and needs one configured") {
  auto parsed = parse({"--role", "standby"});
  REQUIRE(parsed);
  CHECK(parsed->role == role::standby);
  CHECK(is_master_role(role::standby));
  CHECK(is_master_role(role::master));
  CHECK_FALSE(is_master_role(role::worker));
  auto none = load_config({"", {}, {}});
  REQUIRE(none);
  auto missing = role_address(*none, *parsed);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message.find("no standby is configured (set cluster.standby)")
        != std::string::npos);
  auto cfg = load_config({"", {}, {"cluster.standby=127.0.0.1:2760"}});
  REQUIRE(cfg);
  CHECK(role_address(*cfg, *parsed)->port == 2760);
  CHECK(log_file_name(*parsed, *parse_host_port("127.0.0.1:2760")) == "standby-2760.log");
  parsed->address = "127.0.0.1:2751";
  auto wrong = role_address(*cfg, *parsed);
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().message.find("is not cluster.standby (127.0.0.1:2760)") != std::string::npos);
}

TEST_SUITE_END();
