// The alerter's rules without actors: routing and mail-level, outbox rows,
// the rate limit with its digest, back-off, and the body of every channel.
#include "alert/alert.hpp"

#include <doctest/doctest.h>

#include "model/workflow.hpp"
#include "xml/workflow_parser.hpp"

using namespace cafflow;

namespace {

alert_event failed_event() {
  alert_event e;
  e.key = "instance:00a1:failed:17";
  e.kind = "instance_failed";
  e.severity = "critical";
  e.workflow = "orders";
  e.instance_id = "00a1";
  e.node = "load";
  e.title = "workflow orders failed at node load";
  e.message = "exit code 3";
  e.log_tail = "line 1\nERROR: table <orders> missing\n";
  e.at = 1700000000000;
  e.nodes = {{"extract", "succeeded", 1, 1, 2, ""}, {"load", "failed", 2, 3, 4, "exit code 3"}};
  return e;
}

workflow parsed(const std::string& attrs) {
  auto r = parse_definition("<work-flow name=\"w\" " + attrs
                              + "><start name=\"s\" to=\"e\"/><end name=\"e\"/></work-flow>",
                            "w.xml");
  REQUIRE(r.wf);
  return *r.wf;
}

} // namespace

TEST_SUITE_BEGIN("alert");

TEST_CASE("a workflow's alerts go to its alert-to, else its mail-receivers by mail") {
  CHECK(workflow_channels(parsed("")).empty());
  CHECK(workflow_channels(parsed(R"(mail-receivers="a@x.org, b@x.org")"))
        == std::vector<std::string>{"mail:a@x.org,b@x.org"});
  CHECK(workflow_channels(parsed(R"(mail-receivers="a@x.org" alert-to="oncall,team")"))
        == std::vector<std::string>{"oncall", "team"});
}

TEST_CASE("a failure also goes to the mail-receivers of the workflows downstream") {
  auto make = [](const std::string& name, const std::string& attrs, const std::string& depends) {
    auto r = parse_definition("<work-flow name=\"" + name + "\" " + attrs + ">"
                                + (depends.empty() ? std::string()
                                                   : "<coordinator><depend-list>" + depends
                                                       + "</depend-list></coordinator>")
                                + "<start name=\"s\" to=\"e\"/><end name=\"e\"/></work-flow>",
                              name + ".xml");
    REQUIRE(r.wf);
    return *r.wf;
  };
  auto up = make("up", R"(mail-receivers="a@x.org")", "");
  auto flag = make("flag", R"(mail-receivers="b@x.org")", R"(<workflow name="up"/>)");
  auto windowed = make("windowed", R"(mail-receivers="c@x.org, d@x.org")",
                       R"(<workflow name="other"/><workflow name="up" cycle="day" window="today"/>)");
  auto same = make("same", R"(mail-receivers="b@x.org")", R"(<workflow name="up"/>)");
  auto nobody = make("nobody", "", R"(<workflow name="up"/>)");
  auto unrelated = make("unrelated", R"(mail-receivers="e@x.org")", R"(<workflow name="other"/>)");
  std::vector<const workflow*> all{&up, &flag, &windowed, &same, &nobody, &unrelated};
  CHECK(downstream_channels("up", all)
        == std::vector<std::string>{"mail:b@x.org", "mail:c@x.org,d@x.org"});
  CHECK(downstream_channels("flag", all).empty());
  CHECK(downstream_channels("other", all)
        == std::vector<std::string>{"mail:c@x.org,d@x.org", "mail:e@x.org"});
}

TEST_CASE("mail-level decides which final states are alerted") {
  auto plain = parsed("");
  CHECK(mail_level_wants(plain, "failed"));
  CHECK_FALSE(mail_level_wants(plain, "succeeded"));
  CHECK_FALSE(mail_level_wants(plain, "killed"));
  auto all = parsed(R"(mail-level="W_SUCCESSED, 杀死")");
  CHECK(mail_level_wants(all, "succeeded"));
  CHECK(mail_level_wants(all, "killed"));
  CHECK_FALSE(mail_level_wants(all, "failed"));
}

TEST_CASE("one outbox row per channel, keyed by the event and the channel") {
  auto rows = outbox_rows(failed_event(), {"oncall", "mail:a@x.org"}, 42);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].dedup_key == "instance:00a1:failed:17|oncall");
  CHECK(rows[1].dedup_key == "instance:00a1:failed:17|mail:a@x.org");
  CHECK(rows[0].status == "pending");
  CHECK(rows[0].next_at == 42);
  auto back = alert_event_from_json(nlohmann::json::parse(rows[1].event));
  CHECK(back.title == failed_event().title);
  CHECK(back.log_tail == failed_event().log_tail);
  REQUIRE(back.nodes.size() == 2);
  CHECK(back.nodes[1].status == "failed");
}

namespace {

std::pair<std::size_t, bool> plan(std::vector<timestamp>& sends, std::size_t due,
                                  timestamp oldest, timestamp newest, timestamp now,
                                  const alert_limits& limits) {
  auto p = plan_channel(sends, due, oldest, newest, now, limits);
  return {p.singles, p.digest};
}

} // namespace

