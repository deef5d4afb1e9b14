#include "http/akkaflow.hpp"

#include <cctype>
#include <filesystem>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "fixtures.hpp"
#include "util/hash.hpp"
#include "xml/db_links.hpp"
#include "xml/file_links.hpp"
#include "xml/workflow_parser.hpp"

using namespace cafflow;
using nlohmann::json;

namespace {

/// A backend with canned answers that records what it was asked: workflow
/// "w" (file /x/w.xml) exists, instance "01" has ended, "live" runs.
class fake_backend : public api_backend {
public:
  bool master_up = true;
  start_request last_start;
  int starts = 0;
  std::string last_rerun_id;
  rerun_request last_rerun;
  std::string last_coordinate;
  std::string last_kill;
  int resets_all = 0;
  std::string last_fired;
  /// What fire_coordinator answers (the instances it started).
  std::string fire_answer = "05,06";
  std::string last_deleted;
  int shutdowns = 0;

  error no_master() const {
    return make_error(ec::master_unreachable, "the master at 127.0.0.1:1 is not reachable");
  }

  expected<health_record> health() override {
    if (!master_up)
      return no_master();
    health_record h;
    h.cluster = "c";
    h.master = "127.0.0.1:2751";
    h.workers.push_back(worker_record{"127.0.0.1:2851", "127.0.0.1", 4, 1, {}, 5, "up"});
    h.workers.push_back(worker_record{"10.0.0.7:2852", "10.0.0.7", 2, 0, {}, 5, "up"});
    return h;
  }
  /// The store knows the master: akkaflow's cluster listing must still
  /// follow health() alone (503 without a master).
  expected<cluster_view> cluster() override {
    cluster_view v;
    v.cluster = "c";
    v.epoch = 1;
    v.lease_holder = "127.0.0.1:2751";
    v.masters.push_back(master_entry{{"127.0.0.1:2751", "active", 1, "h", 1, 1}, 2});
    return v;
  }
  expected<std::vector<workflow_record>> workflows() override {
    return std::vector<workflow_record>{};
  }
  expected<std::vector<xml_file_record>> xml_files() override {
    return std::vector<xml_file_record>{};
  }
  expected<std::vector<instance_record>> instances(const instance_filter&) override {
    return std::vector<instance_record>{};
  }
  expected<instance_record> instance(const std::string& id) override {
    if (id != "01")
      return make_error(ec::unknown_instance, "no instance with id '" + id + "'");
    instance_record r;
    r.id = id;
    r.status = "failed";
    return r;
  }
  expected<workflow_detail> workflow(const std::string& name) override {
    if (!master_up)
      return no_master();
    if (name != "w")
      return make_error(ec::unknown_workflow, "no workflow named '" + name + "' is loaded");
    workflow_detail d;
    d.record = workflow_record{name, "/", "", "me", "/x/w.xml", "h", 2, 7, 3, "active"};
    return d;
  }
  expected<std::string> start(const start_request& request) override {
    if (!master_up)
      return no_master();
    if (request.workflow != "w")
      return make_error(ec::unknown_workflow,
                        "no workflow named '" + request.workflow + "' is loaded");
    last_start = request;
    ++starts;
    return std::string("02");
  }
  expected<void> rerun(const std::string& id, const rerun_request& request) override {
    if (id == "live")
      return make_error(ec::conflict, "instance live is running: kill it or wait for its end");
    if (id != "01")
      return make_error(ec::unknown_instance, "no instance with id '" + id + "'");
    last_rerun_id = id;
    last_rerun = request;
    return {};
  }
  expected<void> coordinate(const std::string& name, const std::string& action) override {
    if (name != "w")
      return make_error(ec::unknown_workflow, "no workflow named '" + name + "' is loaded");
    last_coordinate = name + ":" + action;
    return {};
  }
  expected<void> reset_coordinators() override {
    ++resets_all;
    return {};
  }
  expected<void> kill(const std::string& id) override {
    if (id == "01")
      return make_error(ec::conflict, "instance 01 is not running (it is failed)");
    if (id != "live")
      return make_error(ec::unknown_instance, "no instance with id '" + id + "'");
    last_kill = id;
    return {};
  }
  expected<std::string> fire_coordinator(const std::string& name) override {
    if (!master_up)
      return no_master();
    last_fired = name;
    return fire_answer;
  }
  expected<void> delete_instance(const std::string& id) override {
    if (id == "live")
      return make_error(ec::conflict, "instance live is running: kill it or wait for its end "
                                      "before deleting it");
    if (id != "01")
      return make_error(ec::unknown_instance, "no instance with id '" + id + "'");
    last_deleted = id;
    return {};
  }
  expected<void> shutdown() override {
    if (!master_up)
      return no_master();
    ++shutdowns;
    return {};
  }
  expected<log_chunk> node_log(const std::string&, const std::string&, int,
                               std::int64_t) override {
    return make_error(ec::unknown_instance, "no log");
  }
  expected<metrics_snapshot> metrics() override {
    return make_error(ec::unspecified, "no metrics here");
  }
};

/// The fake with a folder of definition files that it "loads" the way the
/// master's watcher does: every *.xml below `dir`, parsed, is a loaded (or
/// invalid) file; the loaded workflows are the backend's workflows.
class files_backend : public fake_backend {
public:
  explicit files_backend(std::string dir) : dir_(std::move(dir)) {}

  std::vector<std::string> downstream_of_up;

