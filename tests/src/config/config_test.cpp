#include "config/config.hpp"

#include <filesystem>

#include <doctest/doctest.h>

#include "config/ini.hpp"
#include "fixtures.hpp"
#include "util/strings.hpp"

using namespace cafflow;
using cafflow::test::temp_dir;
using cafflow::test::write_file;

TEST_SUITE_BEGIN("config");

TEST_CASE("without a file every key has its default") {
  auto cfg = load_config({});
  REQUIRE(cfg);
  CHECK(cfg->cluster.master.to_string() == "127.0.0.1:2751");
  REQUIRE(cfg->cluster.workers.size() == 1);
  CHECK(cfg->cluster.workers[0].port == 2851);
  CHECK(cfg->cluster.http.port == 8090);
  CHECK(cfg->cluster.standby.host.empty());
  CHECK(cfg->worker.slots == 4);
  CHECK(cfg->log.level == "info");
}

TEST_CASE("conf/cafflow.ini sets every key to its default, with a comment") {
  auto path = std::string(CAFFLOW_SOURCE_DIR) + "/conf/cafflow.ini";
  auto text = test::read_file(path);
  auto entries = parse_ini(text, path);
  REQUIRE(entries);
  for (const auto& key : config_keys()) {
    CAPTURE(key.section + "." + key.key);
    const ini_entry* found = nullptr;
    for (const auto& e : *entries)
      if (e.section == key.section && e.key == key.key)
        found = &e;
    REQUIRE(found != nullptr);
    CHECK(found->value == key.default_value);
    // Every key line carries a comment explaining it.
    auto line_no = std::stoul(found->origin.substr(found->origin.rfind(':') + 1));
    auto lines = split_lines(text);
    REQUIRE(line_no <= lines.size());
    const auto& line = lines[line_no - 1];
    CHECK(line.find(';') != std::string::npos);
  }
  CHECK(entries->size() == config_keys().size());
}

TEST_CASE("relative paths resolve against the parent of the config directory") {
  temp_dir dir;
  write_file(dir / "conf/c.ini", "[paths]\ndata = var/data\n");
  auto cfg = load_config({dir / "conf/c.ini", {}, {}});
  REQUIRE(cfg);
  CHECK(cfg->home == dir.path());
  CHECK(cfg->paths.data == dir / "var/data");
  CHECK(cfg->paths.xmlconfig == dir / "xmlconfig");
  CHECK(cfg->store.url == "sqlite:" + (dir / "data/cafflow.db"));
}

TEST_CASE("an unknown key names the file, line and a suggestion") {
  temp_dir dir;
  write_file(dir / "c.ini", "[cluster]\nname = x\nmastr = 127.0.0.1:1\n");
  auto cfg = load_config({dir / "c.ini", {}, {}});
  REQUIRE_FALSE(cfg);
  CHECK(cfg.error().code == ec::invalid_config);
  CHECK(cfg.error().message.find(dir / "c.ini:3") != std::string::npos);
  CHECK(cfg.error().message.find("cluster.mastr") != std::string::npos);
  CHECK(cfg.error().message.find("did you mean 'cluster.master'") != std::string::npos);
}

TEST_CASE("malformed values name the key and where the value came from") {
  temp_dir dir;
  write_file(dir / "c.ini", "[worker]\nslots = many\n[cluster]\nworkers = 127.0.0.1:99999\n");
  auto cfg = load_config({dir / "c.ini", {}, {}});
  REQUIRE_FALSE(cfg);
  const auto& msg = cfg.error().message;
  CHECK(msg.find(":2: worker.slots: expected a whole number, got 'many'") != std::string::npos);
  CHECK(msg.find(":4: cluster.workers: invalid port") != std::string::npos);
}

TEST_CASE("out-of-range numbers are refused") {
  auto cfg = load_config({"", {}, {"worker.slots=0"}});
  REQUIRE_FALSE(cfg);
  CHECK(cfg.error().message.find("command line: worker.slots: must be between 1") !=
        std::string::npos);
}

