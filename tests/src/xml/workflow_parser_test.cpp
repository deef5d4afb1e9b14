#include "xml/workflow_parser.hpp"

#include <doctest/doctest.h>

#include "exec/attachments.hpp"
#include "util/strings.hpp"

using namespace cafflow;

namespace {

/// Every diagnostic as "LINE:COL: error|warning: message", the file name cut.
std::vector<std::string> diags(const parse_result& r) {
  std::vector<std::string> result;
  for (const auto& d : r.diagnostics) {
    auto text = d.to_string();
    result.push_back(text.substr(d.file.size() + 1));
  }
  return result;
}

bool has(const parse_result& r, const std::string& fragment) {
  for (const auto& d : diags(r))
    if (d.find(fragment) != std::string::npos)
      return true;
  return false;
}

const char* fork_join = R"(<work-flow name="fj" creator="me" dir="/etl" instance-limit="2">
  <start name="start" to="f"/>
  <fork name="f">
    <path to="a"/>
    <path to="b"/>
  </fork>
  <action name="a" retry-times="2" interval="5" timeout="60" host="h1">
    <shell><command>echo a</command></shell>
    <ok to="j"/>
  </action>
  <action name="b" is-ignore="true" timeout-action="kill-instance" worker-group="gpu">
    <script><code><![CDATA[
        #!/bin/bash
        echo b
          indented
    ]]></code></script>
    <ok to="j"/>
    <error to="k"/>
  </action>
  <join name="j" to="end"/>
  <kill name="k"><message>  b broke  </message></kill>
  <end name="end"/>
</work-flow>)";

} // namespace

TEST_SUITE_BEGIN("workflow_parser");

TEST_CASE("a fork/join workflow parses with every attribute") {
  auto r = parse_definition(fork_join, "fj.xml");
  INFO(join(diags(r), "\n"));
  REQUIRE(r.wf);
  const auto& wf = *r.wf;
  CHECK(wf.name == "fj");
  CHECK(wf.creator == "me");
  CHECK(wf.dir == "/etl");
  CHECK(wf.instance_limit == 2);
  REQUIRE(wf.nodes.size() == 7);
  CHECK(wf.nodes[wf.start].name == "start");
  const auto& f = wf.nodes[wf.index_of("f")];
  CHECK(f.kind == node_kind::fork);
  REQUIRE(f.out.size() == 2);
  CHECK(wf.nodes[f.out[0].target].name == "a");
  const auto& a = wf.nodes[wf.index_of("a")].action;
  CHECK(a.retry_times == 2);
  CHECK(a.interval_s == 5);
  CHECK(a.timeout_s == 60);
  CHECK(a.host == "h1");
  CHECK(std::get<shell_action>(a.body).command == "echo a");
  const auto& b = wf.nodes[wf.index_of("b")];
  CHECK(b.action.is_ignore);
  CHECK(b.action.on_timeout == timeout_action::kill_instance);
  CHECK(b.action.worker_group == "gpu");
  CHECK(std::get<script_action>(b.action.body).code == "#!/bin/bash\necho b\n  indented\n");
  REQUIRE(b.out.size() == 2);
  CHECK(b.out[1].kind == edge::label::error);
  CHECK(wf.nodes[wf.index_of("k")].message == "b broke");
}

TEST_CASE("defaults of the workflow and of actions") {
  auto r = parse_definition(R"(<workflow name="w"><start name="s" to="a"/>
    <action name="a"><shell><command>true</command></shell><ok to="e"/></action>
    <end name="e"/></workflow>)",
                          "w.xml");
  REQUIRE(r.wf);
  CHECK(r.wf->creator == "Unknown");
  CHECK(r.wf->dir == "/tmp");
  CHECK(r.wf->instance_limit == 1);
  CHECK(r.wf->mail_levels == std::vector<std::string>{"W_FAILED"});
  const auto& a = r.wf->nodes[1].action;
  CHECK(a.host.empty());
  CHECK(a.retry_times == 0);
  CHECK(a.timeout_s == -1);
  CHECK(a.on_timeout == timeout_action::fail);
  CHECK_FALSE(a.is_ignore);
}