  expected<std::vector<xml_file_record>> xml_files() override {
    std::vector<xml_file_record> files;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir_)) {
      if (e.path().extension() != ".xml")
        continue;
      auto text = test::read_file(e.path().string());
      auto parsed = parse_definition(text, e.path().string());
      xml_file_record f;
      f.path = e.path().string();
      f.kind = parsed.kind;
      f.name = parsed.declared_name;
      f.status = has_errors(parsed.diagnostics) ? "invalid" : "loaded";
      f.hash = content_hash(text);
      files.push_back(f);
    }
    return files;
  }
  expected<std::vector<workflow_record>> workflows() override {
    std::vector<workflow_record> list;
    auto files = xml_files();
    for (const auto& f : *files)
      if (f.kind == "workflow" && f.status == "loaded") {
        // The folder below xmlconfig as its dir ("/" at the top).
        auto rel = std::filesystem::path(f.path).lexically_relative(dir_).parent_path();
        auto folder = "/" + rel.generic_string();
        if (folder == "/.")
          folder = "/";
        list.push_back(
          workflow_record{f.name, folder, "", "me", f.path, f.hash, 1, 3, 1, "active"});
      }
    return list;
  }
  expected<workflow_detail> workflow(const std::string& name) override {
    auto list = workflows();
    for (const auto& w : *list)
      if (w.name == name) {
        workflow_detail d;
        d.record = w;
        if (name == "up")
          for (const auto& down : downstream_of_up)
            for (const auto& other : *list)
              if (other.name == down)
                d.downstream.push_back(down);
        return d;
      }
    return make_error(ec::unknown_workflow, "no workflow named '" + name + "' is loaded");
  }

private:
  std::string dir_;
};

const std::string wf_xml(const std::string& name, const std::string& coordinator = "") {
  return "<work-flow name=\"" + name + "\">" + coordinator
         + "<start name=\"s\" to=\"a\"/><action name=\"a\"><shell><command>true</command>"
           "</shell><ok to=\"e\"/></action><end name=\"e\"/></work-flow>";
}

/// "xml=" and the definition, percent-encoded as a form field.
std::string form(const std::string& field, const std::string& xml) {
  std::string out = field + "=";
  const char* hex = "0123456789ABCDEF";
  for (unsigned char c : xml)
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.')
      out += static_cast<char>(c);
    else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  return out;
}

http_request request(const std::string& method, const std::string& target) {
  http_request r;
  r.method = method;
  auto q = target.find('?');
  r.path = target.substr(0, q);
  if (q != std::string::npos)
    r.query = target.substr(q + 1);
  return r;
}

http_response call(fake_backend& b, const std::string& method, const std::string& target) {
  return handle_akkaflow(b, request(method, target));
}

http_response post(fake_backend& b, const std::string& target, const std::string& body,
                   const akkaflow_settings& settings) {
  auto r = request("POST", target);
  r.body = body;
  return handle_akkaflow(b, r, settings);
}

/// The parsed envelope; fails the test when the body is not one.
json envelope_of(const http_response& r) {
  auto body = json::parse(r.body, nullptr, false);
  REQUIRE(body.is_object());
  CHECK(body.size() == 3);
  CHECK(body.contains("result"));
  CHECK(body.contains("msg"));
  CHECK(body.contains("data"));
  CHECK(r.content_type == "application/json");
  return body;
}

/// Checks a "fail" answer with `status` whose msg contains `text`.
void check_fail(const http_response& r, int status, const std::string& text) {
  CAPTURE(r.body);
  CHECK(r.status == status);
  auto body = envelope_of(r);
  CHECK(body["result"] == "fail");
  CHECK(body["data"].is_null());
  CHECK(body["msg"].get<std::string>().find(text) != std::string::npos);
}

} // namespace

TEST_SUITE_BEGIN("akkaflow");

// sbin/akka-workflow-run:
//   curl -s -XGET "http://$host:$port/akkaflow/workflow/$wf_name?action=run&$param"
TEST_CASE("run passes every other query parameter as a run parameter") {
  fake_backend b;
  auto r =
    call(b, "GET", "/akkaflow/workflow/w?action=run&stadate=2017-12-12&city=guang%20zhou");
  CHECK(r.status == 200);
  auto body = envelope_of(r);
  CHECK(body["result"] == "success");
  CHECK(body["data"] == "02");
  CHECK(body["msg"].get<std::string>().find("02") != std::string::npos);
  CHECK(b.last_start.workflow == "w");
  CHECK(b.last_start.trigger == "manual");
  CHECK(b.last_start.params == param_map{{"stadate", "2017-12-12"}, {"city", "guang zhou"}});
  // '+' is a space in a query (curl --data-urlencode, HTML forms); %2B a plus.
  CHECK(call(b, "GET", "/akkaflow/workflow/w?action=run&city=guang+zhou%2B1").status == 200);
  CHECK(b.last_start.params == param_map{{"city", "guang zhou+1"}});
  // The script without --param leaves a trailing '&'.
  auto bare = call(b, "GET", "/akkaflow/workflow/w?action=run&");
  CHECK(bare.status == 200);
  CHECK(b.last_start.params.empty());
  check_fail(call(b, "GET", "/akkaflow/workflow/nope?action=run"), 404,
             "no workflow named 'nope'");
}

// sbin/akka-workflow-trigger: ...?action=trigger; HttpServer.scala: ignore_node=a,b
TEST_CASE("trigger and trigger-blood start a trigger and a lineage run") {
  fake_backend b;
  auto r = call(b, "GET", "/akkaflow/workflow/w?action=trigger");
  CHECK(r.status == 200);
  CHECK(envelope_of(r)["data"] == "02");
  CHECK(b.last_start.trigger == "trigger");
  CHECK(b.last_start.params.empty());
  CHECK(call(b, "POST", "/akkaflow/workflow/w?action=trigger&ignore_node=").status == 200);
  CHECK(call(b, "GET", "/akkaflow/workflow/w?action=trigger-blood").status == 200);
  CHECK(b.last_start.trigger == "lineage");
  CHECK(b.starts == 3);
}

TEST_CASE("trigger skips the nodes given in ignore_node") {
  fake_backend b;
  CHECK(call(b, "GET", "/akkaflow/workflow/w?action=trigger&ignore_node=a,b").status == 200);
  CHECK(b.last_start.trigger == "trigger");
  CHECK(b.last_start.options.skip == std::vector<std::string>{"a", "b"});
  CHECK(b.starts == 1);
  check_fail(call(b, "GET", "/akkaflow/workflow/w?action=trigger&recover=true"), 400,
             "unknown query parameter 'recover' for action=trigger (expected ignore_node)");
  CHECK(b.starts == 1);
}