TEST_CASE("precedence: defaults < file < environment < command line") {
  temp_dir dir;
  write_file(dir / "c.ini", "[worker]\nslots = 2\nkill_grace_s = 7\n[log]\nlevel = warn\n");
  auto cfg = load_config({dir / "c.ini",
                          {{"CAFFLOW_WORKER_SLOTS", "3"}, {"CAFFLOW_LOG_LEVEL", "error"}},
                          {"log.level=debug"}});
  REQUIRE(cfg);
  CHECK(cfg->worker.slots == 3);
  CHECK(cfg->worker.kill_grace_s == 7);
  CHECK(cfg->log.level == "debug");
}

TEST_CASE("a bad environment value names the variable") {
  auto cfg = load_config({"", {{"CAFFLOW_WORKER_SLOTS", "x"}}, {}});
  REQUIRE_FALSE(cfg);
  CHECK(cfg.error().message.find("environment CAFFLOW_WORKER_SLOTS") != std::string::npos);
}

TEST_CASE("unrelated CAFFLOW_ variables are ignored") {
  auto cfg = load_config({"", {{"CAFFLOW_CONF", "/x"}, {"CAFFLOW_INSTANCE_ID", "1"}}, {}});
  CHECK(cfg);
}

TEST_CASE("a key set twice in the file is an error naming both lines") {
  temp_dir dir;
  write_file(dir / "c.ini", "[worker]\nslots = 2\nslots = 3\n");
  auto cfg = load_config({dir / "c.ini", {}, {}});
  REQUIRE_FALSE(cfg);
  CHECK(cfg.error().message.find(":3: key 'worker.slots' is already set at") != std::string::npos);
}

TEST_CASE("all problems are reported at once") {
  temp_dir dir;
  write_file(dir / "c.ini", "[worker]\nslots = x\n[log]\nlevel = loud\nfoo = 1\n");
  auto cfg = load_config({dir / "c.ini", {}, {}});
  REQUIRE_FALSE(cfg);
  const auto& msg = cfg.error().message;
  CHECK(msg.find("worker.slots") != std::string::npos);
  CHECK(msg.find("log.level") != std::string::npos);
  CHECK(msg.find("log.foo") != std::string::npos);
}

TEST_CASE("a missing config file is an error") {
  auto cfg = load_config({"/nonexistent/cafflow.ini", {}, {}});
  REQUIRE_FALSE(cfg);
  CHECK(cfg.error().message.find("/nonexistent/cafflow.ini") != std::string::npos);
}

TEST_CASE("several workers, duplicates refused, at least one required") {
  auto two = load_config({"", {}, {"cluster.workers=127.0.0.1:1, 127.0.0.1:2"}});
  REQUIRE(two);
  CHECK(two->cluster.workers.size() == 2);
  auto dup = load_config({"", {}, {"cluster.workers=127.0.0.1:1,127.0.0.1:1"}});
  REQUIRE_FALSE(dup);
  CHECK(dup.error().message.find("listed twice") != std::string::npos);
  auto none = load_config({"", {}, {"cluster.workers="}});
  REQUIRE_FALSE(none);
  CHECK(none.error().message.find("at least one worker") != std::string::npos);
}

TEST_CASE("store URLs") {
  CHECK(load_config({"", {}, {"store.url=mysql://u:p@127.0.0.1:3306/db"}}));
  auto bad = load_config({"", {}, {"store.url=postgres://x"}});
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find("store.url: unsupported store URL") != std::string::npos);
}

TEST_CASE("prepare_paths creates data and logs and requires xmlconfig") {
  temp_dir dir;
  write_file(dir / "conf/c.ini", "");
  auto cfg = load_config({dir / "conf/c.ini", {}, {}});
  REQUIRE(cfg);
  auto missing = prepare_paths(*cfg, true);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message.find("paths.xmlconfig") != std::string::npos);
  std::filesystem::create_directories(dir / "xmlconfig");
  CHECK(prepare_paths(*cfg, true));
  CHECK(std::filesystem::is_directory(dir / "data"));
  CHECK(std::filesystem::is_directory(dir / "logs"));
}

TEST_CASE("effective values list every key with resolved paths") {
  temp_dir dir;
  write_file(dir / "conf/c.ini", "");
  auto cfg = load_config({dir / "conf/c.ini", {}, {}});
  REQUIRE(cfg);
  CHECK(cfg->effective.size() == config_keys().size());
  for (const auto& [name, value] : cfg->effective)
    if (name == "paths.logs")
      CHECK(value == dir / "logs");
}