TEST_CASE("on-failure, max-parallel and pool: read, checked, pools against the config") {
  const std::string body = R"(<start name="s" to="a"/>
    <action name="a" pool="warehouse"><shell><command>true</command></shell><ok to="e"/></action>
    <end name="e"/></work-flow>)";
  auto r = parse_definition(
    R"(<work-flow name="w" on-failure="continue" max-parallel="3">)" + body, "w.xml");
  REQUIRE(r.wf);
  CHECK(r.wf->continue_on_failure);
  CHECK(r.wf->max_parallel == 3);
  CHECK(r.wf->nodes[1].action.pool == "warehouse");
  auto plain = parse_definition(R"(<work-flow name="w">)" + body, "w.xml");
  REQUIRE(plain.wf);
  CHECK_FALSE(plain.wf->continue_on_failure);
  CHECK(plain.wf->max_parallel == 0);
  // Pools are checked when the caller knows the config's.
  parse_options opts;
  opts.pools = std::set<std::string>{"warehouse", "api"};
  CHECK(parse_definition(R"(<work-flow name="w">)" + body, "w.xml", opts).wf);
  opts.pools = std::set<std::string>{"wharehouse"};
  auto unknown = parse_definition(R"(<work-flow name="w">)" + body, "w.xml", opts);
  CHECK_FALSE(unknown.wf);
  for (const auto& d : diags(unknown))
    MESSAGE(d);
  CHECK(has(unknown, "error: unknown pool 'warehouse' (did you mean 'wharehouse'?)"));
  opts.pools = std::set<std::string>{};
  CHECK(has(parse_definition(R"(<work-flow name="w">)" + body, "w.xml", opts),
            "unknown pool 'warehouse' (the config's [pools] is empty)"));
  auto bad = parse_definition(
    R"(<work-flow name="w" on-failure="go" max-parallel="0">)" + body, "w.xml");
  CHECK_FALSE(bad.wf);
  CHECK(has(bad, "attribute 'on-failure' expects end, continue; got 'go'"));
  CHECK(has(bad, "max-parallel"));
}

TEST_CASE("host -1 means any host, as in akkaflow") {
  auto r = parse_definition(R"(<work-flow name="w"><start name="s" to="a"/>
    <action name="a" host="-1"><shell><command>true</command></shell><ok to="e"/></action>
    <end name="e"/></work-flow>)",
                          "w.xml");
  REQUIRE(r.wf);
  CHECK(r.wf->nodes[1].action.host.empty());
}

TEST_CASE("malformed XML is reported at its line and column") {
  auto r = parse_definition("<work-flow name=\"w\">\n  <start name=\"s\" to=\"e\">\n</work-flow>",
                          "bad.xml");
  CHECK_FALSE(r.wf);
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics[0].pos.line == 3);
  CHECK(r.diagnostics[0].to_string().rfind("bad.xml:3:", 0) == 0);
  CHECK(has(r, "malformed XML"));
}

TEST_CASE("every problem is reported at once with its position") {
  auto r = parse_definition(R"(<work-flow name="w">
  <start name="s" to="a"/>
  <action name="a" retry-time="2">
    <shel><command>x</command></shel>
    <ok to="nowhere"/>
  </action>
  <action name="a"><shell><command>y</command></shell><ok to="e"/></action>
  <end name="e"/>
</work-flow>)",
                          "w.xml");
  CHECK_FALSE(r.wf);
  auto all = join(diags(r), "\n");
  INFO(all);
  CHECK(has(r, "3:20: error: unknown attribute 'retry-time' on <action> (did you mean "
               "'retry-times'?)"));
  CHECK(has(r, "4:5: error: unknown element <shel> in <action> (did you mean <shell>?)"));
  CHECK(has(r, "3:3: error: <action> needs an action type"));
  CHECK(has(r, "7:11: error: duplicate node name 'a' (first defined at line 3)"));
  CHECK(has(r, "unknown node 'nowhere'"));
}

TEST_CASE("graph rules: one start, an end, no unreachable nodes") {
  auto no_start = parse_definition(R"(<work-flow name="w"><end name="e"/></work-flow>)", "w.xml");
  CHECK(has(no_start, "the workflow has no <start> node"));
  auto two_starts = parse_definition(R"(<work-flow name="w"><start name="s" to="e"/>
    <start name="t" to="e"/><end name="e"/></work-flow>)",
                                   "w.xml");
  CHECK(has(two_starts, "more than one <start> node ('t')"));
  auto no_end = parse_definition(R"(<work-flow name="w"><start name="s" to="s"/></work-flow>)",
                               "w.xml");
  CHECK(has(no_end, "no <end> or <kill> node"));
  auto unreachable = parse_definition(R"(<work-flow name="w">
    <start name="s" to="e"/>
    <action name="lonely"><shell><command>x</command></shell><ok to="e"/></action>
    <end name="e"/></work-flow>)",
                                    "w.xml");
  CHECK(has(unreachable, "3:5: error: node 'lonely' is unreachable from <start>"));
}