// sbin/akka-workflow-reset: ...?action=reset
TEST_CASE("reset resets the coordinator of the workflow") {
  fake_backend b;
  auto r = call(b, "GET", "/akkaflow/workflow/w?action=reset");
  CHECK(r.status == 200);
  auto body = envelope_of(r);
  CHECK(body["result"] == "success");
  CHECK(body["data"].is_null());
  CHECK(b.last_coordinate == "w:reset");
  check_fail(call(b, "GET", "/akkaflow/workflow/x?action=reset"), 404, "no workflow named 'x'");
}

// sbin/akka-workflow-del: ...?action=del
TEST_CASE("del without a reachable xmlconfig is refused and names the file") {
  fake_backend b;
  check_fail(call(b, "GET", "/akkaflow/workflow/w?action=del"), 501,
             "which this http process cannot reach; delete /x/w.xml on the master's host");
  check_fail(call(b, "GET", "/akkaflow/workflow/x?action=del"), 404, "no workflow named 'x'");
}

// sbin/akka-workflow-check and sbin/akka-workflow-add (POST xml=..., before
// 2.7 content=...), sbin/akka-workflow-del, and the coordinator routes of
// akkaflow <= 2.7 (sbin/akka-coor-*).
TEST_CASE("check and add and del of definitions work on the files of xmlconfig") {
  test::temp_dir dir;
  std::filesystem::create_directories(dir / "xmlconfig");
  test::write_file(dir / "xmlconfig/etl/up.xml", wf_xml("up"));
  files_backend b(dir / "xmlconfig");
  akkaflow_settings settings;
  settings.xmlconfig = dir / "xmlconfig";
  settings.load_wait = std::chrono::milliseconds(0);
  auto down = wf_xml("down", "<coordinator><depend-list cron=\"0 1 * * * *\"><workflow "
                             "name=\"up\"/></depend-list></coordinator>");
  // check: valid, with the warnings as data.
  auto checked = post(b, "/akkaflow/workflow?action=check", form("xml", down), settings);
  CAPTURE(checked.body);
  CHECK(checked.status == 200);
  auto body = envelope_of(checked);
  CHECK(body["msg"] == "the workflow 'down' is valid");
  REQUIRE(body["data"].size() == 1);
  CHECK(body["data"][0].get<std::string>().find("6 fields") != std::string::npos);
  check_fail(post(b, "/akkaflow/workflow?action=check",
                  form("xml", wf_xml("orphan", "<coordinator><depend-list><workflow "
                                               "name=\"gone\"/></depend-list></coordinator>")),
                  settings),
             400, "it names workflows that are not loaded: gone");
  check_fail(post(b, "/akkaflow/workflow?action=check", form("xml", "<work-flow name=\"x\">"),
                  settings),
             400, "the definition has errors: line 1: malformed XML");
  check_fail(post(b, "/akkaflow/workflow?action=check", "", settings), 400,
             "the form field 'xml'");
  check_fail(post(b, "/akkaflow/workflow?action=check", form("file", down), settings), 400,
             "unknown form field 'file'");
  check_fail(call(b, "GET", "/akkaflow/workflow?action=check"), 405, "use POST");
  // add: a new file in xmlconfig; again: the same file, replaced.
  auto added = post(b, "/akkaflow/workflow?action=add&path=%2Fhome%2Fme%2Fdown.xml",
                    form("xml", down), settings);
  CHECK(added.status == 200);
  CHECK(envelope_of(added)["data"] == "down");
  CHECK(envelope_of(added)["msg"]
        == "added workflow 'down': " + (dir / "xmlconfig/down.xml") + " is loaded");
  CHECK(test::read_file(dir / "xmlconfig/down.xml") == down);
  auto up2 = wf_xml("up", "<coordinator is-enabled=\"false\"/>");
  auto replaced = post(b, "/akkaflow/workflow?action=add", form("content", up2), settings);
  CHECK(envelope_of(replaced)["msg"]
        == "replaced workflow 'up': " + (dir / "xmlconfig/etl/up.xml") + " is loaded");
  CHECK(test::read_file(dir / "xmlconfig/etl/up.xml") == up2);
  check_fail(post(b, "/akkaflow/workflow?action=add", form("xml", "<coordinator name=\"c\"/>"),
                  settings),
             400, "this is a coordinator definition; send it to /akkaflow/coor?action=add");
  check_fail(post(b, "/akkaflow/workflow?action=add", form("xml", down), {}), 501,
             "copy the file into it instead");
  // del: refused while another workflow depends on it, else its file goes.
  b.downstream_of_up = {"down"};
  check_fail(call(b, "GET", "/akkaflow/workflow/up?action=del"), 409,
             "workflow 'up' is a dependency of down");
  auto del = handle_akkaflow(b, request("GET", "/akkaflow/workflow/down?action=del"), settings);
  CHECK(del.status == 200);
  CHECK(envelope_of(del)["msg"] == "deleted workflow 'down': removed " + (dir / "xmlconfig/down.xml")
                                     + "; its instances stay in the history");
  CHECK_FALSE(std::filesystem::exists(dir / "xmlconfig/down.xml"));
  // Standalone coordinators (akkaflow <= 2.7) go to xmlconfig/coordinators/.
  auto coor = std::string("<coordinator name=\"c1\" start=\"2016-09-10 10:00:00\" "
                          "end=\"2099-09-10 10:00:00\"><trigger><cron config=\"0 1 * * *\"/>"
                          "</trigger><workflow-list><workflow path=\"up\"/></workflow-list>"
                          "</coordinator>");
  CHECK(post(b, "/akkaflow/coor?action=check", form("content", coor), settings).status == 200);
  auto coor_added = post(b, "/akkaflow/coor?action=add", form("content", coor), settings);
  CHECK(coor_added.status == 200);
  CHECK(test::read_file(dir / "xmlconfig/coordinators/c1.xml") == coor);
  auto got = handle_akkaflow(b, request("GET", "/akkaflow/coor/c1?action=get"), settings);
  CHECK(envelope_of(got)["data"]["status"] == "loaded");
  // trigger (sbin/akka-coor-trigger): it fires now, answering its instances.
  auto fired = handle_akkaflow(b, request("GET", "/akkaflow/coor/c1?action=trigger"), settings);
  CHECK(fired.status == 200);
  CHECK(envelope_of(fired)["result"] == "success");
  CHECK(envelope_of(fired)["data"] == json::array({"05", "06"}));
  CHECK(envelope_of(fired)["msg"] == "triggered coordinator 'c1': instance(s) 05, 06");
  CHECK(b.last_fired == "c1");
  b.fire_answer = "";
  auto skipped = handle_akkaflow(b, request("GET", "/akkaflow/coor/c1?action=trigger"), settings);
  CHECK(skipped.status == 200);
  CHECK(envelope_of(skipped)["data"] == json::array());
  CHECK(envelope_of(skipped)["msg"].get<std::string>().find("started nothing")
        != std::string::npos);
  check_fail(handle_akkaflow(b, request("GET", "/akkaflow/coor/c1?action=trigger&x=1"), settings),
             400, "unknown query parameter 'x'");
  check_fail(handle_akkaflow(b, request("GET", "/akkaflow/coor/up?action=trigger"), settings), 404,
             "no coordinator named 'up'");
  CHECK(handle_akkaflow(b, request("GET", "/akkaflow/coor/c1?action=del"), settings).status == 200);
  CHECK_FALSE(std::filesystem::exists(dir / "xmlconfig/coordinators/c1.xml"));
  check_fail(handle_akkaflow(b, request("GET", "/akkaflow/coor/c1?action=get"), settings), 404,
             "no coordinator named 'c1'");
}