TEST_CASE("http token and open_reads") {
  auto defaults = load_config({"", {}, {}});
  REQUIRE(defaults);
  CHECK(defaults->http.token.empty());
  CHECK(defaults->http.open_reads);
  CHECK(defaults->cluster.http.host == "127.0.0.1");

  auto set = load_config({"", {{"CAFFLOW_HTTP_TOKEN", "s3cret-from-env"}},
                          {"http.open_reads=false"}});
  REQUIRE(set);
  CHECK(set->http.token == "s3cret-from-env");
  CHECK_FALSE(set->http.open_reads);
  // Scripts read it with `cafflow config get http.token` (sbin/lib.sh conf_get).
  for (const auto& [name, value] : set->effective)
    if (name == "http.token")
      CHECK(value == "s3cret-from-env");

  auto bad_bool = load_config({"", {}, {"http.open_reads=maybe"}});
  REQUIRE_FALSE(bad_bool);
  CHECK(bad_bool.error().message.find("http.open_reads: expected true or false, got 'maybe'")
        != std::string::npos);

  auto bad_token = load_config({"", {}, {"http.token=two words"}});
  REQUIRE_FALSE(bad_token);
  CHECK(bad_token.error().message.find("http.token: must not contain spaces")
        != std::string::npos);
  CHECK(bad_token.error().message.find("two words") == std::string::npos);
}

TEST_CASE("http allow_shutdown needs a token") {
  auto defaults = load_config({"", {}, {}});
  REQUIRE(defaults);
  CHECK_FALSE(defaults->http.allow_shutdown);

  // Without a token every request would be let through: anyone who reaches
  // the HTTP port could stop the cluster.
  auto open = load_config({"", {}, {"http.allow_shutdown=true"}});
  REQUIRE_FALSE(open);
  CHECK(open.error().code == ec::invalid_config);
  CHECK(open.error().message.find("command line: http.allow_shutdown = true needs http.token")
        != std::string::npos);

  temp_dir dir;
  write_file(dir / "c.ini", "[http]\nallow_shutdown = true\ntoken =\n");
  auto from_file = load_config({dir / "c.ini", {}, {}});
  REQUIRE_FALSE(from_file);
  CHECK(from_file.error().message.find("c.ini:2: http.allow_shutdown = true needs http.token")
        != std::string::npos);

  auto guarded =
    load_config({"", {{"CAFFLOW_HTTP_TOKEN", "s3cret"}}, {"http.allow_shutdown=true"}});
  REQUIRE(guarded);
  CHECK(guarded->http.allow_shutdown);
  CHECK(guarded->http.token == "s3cret");
}

TEST_CASE("drain graces, the worker's host name and the remote install path") {
  auto cfg = load_config({"",
                          {},
                          {"master.drain_grace_s=0", "worker.drain_grace_s=7", "worker.host=etl-7",
                           "cluster.remote_home=/opt/cafflow"}});
  REQUIRE(cfg);
  CHECK(cfg->master.drain_grace_s == 0);
  CHECK(cfg->worker.drain_grace_s == 7);
  CHECK(cfg->worker.host == "etl-7");
  CHECK(cfg->cluster.remote_home == "/opt/cafflow");
  auto bad = load_config({"",
                          {},
                          {"worker.drain_grace_s=-1", "worker.host=etl 7",
                           "cluster.remote_home=opt/cafflow"}});
  REQUIRE_FALSE(bad);
  const auto& msg = bad.error().message;
  CHECK(msg.find("worker.drain_grace_s: must be between 0 and 86400, got -1") != std::string::npos);
  CHECK(msg.find("worker.host: expected a host name without spaces, commas or quotes, got 'etl 7'")
        != std::string::npos);
  CHECK(msg.find("cluster.remote_home: expected an absolute path, got 'opt/cafflow'")
        != std::string::npos);
}