TEST_CASE("bad values and missing attributes") {
  auto r = parse_definition(R"(<work-flow name="w" instance-limit="zero">
    <start name="s" to="a"/>
    <action name="a" timeout="-5" is-ignore="maybe" timeout-action="explode">
      <shell><command>x</command></shell><ok to="e"/></action>
    <action><shell><command>x</command></shell><ok to="e"/></action>
    <end name="e"/></work-flow>)",
                          "w.xml");
  CHECK(has(r, "'instance-limit' expects a whole number, got 'zero'"));
  CHECK(has(r, "'timeout' must be between -1 and"));
  CHECK(has(r, "'is-ignore' expects true or false, got 'maybe'"));
  CHECK(has(r, "'timeout-action' expects fail, kill-instance, warn; got 'explode'"));
  CHECK(has(r, "5:5: error: <action> needs the attribute 'name'"));
}

TEST_CASE("the root element must be a workflow") {
  auto r = parse_definition("<workflo name=\"x\"/>", "w.xml");
  CHECK(has(r, "1:1: error: unknown root element <workflo>, expected <work-flow> or <coordinator> "
               "(did you mean <workflow>?)"));
  auto empty = parse_definition("", "w.xml");
  CHECK_FALSE(empty.wf);
  CHECK_FALSE(empty.diagnostics.empty());
}

TEST_CASE("a missing file is reported, not thrown") {
  auto r = parse_definition_file("/nonexistent/w.xml");
  CHECK_FALSE(r.wf);
  CHECK(has(r, "1:1: error: cannot read '/nonexistent/w.xml': No such file or directory"));
}

TEST_CASE("dedent keeps relative indentation and content") {
  CHECK(dedent("\n    a\n      b\n\n    c\n  ") == "a\n  b\n\nc\n");
  CHECK(dedent("x") == "x\n");
  CHECK(dedent("\t\tif x; then\n\t\t\ty\n\t\tfi") == "if x; then\n\ty\nfi\n");
}


TEST_CASE("sla, max-duration and alert-to are read and checked") {
  const char* xml = R"(<work-flow name="w" sla="1h30m" alert-to="oncall, team">
  <start name="s" to="a"/>
  <action name="a" max-duration="45m">
    <shell><command>true</command></shell>
    <ok to="e"/>
  </action>
  <end name="e"/>
</work-flow>)";
  parse_options opts;
  opts.alert_channels = std::set<std::string>{"oncall", "team"};
  auto r = parse_definition(xml, "w.xml", opts);
  CAPTURE(diags(r));
  REQUIRE(r.wf);
  CHECK(r.wf->sla_s == 5400);
  CHECK(r.wf->alert_to == std::vector<std::string>{"oncall", "team"});
  CHECK(r.wf->nodes[r.wf->index_of("a")].action.max_duration_s == 2700);
  opts.alert_channels = std::set<std::string>{"oncall", "ops"};
  auto unknown = parse_definition(xml, "w.xml", opts);
  CHECK_FALSE(unknown.wf);
  CHECK(has(unknown, "1:33: error: attribute 'alert-to': unknown alert channel 'team'"));
  auto bad = parse_definition(R"(<work-flow name="w" sla="soon">
  <start name="s" to="a"/>
  <action name="a" max-duration="-5"><shell><command>true</command></shell><ok to="e"/></action>
  <end name="e"/>
</work-flow>)",
                              "w.xml");
  CHECK(has(bad, "1:21: error: attribute 'sla': 'soon' is not a duration"));
  CHECK(has(bad, "error: attribute 'max-duration': '-5' is not a duration"));
}

TEST_CASE("durations") {
  std::int64_t s = 0;
  CHECK((parse_duration("90", s) && s == 90));
  CHECK((parse_duration("2h", s) && s == 7200));
  CHECK((parse_duration("1d", s) && s == 86400));
  CHECK((parse_duration(" 1H30M ", s) && s == 5400));
  CHECK_FALSE(parse_duration("1h30", s));
  CHECK_FALSE(parse_duration("0", s));
  CHECK_FALSE(parse_duration("", s));
  CHECK_FALSE(parse_duration("2 weeks", s));
}