// sbin/akka-front: .../akkaflow/workflow/watting_instance/list
TEST_CASE("the waiting list has akkaflow's fields wfid and name") {
  struct waiting_backend : fake_backend {
    instance_filter asked;
    expected<std::vector<instance_record>> instances(const instance_filter& f) override {
      asked = f;
      instance_record r;
      r.id = "0a";
      r.workflow = "w";
      r.status = "queued";
      return std::vector<instance_record>{r};
    }
  } b;
  auto r = call(b, "GET", "/akkaflow/workflow/watting_instance/list");
  CHECK(r.status == 200);
  CHECK(envelope_of(r)["data"] == json::array({json{{"wfid", "0a"}, {"name", "w"}}}));
  CHECK(b.asked.status == "queued");
  check_fail(call(b, "GET", "/akkaflow/workflow/watting_instance/list?x=1"), 400,
             "unknown query parameter 'x'");
}

/// A form body of several fields (each value percent-encoded).
std::string fields(const std::vector<std::pair<std::string, std::string>>& items) {
  std::string out;
  for (const auto& [k, v] : items)
    out += (out.empty() ? "" : "&") + form(k, v);
  return out;
}

/// A "fail" answer of a link route: the status, the text, and the form field at fault.
void check_link_fail(const http_response& r, int status, const std::string& text,
                     const std::string& field) {
  CAPTURE(r.body);
  CHECK(r.status == status);
  auto body = envelope_of(r);
  CHECK(body["result"] == "fail");
  CHECK(body["msg"].get<std::string>().find(text) != std::string::npos);
  CHECK(body["data"]["field"] == field);
}