TEST_CASE("the rate limit: single messages, then the last one of the window waits and digests") {
  alert_limits limits{3, 60000, 2000};
  std::vector<timestamp> sends;
  using p = std::pair<std::size_t, bool>;
  CHECK(plan(sends, 0, 0, 0, 1000, limits) == p{0, false});
  CHECK(plan(sends, 1, 1000, 1000, 1000, limits) == p{1, false});
  sends.push_back(1000);
  // A storm begins: one more alone, the rest wait for the last message ...
  CHECK(plan(sends, 15, 1100, 1400, 1500, limits) == p{1, false});
  sends.push_back(1500);
  CHECK(plan(sends, 50, 1600, 3000, 3500, limits) == p{0, false});
  // ... until no new alert came for quiet_ms: then it lists every one.
  CHECK(plan(sends, 183, 1600, 9000, 11000, limits) == p{0, true});
  sends.push_back(11000);
  CHECK(plan(sends, 1, 12000, 12000, 12000, limits) == p{0, false});
  // The window slides: sends older than it no longer count.
  CHECK(plan(sends, 1, 12000, 12000, 61001, limits) == p{1, false});
  CHECK(sends.size() == 2);
  // Two at once with room for both: each alone.
  std::vector<timestamp> fresh;
  CHECK(plan(fresh, 2, 5, 5, 5, limits) == p{2, false});
  // One message per window: it waits for the quiet, a lone alert goes alone.
  std::vector<timestamp> none;
  CHECK(plan(none, 1, 5, 5, 5, alert_limits{1, 60000, 2000}) == p{0, false});
  CHECK(plan(none, 1, 5, 5, 2005, alert_limits{1, 60000, 2000}) == p{1, false});
}

TEST_CASE("back-off doubles up to its maximum") {
  CHECK(retry_delay(1, 2000, 300000) == 2000);
  CHECK(retry_delay(2, 2000, 300000) == 4000);
  CHECK(retry_delay(5, 2000, 300000) == 32000);
  CHECK(retry_delay(40, 2000, 300000) == 300000);
}

TEST_CASE("the mail has the node table, the failed node's message, its log tail and a link") {
  auto e = failed_event();
  auto text = alert_text({e}, "http://ops.example:8080/");
  CHECK(text.find("workflow orders failed at node load") != std::string::npos);
  CHECK(text.find("ERROR: table <orders> missing") != std::string::npos);
  CHECK(text.find("extract  succeeded") != std::string::npos);
  CHECK(text.find("http://ops.example:8080/api/v1/instances/00a1") != std::string::npos);
  auto html = alert_html({e}, "http://ops.example:8080");
  CHECK(html.find("ERROR: table &lt;orders&gt; missing") != std::string::npos);
  CHECK(html.find("<td>load</td><td>failed</td>") != std::string::npos);
  CHECK(html.find("href=\"http://ops.example:8080/api/v1/instances/00a1\"") != std::string::npos);
  CHECK(alert_subject({e}) == "[cafflow] workflow orders failed at node load");
  CHECK(alert_text({e}, "").find("page:") == std::string::npos);
}

TEST_CASE("a digest lists every alert") {
  std::vector<alert_event> storm;
  for (int i = 0; i < 200; ++i) {
    auto e = failed_event();
    e.instance_id = "id" + std::to_string(i);
    storm.push_back(e);
  }
  CHECK(alert_subject(storm) == "[cafflow] 200 alerts: 200 instance_failed");
  auto text = alert_text(storm, "");
  auto html = alert_html(storm, "");
  for (int i = 0; i < 200; ++i) {
    CAPTURE(i);
    CHECK(text.find("(instance id" + std::to_string(i) + ")") != std::string::npos);
    CHECK(html.find(">id" + std::to_string(i) + "<") != std::string::npos);
  }
}

TEST_CASE("webhook bodies of each template have the documented shape") {
  std::vector<alert_event> one{failed_event()};
  auto generic = webhook_body("generic", one, "");
  CHECK(generic["count"] == 1);
  CHECK(generic["events"][0]["kind"] == "instance_failed");
  CHECK(generic["events"][0]["node"] == "load");
  CHECK(generic["subject"].get<std::string>().find("orders") != std::string::npos);
  auto slack = webhook_body("slack", one, "");
  CHECK(slack["text"].get<std::string>().find("ERROR: table") != std::string::npos);
  auto ding = webhook_body("dingtalk", one, "");
  CHECK(ding["msgtype"] == "markdown");
  CHECK(ding["markdown"]["title"].is_string());
  CHECK(ding["markdown"]["text"].get<std::string>().find("load") != std::string::npos);
  auto wecom = webhook_body("wecom", one, "");
  CHECK(wecom["msgtype"] == "markdown");
  CHECK(wecom["markdown"]["content"].is_string());
  auto feishu = webhook_body("feishu", one, "");
  CHECK(feishu["msg_type"] == "text");
  CHECK(feishu["content"]["text"].get<std::string>().find("orders") != std::string::npos);
}

TEST_CASE("the log tail is split from an attempt's message") {
  auto [text, tail] = split_log_tail("exit code 1\n--- last lines of the log ---\nboom\n");
  CHECK(text == "exit code 1");
  CHECK(tail == "boom\n");
  CHECK(split_log_tail("no log").second.empty());
}

TEST_SUITE_END();