TEST_SUITE_END();

TEST_SUITE_BEGIN("workflow_parser");

namespace {

/// A workflow of one action `body`, the action on line 3.
parse_result one_action(const std::string& body, const parse_options& opts = {}) {
  return parse_definition("<work-flow name=\"w\">\n<start name=\"s\" to=\"a\"/>\n<action name=\"a\">"
                            + body + "<ok to=\"e\"/></action>\n<end name=\"e\"/></work-flow>",
                          "w.xml", opts);
}

template <class Body>
const Body& body_of(const parse_result& r) {
  return body_get<Body>(r.wf->nodes[r.wf->index_of("a")].action.body);
}

} // namespace

TEST_CASE("akkaflow 2.5 script content: lines trimmed, blank ones dropped, perl or python named") {
  auto plain = one_action("<script><content>\n   echo a\n\n      echo b\n</content></script>");
  REQUIRE(plain.wf);
  CHECK(body_of<script_action>(plain).code == "echo a\necho b\n");
  auto perl = one_action("<script><content>\n  # perl: count\n  print 1;\n</content></script>");
  REQUIRE(perl.wf);
  CHECK(body_of<script_action>(perl).code == "#!/usr/bin/env perl\n# perl: count\nprint 1;\n");
  auto shebang = one_action("<script><content>#!/usr/bin/python3\nprint(1)</content></script>");
  REQUIRE(shebang.wf);
  CHECK(body_of<script_action>(shebang).code == "#!/usr/bin/python3\nprint(1)\n");
  auto location = one_action("<script><location>/tmp/x.sh</location><content>true</content></script>");
  REQUIRE(location.wf);
  CHECK(has(location, "3:26: warning: <location> is ignored"));
  auto both = one_action("<script><code>true</code><content>true</content></script>");
  CHECK_FALSE(both.wf);
  CHECK(has(both, "3:18: error: <script> has both <code> and <content>"));
  auto empty = one_action("<script><content>  </content></script>");
  CHECK(has(empty, "error: <script> needs a non-empty <content>"));
}

TEST_CASE("file-watcher is a file-monitor of a directory with akkaflow's names") {
  auto r = one_action("<file-watcher><file dir=\"/in/${param:day}\" num-threshold=\"3\">a_*.csv</file>"
                      "<size-warn-message enable=\"true\" size-threshold=\"1.5KB\">small</size-warn-message>"
                      "</file-watcher>");
  INFO(join(diags(r), "\n"));
  REQUIRE(r.wf);
  const auto& m = body_of<file_monitor_action>(r);
  CHECK(m.dir == "/in/${param:day}");
  CHECK(m.pattern == "a_*.csv");
  CHECK(m.min_num == 3);
  CHECK(m.min_each_size == 1536);
  CHECK(m.size_warn_only);
  CHECK(m.warn_msg == "small");
  CHECK(m.recheck_interval_s == 0);
  auto off = one_action("<file-watcher><file dir=\"/in\">a</file><size-warn-message enable=\"false\" "
                        "size-threshold=\"1MB\"/></file-watcher>");
  REQUIRE(off.wf);
  CHECK(body_of<file_monitor_action>(off).min_each_size == 0);
  auto bare = one_action("<file-watcher><file dir=\"/in\">a</file></file-watcher>");
  REQUIRE(bare.wf);
  CHECK(has(bare, "3:18: warning: <file-watcher> without <size-warn-message>"));
  auto bad = one_action("<file-watcher><file>x/a</file><size-warn-message enable=\"maybe\" "
                        "size-threshold=\"lots\"/></file-watcher>");
  CHECK_FALSE(bad.wf);
  CHECK(has(bad, "3:32: error: <file> needs the attribute 'dir'"));
  CHECK(has(bad, "error: <file> of <file-watcher> holds a file name, matched in 'dir'; 'x/a' has a '/'"));
  CHECK(has(bad, "error: attribute 'enable' expects true or false, got 'maybe'"));
  CHECK(has(bad, "error: attribute 'size-threshold' expects a size"));
}