// akkaflow 2.10+: POST /akkaflow/db-link?action=add (form name, dbtype, jdbcUrl,
// username, password, desc, properties), /akkaflow/db-link/NAME?action=update|del.
TEST_CASE("db-link add and update and del edit conf/db_links.xml keeping the rest") {
  fake_backend b;
  test::temp_dir dir;
  akkaflow_settings settings;
  settings.db_links = dir / "conf/db_links.xml";
  const std::string original = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                               "<db-links>\n"
                               "  <!-- the warehouse: do not remove -->\n"
                               "  <link name=\"dw\" type=\"SQLITE\" jdbc-url=\"jdbc:sqlite:dw.db\"/>\n"
                               "</db-links>\n";
  test::write_file(settings.db_links, original);
  auto added = post(b, "/akkaflow/db-link?action=add",
                    fields({{"name", "local_mysql"}, {"dbtype", "mysql"},
                            {"jdbcUrl", "jdbc:mysql://127.0.0.1:3306/wf"}, {"username", "root"},
                            {"password", "Se<cr>et&1"}, {"desc", "akkaflow's example"},
                            {"properties", "useSSL=false&characterEncoding=utf8"}}),
                    settings);
  CAPTURE(added.body);
  CHECK(added.status == 200);
  CHECK(envelope_of(added)["result"] == "success");
  CHECK(envelope_of(added)["data"] == "local_mysql");
  CHECK(envelope_of(added)["msg"].get<std::string>().find("added db link 'local_mysql'")
        != std::string::npos);
  auto text = test::read_file(settings.db_links);
  CHECK(text.find("<!-- the warehouse: do not remove -->") != std::string::npos);
  CHECK(text.find("<?xml version=\"1.0\" encoding=\"UTF-8\"?>") == 0);
  CHECK(text.find("  <link name=\"dw\" type=\"SQLITE\" jdbc-url=\"jdbc:sqlite:dw.db\"/>") != std::string::npos);
  auto links = load_db_links(settings.db_links);
  CAPTURE(text);
  REQUIRE(links.find("local_mysql") != nullptr);
  const auto& l = *links.find("local_mysql");
  CHECK(l.type == "MYSQL");
  CHECK(l.password == "Se<cr>et&1");
  CHECK(l.desc == "akkaflow's example");
  CHECK(l.properties == std::map<std::string, std::string>{{"useSSL", "false"},
                                                           {"characterEncoding", "utf8"}});
  CHECK(links.find("dw") != nullptr);
  // list and get read the file, without passwords.
  auto list = handle_akkaflow(b, request("GET", "/akkaflow/db-link?action=list"), settings);
  CHECK(list.status == 200);
  auto data = envelope_of(list)["data"];
  REQUIRE(data.size() == 2);
  CHECK(data[1]["name"] == "local_mysql");
  CHECK(data[1]["jdbcUrl"] == "jdbc:mysql://127.0.0.1:3306/wf");
  CHECK(data[1]["password"] == "value");
  CHECK(list.body.find("Se<cr>et") == std::string::npos);
  auto got = handle_akkaflow(b, request("GET", "/akkaflow/db-link/local_mysql?action=get"), settings);
  CHECK(envelope_of(got)["data"]["dbtype"] == "MYSQL");
  check_link_fail(handle_akkaflow(b, request("GET", "/akkaflow/db-link/nope?action=get"), settings),
                  404, "no db link named 'nope'", "");
  // update: the fields sent change, the password and properties stay.
  auto updated = post(b, "/akkaflow/db-link/local_mysql?action=update",
                      fields({{"jdbcUrl", "jdbc:mysql://db2:3307/wf"}, {"desc", "moved"}}),
                      settings);
  CAPTURE(updated.body);
  CHECK(updated.status == 200);
  links = load_db_links(settings.db_links);
  CHECK(links.find("local_mysql")->jdbc_url == "jdbc:mysql://db2:3307/wf");
  CHECK(links.find("local_mysql")->password == "Se<cr>et&1");
  CHECK(links.find("local_mysql")->properties.size() == 2);
  // A property's name ends at the first '=': its value may hold more.
  auto with_eq = post(b, "/akkaflow/db-link/local_mysql?action=update",
                      fields({{"properties", "sessionVariables=sql_mode=ANSI&useSSL=false"}}),
                      settings);
  CAPTURE(with_eq.body);
  CHECK(with_eq.status == 200);
  CHECK(load_db_links(settings.db_links).find("local_mysql")->properties
        == std::map<std::string, std::string>{{"sessionVariables", "sql_mode=ANSI"},
                                              {"useSSL", "false"}});
  // Bad input: 4xx naming the field; the file stays as it was.
  auto before = test::read_file(settings.db_links);
  check_link_fail(post(b, "/akkaflow/db-link?action=add",
                       fields({{"name", "x"}, {"dbtype", "MYSQL"}, {"jdbcUrl", "jdbc:mysql:/x"}}),
                       settings),
                  400, "is not like jdbc:mysql://host:port/database", "jdbcUrl");
  check_link_fail(post(b, "/akkaflow/db-link?action=add",
                       fields({{"name", "x"}, {"dbtype", "DB2"}, {"jdbcUrl", "jdbc:db2://h/x"}}),
                       settings),
                  400, "unknown type 'DB2'", "dbtype");
  check_link_fail(post(b, "/akkaflow/db-link?action=add", fields({{"dbtype", "MYSQL"}}), settings),
                  400, "the link's name is missing", "name");
  check_link_fail(post(b, "/akkaflow/db-link?action=add",
                       fields({{"name", "x"}, {"dbtype", "MYSQL"}, {"jdbcUrl", "jdbc:mysql://h:1/x"},
                               {"properties", "useSSL"}}),
                       settings),
                  400, "'useSSL' is not NAME=VALUE", "properties");
  check_link_fail(post(b, "/akkaflow/db-link?action=add",
                       fields({{"name", "x"}, {"dbtype", "MYSQL"}, {"jdbcUrl", "jdbc:mysql://h:1/x"},
                               {"properties", "=on"}}),
                       settings),
                  400, "'=on' is not NAME=VALUE", "properties");
  check_link_fail(post(b, "/akkaflow/db-link?action=add",
                       fields({{"name", "x"}, {"dbtype", "MYSQL"}, {"jdbcUrl", "jdbc:mysql://h:1/x"},
                               {"properties", "a=1&a=2"}}),
                       settings),
                  400, "property 'a' is given twice", "properties");
  check_link_fail(post(b, "/akkaflow/db-link?action=add", fields({{"name", "x"}, {"colour", "red"}}),
                       settings),
                  400, "unknown form field", "colour");
  check_link_fail(post(b, "/akkaflow/db-link/ghost?action=update", fields({{"desc", "d"}}), settings),
                  404, "no db link named 'ghost'", "name");
  CHECK(test::read_file(settings.db_links) == before);
  // An ORACLE link goes in, with the warning that it needs an ODBC driver.
  auto oracle = post(b, "/akkaflow/db-link?action=add",
                     fields({{"name", "ora"}, {"dbtype", "ORACLE"},
                             {"jdbcUrl", "jdbc:oracle:thin:@db:1521:ORCL"}}),
                     settings);
  CHECK(oracle.status == 200);
  CHECK(envelope_of(oracle)["msg"].get<std::string>().find("odbc.oracle_driver") != std::string::npos);
  // del removes its line and nothing else.
  auto removed = handle_akkaflow(b, request("GET", "/akkaflow/db-link/local_mysql?action=del"), settings);
  CHECK(removed.status == 200);
  auto del_again = handle_akkaflow(b, request("GET", "/akkaflow/db-link/local_mysql?action=del"), settings);
  check_link_fail(del_again, 404, "no db link named 'local_mysql'", "name");
  handle_akkaflow(b, request("GET", "/akkaflow/db-link/ora?action=del"), settings);
  CHECK(test::read_file(settings.db_links) == original);
  // update needs a form body: POST.
  auto get_update = handle_akkaflow(b, request("GET", "/akkaflow/db-link/dw?action=update"), settings);
  check_fail(get_update, 405, "use POST with the link's fields");
}