TEST_CASE("the pools section defines named pools: bad names, sizes and duplicates are named") {
  temp_dir dir;
  write_file(dir / "c.ini", "[pools]\nwarehouse = 4\napi-1 = 1\n");
  auto cfg = load_config({dir / "c.ini", {}, {"pools.api-1=2", "pools.extra=7"}});
  REQUIRE(cfg);
  CHECK(cfg->pools == std::map<std::string, int>{{"warehouse", 4}, {"api-1", 2}, {"extra", 7}});
  CHECK(load_config({})->pools.empty());
  write_file(dir / "bad.ini", "[pools]\nware house = 4\nzero = 0\nmany = lots\nz2 = 1\nz2 = 2\n");
  auto bad = load_config({dir / "bad.ini", {}, {}});
  REQUIRE_FALSE(bad);
  const auto& msg = bad.error().message;
  CHECK(msg.find("pool name 'ware house' must be") != std::string::npos);
  CHECK(msg.find(":3: pools.zero must be a whole number between 1 and 100000, got '0'")
        != std::string::npos);
  CHECK(msg.find("pools.many must be a whole number") != std::string::npos);
  CHECK(msg.find(":6: pool 'z2' is already defined") != std::string::npos);
  CHECK_FALSE(load_config({{}, {}, {"pools.x=-1"}}));
}

TEST_SUITE_END();

TEST_CASE("the standby and the lease settings") {
  auto defaults = load_config({"", {}, {}});
  REQUIRE(defaults);
  CHECK(defaults->master.lease_ttl_ms == 3000);
  CHECK(defaults->master.lease_renew_ms == 1000);
  CHECK(defaults->master.lease_margin_ms == 500);
  CHECK(defaults->master_addresses().size() == 1);
  auto both = load_config({"", {}, {"cluster.standby=127.0.0.1:2752"}});
  REQUIRE(both);
  REQUIRE(both->master_addresses().size() == 2);
  CHECK(both->master_addresses()[1].to_string() == "127.0.0.1:2752");
  auto same = load_config({"", {}, {"cluster.standby=127.0.0.1:2751"}});
  REQUIRE_FALSE(same);
  CHECK(same.error().message.find("cluster.standby: 127.0.0.1:2751 is also cluster.master")
        != std::string::npos);
  // The master must renew before it has to stop acting.
  auto late = load_config({"", {}, {"master.lease_ttl_ms=1500", "master.lease_renew_ms=1000"}});
  REQUIRE_FALSE(late);
  CHECK(late.error().message.find("master.lease_renew_ms: 1000 + master.lease_margin_ms 500 "
                                  "must be below master.lease_ttl_ms 1500")
        != std::string::npos);
  CHECK(load_config({"", {}, {"master.lease_ttl_ms=1600", "master.lease_renew_ms=1000"}}));
  auto hook = load_config({"", {}, {"master.failover_hook=/bin/true --flag"}});
  REQUIRE(hook);
  CHECK(hook->master.failover_hook == "/bin/true --flag");
}

TEST_CASE("tls: on by default in <data>/tls, explicit files all three or none") {
  test::temp_dir dir;
  auto conf = dir / "conf/cafflow.ini";
  test::write_file(conf, "[paths]\ndata = var\n");
  auto cfg = load_config({conf, {}, {}});
  REQUIRE(cfg);
  CHECK(cfg->tls.enabled);
  CHECK(cfg->tls.dir == dir / "var/tls");
  CHECK(cfg->tls.cert.empty());
  auto off = load_config({conf, {{"CAFFLOW_TLS_ENABLED", "false"}}, {"tls.dir=certs"}});
  REQUIRE(off);
  CHECK_FALSE(off->tls.enabled);
  CHECK(off->tls.dir == dir / "certs");
  auto partial = load_config({conf, {}, {"tls.cert=/etc/c.pem"}});
  REQUIRE_FALSE(partial);
  CHECK(partial.error().message.find("tls.ca, tls.cert and tls.key: set all three or none")
        != std::string::npos);
  auto all = load_config({conf, {}, {"tls.cert=/etc/c.pem", "tls.key=k.pem", "tls.ca=ca.pem"}});
  REQUIRE(all);
  CHECK(all->tls.key == dir / "k.pem");
  auto bad = load_config({conf, {}, {"tls.enabled=perhaps"}});
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find("tls.enabled: expected true or false") != std::string::npos);
}