TEST_CASE("inline jdbc attributes become an anonymous db link or are refused at the attribute") {
  auto sql = one_action("<sql type=\"MYSQL\" jdbc-url=\"jdbc:mariadb://db:3306/wf\" username=\"u\" "
                        "password=\"p\">delete from t</sql>");
  INFO(join(diags(sql), "\n"));
  REQUIRE(sql.wf);
  const auto& link = *body_of<sql_action>(sql).inline_link;
  CHECK(link.type == "MYSQL");
  CHECK(link.jdbc_url == "jdbc:mysql://db:3306/wf");
  CHECK(link.username == "u");
  CHECK(link.password == "p");
  auto pg = one_action("<sql jdbc-url=\"jdbc:postgresql://dw/dw\">select 1</sql>");
  REQUIRE(pg.wf);
  CHECK(body_of<sql_action>(pg).inline_link->type == "POSTGRESQL");
  // Oracle and Hive load through ODBC, with a warning naming the driver's key.
  auto oracle = one_action("<sql type=\"ORACLE\" jdbc-url=\"jdbc:oracle:thin:@h:1521:x\">select 1</sql>");
  INFO(join(diags(oracle), "\n"));
  REQUIRE(oracle.wf);
  CHECK(body_of<sql_action>(oracle).inline_link->type == "ORACLE");
  CHECK(has(oracle, "3:37: warning: <sql> connects to ORACLE through ODBC: the worker that runs "
                    "it needs the ODBC driver named by odbc.oracle_driver in cafflow.ini"));
  auto hive = one_action("<transfer><source type=\"HIVE\" jdbc-url=\"jdbc:hive2://hs2:10000/dw\" "
                         "username=\"u\" password=\"p\">select * from t</source>"
                         "<target type=\"LFS\" path=\"/y\"/></transfer>");
  INFO(join(diags(hive), "\n"));
  REQUIRE(hive.wf);
  CHECK(body_of<transfer_action>(hive).source.inline_link->type == "HIVE");
  CHECK(has(hive, "warning: <source> connects to HIVE through ODBC"));
  auto bad_oracle = one_action("<sql type=\"ORACLE\" jdbc-url=\"jdbc:oracle:thin:h\">select 1</sql>");
  CHECK_FALSE(bad_oracle.wf);
  CHECK(has(bad_oracle, "3:37: error: attribute 'jdbc-url': 'jdbc:oracle:thin:h' is not like "
                        "jdbc:oracle:thin:@host:port:SID"));
  auto mismatch = one_action("<sql type=\"HIVE\" jdbc-url=\"jdbc:mysql://h:3306/x\">select 1</sql>");
  CHECK(has(mismatch, "3:23: error: attribute 'type': HIVE does not match the jdbc-url, which is MYSQL"));
  auto both = one_action("<sql db-link=\"x\" jdbc-url=\"jdbc:sqlite:/x.db\">select 1</sql>");
  CHECK(has(both, "3:23: error: <sql> names a 'db-link' and has a 'jdbc-url'"));
  auto no_url = one_action("<sql type=\"MYSQL\" username=\"u\">select 1</sql>");
  CHECK(has(no_url, "error: <sql> needs the attribute 'jdbc-url'"));
  // akkaflow 2.8's HDFS end: a file on HDFS named by 'path', like an LFS one.
  auto hdfs = one_action("<transfer><source type=\"HDFS\" path=\"/x\"/><target type=\"FILE\" "
                         "path=\"hdfs://nn:8020/y\" is-pre-del=\"true\"/></transfer>");
  INFO(join(diags(hdfs), "\n"));
  REQUIRE(hdfs.wf);
  const auto& h = body_of<transfer_action>(hdfs);
  CHECK(h.source.type == "FILE");
  CHECK(h.source.content == "/x");
  CHECK(h.source.hdfs.has_value());
  CHECK(h.target.hdfs.has_value());
  CHECK_FALSE(h.target.append);
  CHECK(has(hdfs, "warning: <source> is on HDFS: the worker that runs it needs the Hadoop client "
                  "named by hdfs.command in cafflow.ini"));
  CHECK(has(hdfs, "warning: 'is-pre-del' has no effect on an HDFS target"));
  auto lfs = one_action("<transfer><source type=\"MYSQL\" jdbc-url=\"jdbc:mysql://h:3306/x\">t</source>"
                        "<target type=\"LFS\" path=\"/y\" delimited=\",\"/></transfer>");
  REQUIRE(lfs.wf);
  const auto& t = body_of<transfer_action>(lfs);
  CHECK(t.source.type == "DB");
  CHECK(t.source.inline_link->jdbc_url == "jdbc:mysql://h:3306/x");
  CHECK(t.target.type == "FILE");
  CHECK(t.target.append);
  auto monitor = one_action(
    "<data-monitor is-exceed-error=\"false\"><source type=\"SQL\" db-link=\"x\">select 1</source>"
    "<max-threshold type=\"MYSQL\">select 2</max-threshold></data-monitor>");
  CHECK(has(monitor, "error: <max-threshold> of type MYSQL is read on the <source>'s connection"));
  // A bound of type SQL with a jdbc-url is read on the source's connection
  // too: it has the source's, not none.
  auto sql_bound = one_action(
    "<data-monitor><source type=\"MYSQL\" jdbc-url=\"jdbc:mysql://h:3306/x\" username=\"u\" "
    "password=\"p\">select 1</source><min type=\"SQL\" jdbc-url=\"jdbc:mysql://other:3306/y\">"
    "select 0</min><max type=\"MYSQL\">select 2</max></data-monitor>");
  INFO(join(diags(sql_bound), "\n"));
  REQUIRE(sql_bound.wf);
  const auto& bounded = body_of<data_monitor_action>(sql_bound);
  for (const auto* bound : {&bounded.min, &bounded.max}) {
    REQUIRE(*bound);
    CHECK((*bound)->type == "SQL");
    CHECK((*bound)->db_link.empty());
    REQUIRE((*bound)->inline_link);
    CHECK((*bound)->inline_link->jdbc_url == "jdbc:mysql://h:3306/x");
    CHECK((*bound)->inline_link->username == "u");
    CHECK((*bound)->inline_link->password == "p");
  }
  CHECK(has(sql_bound, "3:145: warning: akkaflow read <min> on the <source>'s connection, not on "
                       "the one written here; so does cafflow"));
  auto no_source_url = one_action(
    "<data-monitor><source type=\"SQL\" db-link=\"x\">select 1</source><min type=\"SQL\" "
    "jdbc-url=\"jdbc:mysql://other:3306/y\">select 0</min></data-monitor>");
  CHECK_FALSE(no_source_url.wf);
  CHECK(has(no_source_url, "error: <min> has a jdbc-url, and akkaflow read it on the <source>'s "
                           "connection, but the <source> has no jdbc-url; give <min> a db-link "
                           "instead"));
}