TEST_CASE("file-link add and update and del edit conf/file_links.xml") {
  fake_backend b;
  test::temp_dir dir;
  akkaflow_settings settings;
  settings.file_links = dir / "file_links.xml"; // not there yet: created
  auto added = post(b, "/akkaflow/file-link?action=add",
                    fields({{"name", "hadoop"}, {"fstype", "HDFS"}, {"host", "nn1"},
                            {"port", "8020"}, {"username", "etl"}, {"password", ""},
                            {"desc", "the cluster"}}),
                    settings);
  CAPTURE(added.body);
  CHECK(added.status == 200);
  CHECK(envelope_of(added)["msg"].get<std::string>().find("hdfs.command") != std::string::npos);
  auto links = load_file_links(settings.file_links);
  auto hadoop = links.resolve("hadoop");
  REQUIRE(hadoop);
  CHECK(hadoop->type == "HDFS");
  CHECK(hadoop->port == 8020);
  CHECK((std::filesystem::status(settings.file_links).permissions() & std::filesystem::perms::others_read)
        == std::filesystem::perms::none);
  // The type, port and host are refused by the file links parser, which
  // names the attribute at fault.
  auto sftp = post(b, "/akkaflow/file-link?action=add",
                   fields({{"name", "s"}, {"fstype", "SFTP"}, {"host", "h"}, {"port", "22"}}),
                   settings);
  check_link_fail(sftp, 400, "file link 's' is refused: type SFTP", "fstype");
  CHECK(envelope_of(sftp)["msg"].get<std::string>().find("no SFTP client") != std::string::npos);
  check_link_fail(post(b, "/akkaflow/file-link?action=add",
                       fields({{"name", "f"}, {"fstype", "ftp"}, {"host", "h"}}), settings),
                  400, "unknown type 'FTP' (expected LOCAL or HDFS", "fstype");
  check_link_fail(post(b, "/akkaflow/file-link/hadoop?action=update", fields({{"port", "80x"}}),
                       settings),
                  400, "'80x' is not a port number", "port");
  check_link_fail(post(b, "/akkaflow/file-link?action=add",
                       fields({{"name", "h2"}, {"fstype", "HDFS"}}), settings),
                  400, "needs the namenode's 'host'", "host");
  // The field comes from the parser, not from words of the message: a link
  // named "report" or "passport" is not blamed on the port or the password.
  check_link_fail(post(b, "/akkaflow/file-link?action=add",
                       fields({{"name", "report"}, {"fstype", "HDFS"}}), settings),
                  400, "file link 'report': an HDFS link needs the namenode's 'host'", "host");
  check_link_fail(post(b, "/akkaflow/file-link?action=add",
                       fields({{"name", "passport"}, {"fstype", "LOCAL"}, {"port", "x1"}}),
                       settings),
                  400, "file link 'passport': port 'x1' is not a port number", "port");
  check_link_fail(post(b, "/akkaflow/file-link?action=add",
                       fields({{"name", "hostport"}, {"fstype", "LOCAL"}, {"port", "70000"}}),
                       settings),
                  400, "port '70000' is not a port number", "port");
  auto updated = post(b, "/akkaflow/file-link/hadoop?action=update", fields({{"host", "nn2"}}), settings);
  CHECK(updated.status == 200);
  CHECK(load_file_links(settings.file_links).resolve("hadoop")->host == "nn2");
  auto list = call(b, "GET", "/akkaflow/file-link?action=list");
  CHECK(envelope_of(list)["data"].size() == 0); // no file configured in these settings
  auto listed = handle_akkaflow(b, request("GET", "/akkaflow/file-link?action=list"), settings);
  REQUIRE(envelope_of(listed)["data"].size() == 1);
  CHECK(envelope_of(listed)["data"][0]["fstype"] == "HDFS");
  CHECK(handle_akkaflow(b, request("POST", "/akkaflow/file-link/hadoop?action=del"), settings).status
        == 200);
  CHECK_FALSE(load_file_links(settings.file_links).resolve("hadoop"));
  // Without a file configured the edits answer 501.
  check_link_fail(call(b, "GET", "/akkaflow/file-link/f?action=del"), 501,
                  "no file links file is configured", "");
}

TEST_CASE("get answers the workflow with its coordinator") {
  fake_backend b;
  auto r = call(b, "GET", "/akkaflow/workflow/w?action=get");
  CHECK(r.status == 200);
  auto body = envelope_of(r);
  CHECK(body["result"] == "success");
  CHECK(body["data"]["workflow"]["file"] == "/x/w.xml");
  CHECK(call(b, "HEAD", "/akkaflow/workflow/w?action=get").status == 200);
}

// sbin/akka-instance-kill: ...workflow/instance/$instance_id?action=kill
TEST_CASE("instance kill answers akkaflow's W_KILLED") {
  fake_backend b;
  auto r = call(b, "GET", "/akkaflow/workflow/instance/live?action=kill");
  CHECK(r.status == 200);
  auto body = envelope_of(r);
  CHECK(body["result"] == "success");
  CHECK(body["data"] == "W_KILLED");
  CHECK(b.last_kill == "live");
  check_fail(call(b, "GET", "/akkaflow/workflow/instance/01?action=kill"), 409,
             "is not running");
  check_fail(call(b, "GET", "/akkaflow/workflow/instance/zz?action=kill"), 404,
             "no instance with id 'zz'");
}

// sbin/akka-instance-rerun: ...workflow/instance/$instance_id?action=rerun
TEST_CASE("instance rerun runs every node or with recover=true the failed ones") {
  fake_backend b;
  auto all = call(b, "GET", "/akkaflow/workflow/instance/01?action=rerun");
  CHECK(all.status == 200);
  CHECK(envelope_of(all)["data"] == "01");
  CHECK(b.last_rerun.mode == "all");
  CHECK(call(b, "GET", "/akkaflow/workflow/instance/01?action=rerun&recover=true").status == 200);
  CHECK(b.last_rerun.mode == "failed");
  CHECK(call(b, "GET", "/akkaflow/workflow/instance/01?action=rerun&recover=false").status
        == 200);
  CHECK(b.last_rerun.mode == "all");
  check_fail(call(b, "GET", "/akkaflow/workflow/instance/01?action=rerun&recover=maybe"), 400,
             "query parameter 'recover': expected true or false, got 'maybe'");
  check_fail(call(b, "GET", "/akkaflow/workflow/instance/live?action=rerun"), 409, "running");
}

