#include "exec/task.hpp"

#include <sys/stat.h>

#include <doctest/doctest.h>

#include "fixtures.hpp"
#include "util/strings.hpp"

using namespace cafflow;
using cafflow::test::temp_dir;

namespace {

attempt_spec spec_of(const std::string& type, const std::string& payload) {
  attempt_spec s;
  s.instance_id = "00ab";
  s.workflow = "wf";
  s.node = "load/orders";
  s.attempt = 2;
  s.action_type = type;
  s.payload = payload;
  s.params = {{"day", "2026-11-20"}, {"evil", "$(rm -rf /); `x`"}};
  s.logical_time = 1763596800000; // 2025-11-20T00:00:00Z
  return s;
}

bool has_env(const process_spec& p, const std::string& item) {
  return std::find(p.env.begin(), p.env.end(), item) != p.env.end();
}

} // namespace

TEST_SUITE_BEGIN("task");

TEST_CASE("a script is written verbatim and run with bash by default") {
  temp_dir dir;
  task_dirs dirs{dir / "work", dir / "logs", {}};
  auto p = prepare_task(spec_of("script", "echo 'a  b'\nexit 0\n"), dirs, {"PATH=/bin"});
  REQUIRE(p);
  REQUIRE(p->argv.size() == 2);
  CHECK(p->argv[0] == "bash");
  CHECK(test::read_file(p->argv[1]) == "echo 'a  b'\nexit 0\n");
  CHECK(p->work_dir == dir / "work/00ab/load_orders.2");
  CHECK(p->log_path == dir / "logs/00ab/load_orders.2.log");
}

TEST_CASE("a shebang picks the interpreter") {
  temp_dir dir;
  auto p = prepare_task(spec_of("script", "#!/usr/bin/env python3\nprint(1)\n"),
                        {dir / "work", dir / "logs", {}}, {});
  REQUIRE(p);
  REQUIRE(p->argv.size() == 1);
  struct stat st{};
  REQUIRE(stat(p->argv[0].c_str(), &st) == 0);
  CHECK((st.st_mode & S_IXUSR) != 0);
}

TEST_CASE("a shell action runs through /bin/sh -c") {
  temp_dir dir;
  auto p = prepare_task(spec_of("shell", "echo hi"), {dir / "w", dir / "l", {}}, {});
  REQUIRE(p);
  CHECK(p->argv == std::vector<std::string>{"/bin/sh", "-c", "echo hi"});
}

TEST_CASE("the environment carries the instance and its params, not the daemon's config") {
  temp_dir dir;
  auto p = prepare_task(spec_of("shell", "true"), {dir / "w", dir / "l", {}},
                        {"PATH=/bin", "CAFFLOW_STORE_URL=mysql://u:secret@h/db",
                         "CAFFLOW_CONF=/etc/c.ini"});
  REQUIRE(p);
  CHECK(has_env(*p, "PATH=/bin"));
  CHECK(has_env(*p, "CAFFLOW_CONF=/etc/c.ini"));
  CHECK_FALSE(has_env(*p, "CAFFLOW_STORE_URL=mysql://u:secret@h/db"));
  CHECK(has_env(*p, "CAFFLOW_INSTANCE_ID=00ab"));
  CHECK(has_env(*p, "CAFFLOW_WORKFLOW=wf"));
  CHECK(has_env(*p, "CAFFLOW_NODE=load/orders"));
  CHECK(has_env(*p, "CAFFLOW_ATTEMPT=2"));
  CHECK(has_env(*p, "CAFFLOW_LOGICAL_TIME=2025-11-20T00:00:00.000Z"));
  CHECK(has_env(*p, "CAFFLOW_PARAM_day=2026-11-20"));
  CHECK(has_env(*p, "CAFFLOW_PARAM_evil=$(rm -rf /); `x`"));
}

TEST_CASE("unknown action types are refused") {
  temp_dir dir;
  auto p = prepare_task(spec_of("teleport", "x"), {dir / "w", dir / "l", {}}, {});
  REQUIRE_FALSE(p);
  CHECK(p.error().message == "this worker cannot run actions of type 'teleport'");
}

TEST_CASE("an exec kind's spec must be its JSON object") {
  temp_dir dir;
  auto p = prepare_task(spec_of("sql", "select 1"), {dir / "w", dir / "l", {}}, {});
  REQUIRE_FALSE(p);
  CHECK(p.error().message.find("sql spec is not valid JSON") != std::string::npos);
  auto ok = prepare_task(spec_of("sql", R"({"db_link":"x","sql":"select 1"})"),
                         {dir / "w", dir / "l", {}}, {});
  REQUIRE(ok);
  CHECK(ok->argv.size() == 3);
  CHECK(ends_with(ok->argv[0], "/cafflow-exec"));
  CHECK(ok->argv[1] == "sql");
}

TEST_CASE("node names become safe file names") {
  CHECK(safe_file_name("a/b") == "a_b");
  CHECK(safe_file_name("..") == "_..");
  CHECK(safe_file_name("加载") == "加载");
}

TEST_CASE("names that could lead a log path astray are refused") {
  CHECK(log_name_problem("extract").empty());
  CHECK(log_name_problem("001a1ff65c663000").empty());
  CHECK(log_name_problem("加载 a..b").empty());
  CHECK(log_name_problem(std::string(max_log_name_bytes, 'n')).empty());
  CHECK(log_name_problem("") == "it is empty");
  CHECK(log_name_problem(".") == "it is '.'");
  CHECK(log_name_problem("..") == "it is '..'");
  CHECK(log_name_problem("../../etc/passwd") == "it contains '/'");
  CHECK(log_name_problem("a\\b") == "it contains '\\'");
  CHECK(log_name_problem(std::string("a\0b", 3)) == "it contains a control character");
  CHECK(log_name_problem("a\nb") == "it contains a control character");
  CHECK(log_name_problem(std::string(max_log_name_bytes + 1, 'n')) == "it is longer than 200 bytes");
}

TEST_SUITE_END();