TEST_CASE("data-monitor keeps akkaflow's labels of the value and warns that is-saved false does nothing") {
  auto labelled = one_action(
    "<data-monitor category=\"orders\" name=\"daily rows\" source-name=\"db1\" "
    "time-mark=\"${param:day}\" is-saved=\"true\"><source type=\"NUM\">1</source><max>2</max>"
    "</data-monitor>");
  INFO(join(diags(labelled), "\n"));
  REQUIRE(labelled.wf);
  CHECK_FALSE(has(labelled, "is-saved"));
  const auto& m = body_of<data_monitor_action>(labelled);
  CHECK(m.category == "orders");
  CHECK(m.name == "daily rows");
  CHECK(m.source_name == "db1");
  CHECK(m.time_mark == "${param:day}");
  CHECK(m.is_saved);
  auto unsaved = one_action("<data-monitor is-saved=\"false\"><source type=\"NUM\">1</source>"
                            "<max>2</max></data-monitor>");
  REQUIRE(unsaved.wf);
  INFO(join(diags(unsaved), "\n"));
  CHECK(diags(unsaved) == std::vector<std::string>{
                            "3:32: warning: is-saved=\"false\" has no effect: cafflow keeps the "
                            "value with the attempt in any case (akkaflow left it out of its "
                            "monitoring table)"});
}

TEST_CASE("FILE targets take pre and after scripts and warn on what had no effect") {
  auto r = one_action("<transfer><source type=\"FILE\">/in.csv</source>"
                      "<target type=\"FILE\" path=\"/out.csv\" is-pre-del=\"false\" task-num=\"2\">"
                      "<pre>  mkdir -p /x\n    touch /x/y</pre><after>gzip /out.csv</after></target></transfer>");
  INFO(join(diags(r), "\n"));
  REQUIRE(r.wf);
  const auto& t = body_of<transfer_action>(r);
  CHECK(t.target.pre == "mkdir -p /x\ntouch /x/y\n");
  CHECK(t.target.after == "gzip /out.csv\n");
  CHECK_FALSE(t.target.append);
  CHECK(has(r, "warning: 'is-pre-del' has no effect on a FILE target"));
  CHECK(has(r, "warning: 'task-num' has no effect on a FILE target"));
  auto zero = one_action("<transfer><source type=\"FILE\">/in.csv</source>"
                         "<target type=\"DB\" db-link=\"x\" table=\"t\" task-num=\"0\"/></transfer>");
  CHECK(has(zero, "error: attribute 'task-num' must be between 1 and 1000, got 0"));
  auto sql_on_file = one_action("<transfer><source type=\"FILE\">/in.csv</source>"
                                "<target type=\"FILE\" path=\"/o\"><pre-sql>x</pre-sql></target></transfer>");
  CHECK(has(sql_on_file, "error: <pre-sql> (akkaflow 2.8) holds SQL for a database target"));
}