// sbin/akka-instance-del: ...workflow/instance/$instance_id?action=del
TEST_CASE("instance del deletes an ended instance and refuses a running one") {
  fake_backend b;
  auto r = call(b, "GET", "/akkaflow/workflow/instance/01?action=del");
  CHECK(r.status == 200);
  auto body = envelope_of(r);
  CHECK(body["result"] == "success");
  CHECK(body["data"].is_null());
  CHECK(body["msg"] == "deleted instance 01 with its nodes, attempts and executions");
  CHECK(b.last_deleted == "01");
  check_fail(call(b, "GET", "/akkaflow/workflow/instance/live?action=del"), 409, "is running");
  check_fail(call(b, "GET", "/akkaflow/workflow/instance/zz?action=del"), 404, "'zz'");
  check_fail(call(b, "GET", "/akkaflow/workflow/instance/01?action=del&force=true"), 400,
             "unknown query parameter 'force'");
  CHECK(b.last_deleted == "01");
}

// akkaflow 2.12: GET /akkaflow/workflow?action=del-dir&id=N (its folder
// table's id; the folder had to be empty).
TEST_CASE("del-dir refuses a folder with workflows unless force=true deletes each") {
  test::temp_dir dir;
  test::write_file(dir / "xmlconfig/etl/up.xml", wf_xml("up"));
  test::write_file(dir / "xmlconfig/etl/daily/down.xml",
                   wf_xml("down", "<coordinator><depend-list><workflow name=\"up\"/>"
                                  "</depend-list></coordinator>"));
  test::write_file(dir / "xmlconfig/etl2/other.xml", wf_xml("other"));
  files_backend b(dir / "xmlconfig");
  b.downstream_of_up = {"down"};
  akkaflow_settings settings;
  settings.xmlconfig = dir / "xmlconfig";
  settings.load_wait = std::chrono::milliseconds(0);
  auto del_dir = [&](const std::string& query) {
    return handle_akkaflow(b, request("GET", "/akkaflow/workflow?action=del-dir" + query),
                           settings);
  };
  // As akkaflow: a folder with workflows is refused, naming them.
  check_fail(del_dir("&id=/etl"), 409, "the folder /etl is not empty: it holds");
  check_fail(del_dir("&id=%2Fetl%2F"), 409, "force=true");
  CHECK(std::filesystem::exists(dir / "xmlconfig/etl/up.xml"));
  // An empty (so, in cafflow, absent) folder: nothing to delete.
  auto empty = del_dir("&id=/etl3");
  CHECK(empty.status == 200);
  CHECK(envelope_of(empty)["data"] == json::array());
  CHECK(envelope_of(empty)["msg"].get<std::string>().find("holds no workflow")
        != std::string::npos);
  check_fail(del_dir("&id=3"), 400, "no numeric ids");
  check_fail(del_dir(""), 400, "query parameter 'id'");
  check_fail(del_dir("&id=/etl&dir=/etl"), 400, "not both");
  check_fail(del_dir("&id=/etl&force=yes"), 400, "expected true or false");
  check_fail(del_dir("&id=/&force=true"), 400, "below /");
  check_fail(del_dir("&id=/etl&x=1"), 400, "unknown query parameter 'x'");
  // force=true: every workflow of the folder and below, the downstream one
  // first; the folder /etl2 stays.
  auto forced = del_dir("&dir=etl&force=true");
  CAPTURE(forced.body);
  CHECK(forced.status == 200);
  CHECK(envelope_of(forced)["data"] == json::array({"down", "up"}));
  CHECK_FALSE(std::filesystem::exists(dir / "xmlconfig/etl/up.xml"));
  CHECK_FALSE(std::filesystem::exists(dir / "xmlconfig/etl/daily/down.xml"));
  CHECK(std::filesystem::exists(dir / "xmlconfig/etl2/other.xml"));
  // Without a reachable xmlconfig nothing is deleted.
  auto forced_far =
    handle_akkaflow(b, request("GET", "/akkaflow/workflow?action=del-dir&id=/etl2&force=true"));
  check_fail(forced_far, 501, "deleted nothing of the folder /etl2");
  CHECK(std::filesystem::exists(dir / "xmlconfig/etl2/other.xml"));
}

// sbin/akka-util-reset-all: ...akkaflow/workflows?action=reset
TEST_CASE("workflows reset resets every coordinator") {
  fake_backend b;
  auto r = call(b, "GET", "/akkaflow/workflows?action=reset");
  CHECK(r.status == 200);
  CHECK(envelope_of(r)["result"] == "success");
  CHECK(b.resets_all == 1);
}

TEST_CASE("cluster get lists the master and the workers as akkaflow's actor infos") {
  fake_backend b;
  auto r = call(b, "GET", "/akkaflow/cluster?action=get");
  CHECK(r.status == 200);
  auto data = envelope_of(r)["data"];
  REQUIRE(data.size() == 3);
  CHECK(data[0] == json{{"name", "master(127.0.0.1:2751)"},
                        {"ip", "127.0.0.1"},
                        {"port", "2751"},
                        {"atype", "0"},
                        {"pname", "top"}});
  CHECK(data[2]["name"] == "worker(10.0.0.7:2852)");
  CHECK(data[2]["ip"] == "10.0.0.7");
  CHECK(data[2]["port"] == "2852");
  b.master_up = false;
  check_fail(call(b, "GET", "/akkaflow/cluster?action=get"), 503, "not reachable");
}