TEST_CASE("file-link names a link of file_links.xml: LOCAL ones load and the others are refused") {
  parse_options opts;
  opts.file_links = parse_file_links(
    "<file-links><link name=\"nas\" type=\"LOCAL\"/><link name=\"remote\" type=\"SFTP\" "
    "host=\"h\" port=\"22\" username=\"u\" password=\"p\"/></file-links>",
    "file_links.xml");
  auto local = one_action("<file-monitor><file file-link=\"nas\">/in/*</file></file-monitor>", opts);
  INFO(join(diags(local), "\n"));
  CHECK(local.wf);
  auto sftp = one_action("<transfer><source type=\"FILE\" file-link=\"remote\">/in.csv</source>"
                         "<target type=\"FILE\" path=\"/o\"/></transfer>",
                         opts);
  CHECK_FALSE(sftp.wf);
  CHECK(has(sftp, "3:48: error: attribute 'file-link': "));
  auto unknown = one_action("<file-monitor><file file-link=\"nass\">/in/*</file></file-monitor>", opts);
  CHECK(has(unknown, "error: attribute 'file-link': "));
  // Without a file_links.xml to check against, names are not checked.
  CHECK(one_action("<file-monitor><file file-link=\"any\">/in/*</file></file-monitor>").wf);
}

TEST_CASE("a file link is kept by its name: a parse without file_links.xml runs on the same link") {
  // The master parses a stored version again without the file links (a
  // rerun, a restart): what the worker runs must not depend on that.
  parse_options opts;
  opts.file_links = parse_file_links(
    "<file-links><link name=\"hadoop\" type=\"HDFS\" host=\"nn1\" port=\"8020\" "
    "username=\"etl\"/></file-links>",
    "file_links.xml");
  const std::string transfer =
    "<transfer><source type=\"FILE\" file-link=\" hadoop \">in.txt</source>"
    "<target type=\"FILE\" file-link=\"hadoop\" path=\"/w/out.txt\" is-pre-del=\"true\"/></transfer>";
  const std::string monitor =
    "<file-monitor><file file-link=\"hadoop\">/w/*.txt</file></file-monitor>";
  const parse_options* checked_or_not[] = {&opts, nullptr};
  for (const auto* links : checked_or_not) {
    auto t = one_action(transfer, links != nullptr ? *links : parse_options{});
    INFO(join(diags(t), "\n"));
    REQUIRE(t.wf);
    const auto& ends = body_of<transfer_action>(t);
    CHECK(ends.source.file_link == "hadoop");
    CHECK(ends.target.file_link == "hadoop");
    // Where the link points is the worker's to look up when it runs.
    CHECK_FALSE(ends.source.hdfs);
    CHECK_FALSE(ends.target.hdfs);
    auto m = one_action(monitor, links != nullptr ? *links : parse_options{});
    REQUIRE(m.wf);
    CHECK(body_of<file_monitor_action>(m).file_link == "hadoop");
    // Checked against file_links.xml: it is on HDFS, and the load says so.
    CHECK(has(t, "warning: <source> is on HDFS") == (links != nullptr));
    CHECK(has(t, "warning: 'is-pre-del' has no effect on an HDFS target") == (links != nullptr));
    CHECK(has(m, "warning: <file> is on HDFS") == (links != nullptr));
  }
  // A parameter: kept as written, expanded when the attempt is built and
  // resolved by the worker (tests/src/actions/hdfs_transfer_test.cpp).
  auto param = one_action("<file-monitor><file file-link=\"${param:fs}\">/w/*</file></file-monitor>", opts);
  INFO(join(diags(param), "\n"));
  REQUIRE(param.wf);
  CHECK(body_of<file_monitor_action>(param).file_link == "${param:fs}");
  CHECK(diags(param).empty());
  // type="HDFS" with an HDFS link names HDFS twice.
  auto twice = one_action("<transfer><source type=\"HDFS\" path=\"/x\" file-link=\"hadoop\"/>"
                          "<target type=\"FILE\" path=\"/y\"/></transfer>", opts);
  CHECK(has(twice, "error: <source> of type HDFS takes no 'file-link' (give it type=\"FILE\")"));
}

TEST_CASE("file-executor: the word with a slash is the script, as akkaflow read it") {
  CHECK(executor_script_word("sh /x/y.sh a b") == "/x/y.sh");
  CHECK(executor_script_word("python3 jobs/run.py") == "jobs/run.py");
  CHECK(executor_script_word("run.sh a") == "run.sh");
  CHECK(executor_script_word("./run.sh /data/in") == "./run.sh");
  std::string problem;
  CHECK(executor_script_word("sh /x/y.sh /data", &problem).empty());
  CHECK(problem.find("(/x/y.sh, /data)") != std::string::npos);
  auto split = split_executor_command("  sh /x/y.sh a b");
  REQUIRE(split);
  CHECK(split->script == "/x/y.sh");
  CHECK(split->command == "sh ./y.sh a b");
  // Every word that is the script, and only whole words.
  auto again = split_executor_command("bin/run.sh bin/run.sh.log bin/run.sh");
  REQUIRE(again);
  CHECK(again->command == "./run.sh bin/run.sh.log ./run.sh");
  CHECK_FALSE(split_executor_command("sh a/b c/d"));
  // At load: an interpreter before the script is what akkaflow meant; another
  // first word is named in a warning (earlier cafflow versions ran it).
  auto via_sh = one_action("<file-executor><command>sh /x/y.sh a</command></file-executor>");
  REQUIRE(via_sh.wf);
  CHECK(diags(via_sh).empty());
  auto python = one_action("<file-executor><command>python3 jobs/run.py</command></file-executor>");
  CHECK(diags(python).empty());
  auto moved = one_action("<file-executor><command>run.sh /data/in</command></file-executor>");
  REQUIRE(moved.wf);
  CHECK(has(moved, "3:33: warning: <command>: the script is '/data/in', the word with a '/' (as "
                   "akkaflow read it), not the first word 'run.sh'; write ./run.sh to run that one"));
  auto ambiguous = one_action("<file-executor><command>sh /x/y.sh /data</command></file-executor>");
  CHECK_FALSE(ambiguous.wf);
  CHECK(has(ambiguous, "3:33: error: <command>: the command names no script"));
}

TEST_SUITE_END();

TEST_SUITE_BEGIN("workflow_parser");

TEST_CASE("text akkaflow ignored loads with a warning where it would not be lost") {
  // A stray character in a 2.8 <file-monitor> (akkaflow's parser read only
  // the elements): a warning at the text.
  auto r = one_action(R"(<file-monitor>8
      <file num-threshold="1">/data/in/*</file></file-monitor>)");
  CHECK(r.wf);
  CHECK(has(r, "3:32: warning: text inside <file-monitor> is ignored"));
  // Text where cafflow knows what it meant stays an error: it would be lost.
  auto lost = one_action("<shell>echo a</shell>");
  CHECK_FALSE(lost.wf);
  CHECK(has(lost, "unexpected text inside <shell> (put it in <command>)"));
}

TEST_CASE("a 2.6.4 trigger-list workflow written with path triggers nothing as in akkaflow") {
  auto r = parse_definition(R"(<coordinator name="c" is-enabled="false">
  <depend-list cron="0 1 * * *"/>
  <trigger-list><workflow path="wf_test"/></trigger-list>
</coordinator>)",
                            "c.xml");
  REQUIRE(r.coordinator);
  CHECK(r.coordinator->trigger_list.empty());
  CHECK(has(r, "3:27: warning: <trigger-list> names a workflow by 'name'; akkaflow ignored "
               "this 'path'"));
  CHECK(has(r, "write name=\"wf_test\" to trigger it"));
  CHECK(has(r, "warning: this standalone <coordinator> triggers no workflow"));
  // With no <trigger-list> at all it is still refused.
  auto none = parse_definition(R"(<coordinator name="c"><depend-list cron="0 1 * * *"/></coordinator>)",
                               "c.xml");
  CHECK_FALSE(none.coordinator);
  CHECK(has(none, "needs a <trigger-list>"));
}

TEST_SUITE_END();