// sbin/shutdown-cluster: ...akkaflow/cluster?action=shutdown
TEST_CASE("cluster shutdown is refused unless allow_shutdown is set") {
  fake_backend b;
  check_fail(call(b, "GET", "/akkaflow/cluster?action=shutdown"), 403, "allow_shutdown = true");
  CHECK(b.shutdowns == 0);
  akkaflow_settings settings;
  settings.allow_shutdown = true;
  auto r = handle_akkaflow(b, request("GET", "/akkaflow/cluster?action=shutdown"), settings);
  CHECK(r.status == 200);
  CHECK(envelope_of(r)["result"] == "success");
  CHECK(envelope_of(r)["msg"].get<std::string>().find("the cluster stops") != std::string::npos);
  CHECK(b.shutdowns == 1);
  CHECK_FALSE(r.after_sent); // no hook set: nothing to stop after the answer
  int stopped = 0;
  settings.on_cluster_stopped = [&] { ++stopped; };
  auto hooked = handle_akkaflow(b, request("GET", "/akkaflow/cluster?action=shutdown"), settings);
  REQUIRE(hooked.after_sent);
  hooked.after_sent();
  CHECK(stopped == 1);
  CHECK(b.shutdowns == 2);
  check_fail(handle_akkaflow(b, request("GET", "/akkaflow/cluster?action=shutdown&now=1"),
                             settings),
             400, "unknown query parameter 'now'");
  check_fail(handle_akkaflow(b, request("HEAD", "/akkaflow/cluster?action=shutdown"), settings),
             405, "method HEAD not allowed");
  b.master_up = false;
  check_fail(handle_akkaflow(b, request("GET", "/akkaflow/cluster?action=shutdown"), settings),
             503, "not reachable");
  CHECK(b.shutdowns == 2);
}

TEST_CASE("malformed requests get a fail naming the problem") {
  fake_backend b;
  check_fail(call(b, "GET", "/akkaflow/workflow/w"), 400,
             "query parameter 'action' is required (expected get, run, trigger");
  check_fail(call(b, "GET", "/akkaflow/workflow/w?action="), 400, "'action' is required");
  check_fail(call(b, "GET", "/akkaflow/workflow/w?action=launch"), 400,
             "unknown action 'launch'");
  check_fail(call(b, "GET", "/akkaflow/workflows?action=get"), 400,
             "(expected reset, today-trigger-left)");
  check_fail(call(b, "GET", "/akkaflow/workflow/instance/01?action=kill&force=1"), 400,
             "unknown query parameter 'force' for action=kill (it takes none)");
  check_fail(call(b, "GET", "/akkaflow/cluster?action=get&action=shutdown"), 400,
             "'action' is given twice");
  check_fail(call(b, "GET", "/akkaflow/workflow/w?action=run&=x"), 400, "has no name");
  check_fail(call(b, "GET", "/akkaflow/workflow/w%zz?action=run"), 400,
             "malformed percent-encoding");
  check_fail(call(b, "GET", "/akkaflow/coord/w?action=reset"), 404, "no such akkaflow route");
  check_fail(call(b, "GET", "/akkaflow/workflow/instance/01/x?action=kill"), 404,
             "no such akkaflow route");
  auto head = call(b, "HEAD", "/akkaflow/workflow/w?action=run");
  check_fail(head, 405, "method HEAD not allowed");
  CHECK(head.headers == std::vector<std::pair<std::string, std::string>>{{"Allow", "GET, POST"}});
  check_fail(call(b, "DELETE", "/akkaflow/workflow/w?action=del"), 405, "use GET, POST");
  CHECK(b.starts == 0);
}

TEST_CASE("is_akkaflow_read holds only for the routes that read") {
  CHECK(is_akkaflow_read(request("GET", "/akkaflow/cluster?action=get")));
  CHECK(is_akkaflow_read(request("GET", "/akkaflow/workflow/watting_instance/list")));
  CHECK(is_akkaflow_read(request("GET", "/akkaflow/workflows?action=today-trigger-left")));
  CHECK(is_akkaflow_read(request("GET", "/akkaflow/coor/c?action=get")));
  CHECK(is_akkaflow_read(request("GET", "/akkaflow/db-link?action=list")));
  CHECK(is_akkaflow_read(request("GET", "/akkaflow/file-link/f?action=get")));
  CHECK_FALSE(is_akkaflow_read(request("GET", "/akkaflow/db-link/l?action=del")));
  CHECK_FALSE(is_akkaflow_read(request("GET", "/akkaflow/coor/c?action=del")));
  CHECK_FALSE(is_akkaflow_read(request("POST", "/akkaflow/workflow?action=add")));
  CHECK(is_akkaflow_read(request("GET", "/akkaflow/workflow/w?action=get")));
  CHECK(is_akkaflow_read(request("GET", "/akka%66low/cluster?action=get")));
  CHECK_FALSE(is_akkaflow_read(request("GET", "/akkaflow/cluster?action=shutdown")));
  CHECK_FALSE(is_akkaflow_read(request("GET", "/akkaflow/workflow/w?action=run")));
  CHECK_FALSE(is_akkaflow_read(request("GET", "/akkaflow/workflow/w?action=get&action=run")));
  CHECK_FALSE(is_akkaflow_read(request("GET", "/akkaflow/workflow/w")));
  CHECK_FALSE(is_akkaflow_read(request("GET", "/akkaflow/workflow/w%zz?action=get")));
  CHECK_FALSE(is_akkaflow_read(request("GET", "/api/v1/health")));
  CHECK(is_akkaflow_path("/akkaflow/workflow/w"));
  CHECK(is_akkaflow_path("/%61kkaflow/workflow/w"));
  CHECK(is_akkaflow_path("/akkaflow/%zz"));
  CHECK_FALSE(is_akkaflow_path("/api/v1/workflows"));
  CHECK_FALSE(is_akkaflow_path("/akkaflowx/workflow"));
}

TEST_CASE("instance statuses map to akkaflow's names") {
  CHECK(akkaflow_status("queued") == "W_PREP");
  CHECK(akkaflow_status("running") == "W_RUNNING");
  CHECK(akkaflow_status("succeeded") == "W_SUCCESSED");
  CHECK(akkaflow_status("failed") == "W_FAILED");
  CHECK(akkaflow_status("killed") == "W_KILLED");
  CHECK(akkaflow_status("paused") == "W_PAUSED");
}

TEST_SUITE_END();
