// Alerts with real processes (docs/OPERATIONS.md, "Alerts"): a cluster whose
// master sends to a real SMTP server (aiosmtpd) and a webhook receiver
// (http.server), both started here. Mail for a failed run arrives once with
// the failed node and its log tail; mail-level is honoured; retry,
// timeout-warn, sla, max-duration and data-monitor alerts; every webhook
// template; a mail server that is down; a failover between the event and the
// send; a storm of failures under the rate limit.
#include <csignal>
#include <filesystem>
#include <set>

#include <doctest/doctest.h>

#include "cluster.hpp"
#include "receivers.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

using namespace cafflow;
using namespace cafflow::test;

namespace {

/// A workflow of one action `node` running `command`.
std::string one_node(const std::string& name, const std::string& attrs,
                     const std::string& command, const std::string& action_attrs = "") {
  return "<work-flow name=\"" + name + "\" " + attrs + "><start name=\"s\" to=\"load\"/>"
         + "<action name=\"load\" " + action_attrs + "><shell><command><![CDATA[" + command
         + "]]></command></shell><ok to=\"e\"/></action><end name=\"e\"/></work-flow>";
}

/// The mail settings of a cluster that sends to `port`, and a quick alerter.
std::string mail_ini(int port, const std::string& more = "") {
  return "[mail]\nserver = 127.0.0.1:" + std::to_string(port)
         + "\ntimeout_s = 5\n[alert]\npoll_ms = 100\nretry_initial_s = 1\nretry_max_s = 2\n"
         + more;
}

/// A received mail with its quoted-printable soft line breaks removed, so
/// that long lines read as they were written.
std::string unfold(std::string mail) {
  for (auto at = mail.find("=\r\n"); at != std::string::npos; at = mail.find("=\r\n", at))
    mail.erase(at, 3);
  for (auto at = mail.find("=\n"); at != std::string::npos; at = mail.find("=\n", at))
    mail.erase(at, 2);
  return mail;
}

/// Every alert of the cluster (newest first).
json alerts(cluster& c, const std::string& query = "") {
  return c.get("/api/v1/alerts?limit=1000" + query)["alerts"];
}

/// Whether no alert is pending any more.
bool settled(cluster& c) { return alerts(c, "&status=pending").empty(); }

/// Modification time of a file in ms.
timestamp mtime_ms(const std::string& path) {
  auto t = std::filesystem::last_write_time(path);
  auto sys = std::chrono::time_point_cast<std::chrono::milliseconds>(
    t - std::filesystem::file_time_type::clock::now() + std::chrono::system_clock::now());
  return sys.time_since_epoch().count();
}

/// The node's end as the API shows it, in ms.
timestamp finished_ms(const json& node) {
  timestamp t = 0;
  REQUIRE(parse_utc_time(node["finished"].get<std::string>(), t));
  return t;
}

} // namespace

TEST_SUITE_BEGIN("alerts");

TEST_CASE("a failed run mails its receivers and the downstream owners once with the failed node and its log tail") {
  temp_dir mail_dir;
  smtp_server smtp(mail_dir);
  cluster_options opts;
  opts.extra_ini = mail_ini(smtp.port, "base_url = http://ops.example:8080\n");
  cluster c(opts);
  c.add_workflow("fails.xml", one_node("fails", "mail-receivers=\"oncall@example.com\"",
                                       "echo 'ERROR: table orders_2026 is missing'; exit 3"));
  c.add_workflow("quiet.xml", one_node("quiet", "mail-receivers=\"oncall@example.com\"", "true"));
  c.add_workflow("told.xml", one_node("told",
                                      "mail-receivers=\"team@example.com\" "
                                      "mail-level=\"W_SUCCESSED,W_FAILED\"",
                                      "true"));
  // Downstream of fails: its owner hears of the failure (the default route).
  c.add_workflow("after.xml",
                 "<work-flow name=\"after\" mail-receivers=\"owner@example.com\"><coordinator>"
                 "<depend-list><workflow name=\"fails\"/></depend-list></coordinator>"
                 "<start name=\"s\" to=\"e\"/><end name=\"e\"/></work-flow>");
  c.start();
  REQUIRE(wait_until([&] { return c.api("GET", "/api/v1/workflows/after").status == 200; }));
  auto failed = c.wait_for(c.run("fails"));
  REQUIRE(failed["status"] == "failed");
  CHECK(c.wait_for(c.run("quiet"))["status"] == "succeeded");
  CHECK(c.wait_for(c.run("told"))["status"] == "succeeded");
  REQUIRE_MESSAGE(wait_until([&] { return smtp.received().size() >= 3 && settled(c); },
                             std::chrono::seconds(30)),
                  c.logs());
  // Anything more would come within a few polls (every 100 ms): none does.
  CHECK_FALSE(wait_until([&] { return smtp.received().size() > 3; }, std::chrono::seconds(2)));
  auto mails = smtp.received();
  REQUIRE(mails.size() == 3);
  std::string fail_mail, ok_mail, owner_mail;
  for (const auto& m : mails)
    (m.find("X-Rcpt: oncall@example.com") == 0   ? fail_mail
     : m.find("X-Rcpt: owner@example.com") == 0 ? owner_mail
                                                 : ok_mail) = unfold(m);
  CHECK(ok_mail.find("X-Rcpt: team@example.com") == 0);
  CHECK(owner_mail.find("Subject: [cafflow] workflow fails failed at node load")
        != std::string::npos);
  CHECK(ok_mail.find("workflow told succeeded") != std::string::npos);
  REQUIRE(!fail_mail.empty());
  CHECK(fail_mail.find("Subject: [cafflow] workflow fails failed at node load")
        != std::string::npos);
  CHECK(fail_mail.find("multipart/alternative") != std::string::npos);
  CHECK(fail_mail.find("text/plain") != std::string::npos);
  CHECK(fail_mail.find("ERROR: table orders_2026 is missing") != std::string::npos);
  CHECK(fail_mail.find("http://ops.example:8080/api/v1/instances/" + failed["id"].get<std::string>())
        != std::string::npos);
  // Node failed -> mail in the inbox.
  timestamp latency = 0;
  for (std::size_t i = 0; i < mails.size(); ++i)
    if (unfold(mails[i]) == fail_mail)
      latency = mtime_ms(smtp.out + "/" + std::to_string(i + 1) + ".eml")
                - finished_ms(node_of(failed, "load"));
  MESSAGE("alert latency (node failed -> mail received): " << latency << " ms");
  // The history says so, and the CLI shows it.
  auto list = alerts(c);
  REQUIRE(list.size() == 3);
  for (const auto& a : list) {
    CHECK(a["status"] == "sent");
    CHECK(a["attempts"] == 1);
    CHECK(a["answer"].get<std::string>().find("sent to") != std::string::npos);
  }
  auto cli = c.cli({"alert", "list", "--workflow", "fails"});
  CHECK_MESSAGE(cli.exit_code == 0, cli.output);
  CHECK(cli.output.find("instance_failed") != std::string::npos);
  auto id = alerts(c, "&workflow=fails")[0]["id"].get<std::int64_t>();
  auto shown = c.cli({"--json", "alert", "show", std::to_string(id)});
  REQUIRE_MESSAGE(shown.exit_code == 0, shown.output);
  auto doc = json::parse(shown.output);
  CHECK(doc["event"]["node"] == "load");
  CHECK(doc["event"]["log_tail"].get<std::string>().find("orders_2026") != std::string::npos);
  CHECK(c.api("GET", "/api/v1/alerts?status=lost").status == 400);
  CHECK(c.api("GET", "/api/v1/alerts/999999").status == 404);
}

TEST_CASE("retry, warn-timeout, max-duration, sla and data-monitor alerts and every webhook template") {
  temp_dir hook_dir;
  http_receiver hook(hook_dir);
  cluster_options opts;
  opts.extra_ini = "[alert]\npoll_ms = 100\nmax_per_window = 20\n";
  cluster c(opts);
  write_file(c.dir("conf/alerts.xml"),
             "<alerts>\n"
             "  <channel name=\"generic\" type=\"webhook\" url=\"" + hook.url("/generic") + "\"/>\n"
             "  <channel name=\"slack\" type=\"webhook\" url=\"" + hook.url("/slack") + "\" template=\"slack\"/>\n"
             "  <channel name=\"dingtalk\" type=\"webhook\" url=\"" + hook.url("/dingtalk") + "\" template=\"dingtalk\"/>\n"
             "  <channel name=\"wecom\" type=\"webhook\" url=\"" + hook.url("/wecom") + "\" template=\"wecom\"/>\n"
             "  <channel name=\"feishu\" type=\"webhook\" url=\"" + hook.url("/feishu") + "\" template=\"feishu\"/>\n"
             "  <channel name=\"pipe\" type=\"command\" command=\"cat >> " + c.dir("pipe.out") + "\"/>\n"
             "</alerts>\n");
  auto marker = c.dir("retried");
  c.add_workflow("retry.xml", one_node("retry", "alert-to=\"generic\"",
                                       "if [ ! -e " + marker + " ]; then touch " + marker
                                         + "; exit 3; fi",
                                       "retry-times=\"1\" interval=\"1\""));
  c.add_workflow("slow.xml", one_node("slow", "alert-to=\"generic\" sla=\"1s\"", "sleep 3",
                                      "timeout=\"1\" timeout-action=\"warn\" max-duration=\"2s\""));
  c.add_workflow("monitor.xml",
                 "<work-flow name=\"monitor\" alert-to=\"generic,slack,dingtalk,wecom,feishu,pipe\">"
                 "<start name=\"s\" to=\"check\"/><action name=\"check\"><data-monitor "
                 "recheck-interval=\"0\"><source type=\"NUM\">42</source><max type=\"NUM\">10</max>"
                 "<warn-msg>too many orders</warn-msg></data-monitor><ok to=\"e\"/></action>"
                 "<end name=\"e\"/></work-flow>");
  c.start();
  CHECK(c.wait_for(c.run("retry"))["status"] == "succeeded");
  CHECK(c.wait_for(c.run("slow"))["status"] == "succeeded");
  CHECK(c.wait_for(c.run("monitor"))["status"] == "failed");
  REQUIRE_MESSAGE(wait_until([&] { return alerts(c).size() >= 16 && settled(c); },
                             std::chrono::seconds(30)),
                  c.logs() << alerts(c).dump(2));
  std::multiset<std::string> kinds;
  for (const auto& a : alerts(c)) {
    CHECK_MESSAGE(a["status"] == "sent", a.dump());
    if (a["channel"] == "generic")
      kinds.insert(a["kind"].get<std::string>());
  }
  CHECK(kinds.count("retry") == 1);
  CHECK(kinds.count("timeout_warning") == 1);
  CHECK(kinds.count("max_duration") == 1);
  CHECK(kinds.count("sla") == 1);
  CHECK(kinds.count("data_monitor") == 1);
  CHECK(kinds.count("instance_failed") == 1); // monitor; the others succeeded (W_FAILED only)
  std::map<std::string, json> bodies;
  for (const auto& text : hook.received()) {
    auto request = json::parse(text);
    CHECK(request["content_type"].get<std::string>().find("application/json") == 0);
    auto body = json::parse(request["body"].get<std::string>()); // valid JSON, or this throws
    auto path = request["path"].get<std::string>();
    if (path != "/generic" || body["events"][0]["kind"] == "data_monitor")
      bodies[path] = body;
  }
  REQUIRE(bodies.count("/generic") == 1);
  CHECK(bodies["/generic"]["count"] == 1);
  CHECK(bodies["/generic"]["events"][0]["workflow"] == "monitor");
  CHECK(bodies["/generic"]["events"][0]["message"].get<std::string>().find("above the maximum")
        != std::string::npos);
  CHECK(bodies["/slack"]["text"].get<std::string>().find("monitor") != std::string::npos);
  CHECK(bodies["/dingtalk"]["msgtype"] == "markdown");
  CHECK(bodies["/dingtalk"]["markdown"]["text"].is_string());
  CHECK(bodies["/wecom"]["msgtype"] == "markdown");
  CHECK(bodies["/wecom"]["markdown"]["content"].is_string());
  CHECK(bodies["/feishu"]["msg_type"] == "text");
  CHECK(bodies["/feishu"]["content"]["text"].is_string());
  // The command got the events as JSON on stdin.
  auto piped = read_file(c.dir("pipe.out"));
  CHECK(piped.find("\"kind\":\"data_monitor\"") != std::string::npos);
  // cafflow alert test sends from the CLI and prints what the receiver answered.
  auto test = c.cli({"alert", "test", "slack"});
  CHECK_MESSAGE(test.exit_code == 0, test.output);
  CHECK(test.output.find("sent to slack (webhook): HTTP 200 OK") != std::string::npos);
  auto unknown = c.cli({"alert", "test", "pager"});
  CHECK(unknown.exit_code == 64);
  CHECK(unknown.output.find("unknown alert channel 'pager'") != std::string::npos);
}

TEST_CASE("an unknown channel in alert-to refuses the file, naming it") {
  cluster c;
  write_file(c.dir("conf/alerts.xml"),
             "<alerts><channel name=\"oncall\" type=\"mail\" to=\"a@x.org\"/></alerts>");
  c.add_workflow("typo.xml", one_node("typo", "alert-to=\"oncal\"", "true"));
  c.start();
  REQUIRE(wait_until([&] { return !file_status(c, "typo.xml").is_null(); }));
  auto f = file_status(c, "typo.xml");
  CHECK(f["status"] == "invalid");
  CHECK(f.dump().find("unknown alert channel 'oncal' (did you mean 'oncall'?)") != std::string::npos);
}

TEST_CASE("an instance still waiting on its dependencies past its sla is alerted once") {
  temp_dir hook_dir;
  http_receiver hook(hook_dir);
  cluster_options opts;
  opts.extra_ini = "[alert]\npoll_ms = 100\n";
  cluster c(opts);
  write_file(c.dir("conf/alerts.xml"), "<alerts><channel name=\"generic\" type=\"webhook\" url=\""
                                         + hook.url("/generic") + "\"/></alerts>");
  c.add_workflow("a.xml", one_node("A", "timezone=\"UTC\"", "true"));
  // B waits for an instance of A in its logical time's day; its sla is long
  // over (the logical time is in the past).
  c.add_workflow("b.xml", R"(<work-flow name="B" timezone="UTC" alert-to="generic" sla="1s">
  <coordinator><depend-list><workflow name="A" cycle="day" window="today"/></depend-list></coordinator>
  <start name="s" to="work"/>
  <action name="work"><shell><command>true</command></shell><ok to="e"/></action>
  <end name="e"/>
</work-flow>)");
  c.start();
  auto run_at = [&](const std::string& workflow) {
    auto response = c.api("POST", "/api/v1/workflows/" + workflow + "/run",
                          json{{"params", json::object()}, {"logical_time", "2026-07-28 04:10:00"}}
                            .dump());
    REQUIRE_MESSAGE(response.status == 201, response.body);
    return json::parse(response.body)["instance_id"].get<std::string>();
  };
  REQUIRE(wait_until([&] {
    auto r = c.api("GET", "/api/v1/workflows/B");
    return r.status == 200;
  }));
  auto b = run_at("B");
  REQUIRE_MESSAGE(wait_until([&] { return alerts(c, "&workflow=B").size() == 1 && settled(c); },
                             std::chrono::seconds(30)),
                  c.logs() << alerts(c).dump(2));
  auto late = alerts(c, "&workflow=B")[0];
  CHECK(late["kind"] == "sla");
  CHECK(late["instance_id"] == b);
  CHECK(late["status"] == "sent");
  CHECK(c.get("/api/v1/instances/" + b)["status"] == "queued");
  auto shown = c.get("/api/v1/alerts/" + late["id"].dump());
  auto message = shown["event"]["message"].get<std::string>();
  CHECK_MESSAGE(message.find("waiting since") != std::string::npos, message);
  CHECK_MESSAGE(message.find("none yet") != std::string::npos, message);
  REQUIRE(hook.received().size() == 1);
  // A's day arrives: B runs (already late), and no second sla alert comes.
  CHECK(c.wait_for(run_at("A"))["status"] == "succeeded");
  CHECK(c.wait_for(b)["status"] == "succeeded");
  CHECK(settled(c));
  CHECK(alerts(c, "&workflow=B").size() == 1);
  CHECK(c.stop());
}

TEST_CASE("a webhook over HTTPS is sent when its certificate chains to the channel's ca-file") {
  temp_dir tls_dir;
  make_certificate(tls_dir.path());
  temp_dir hook_dir;
  http_receiver hook(hook_dir, 200, "{\"ok\":true}", tls_dir.path());
  cluster_options opts;
  opts.extra_ini = "[alert]\npoll_ms = 100\n";
  cluster c(opts);
  write_file(c.dir("conf/alerts.xml"),
             "<alerts>\n"
             "  <channel name=\"secure\" type=\"webhook\" url=\"" + hook.url("/secure")
               + "\" ca-file=\"" + tls_dir.path() + "/cert.pem\"/>\n"
             "  <channel name=\"untrusted\" type=\"webhook\" url=\"" + hook.url("/untrusted")
               + "\" timeout=\"5\"/>\n"
             "</alerts>\n");
  c.add_workflow("fails.xml", one_node("fails", "alert-to=\"secure\"", "exit 1"));
  c.start();
  auto sent = c.cli({"alert", "test", "secure"});
  CHECK_MESSAGE(sent.exit_code == 0, sent.output);
  CHECK(sent.output.find("HTTP 200") != std::string::npos);
  // Without the CA the self-signed certificate is refused, and nothing arrives.
  auto refused = c.cli({"alert", "test", "untrusted"});
  CHECK_MESSAGE(refused.exit_code != 0, refused.output);
  CHECK_MESSAGE(refused.output.find("ertificate") != std::string::npos, refused.output);
  // A failure's alert goes over HTTPS too.
  CHECK(c.wait_for(c.run("fails"))["status"] == "failed");
  REQUIRE_MESSAGE(wait_until([&] { return alerts(c, "&workflow=fails").size() == 1 && settled(c); },
                             std::chrono::seconds(30)),
                  c.logs() << alerts(c).dump(2));
  CHECK(alerts(c, "&workflow=fails")[0]["status"] == "sent");
  std::vector<std::string> paths;
  for (const auto& text : hook.received())
    paths.push_back(json::parse(text)["path"].get<std::string>());
  CHECK(paths == std::vector<std::string>{"/secure", "/secure"});
  CHECK(c.stop());
}

TEST_CASE("mail that cannot be sent is retried until the server is back") {
  temp_dir mail_dir;
  int port = free_port(); // nothing listens yet
  cluster_options opts;
  opts.extra_ini = mail_ini(port);
  cluster c(opts);
  c.add_workflow("fails.xml", one_node("fails", "mail-receivers=\"oncall@example.com\"", "exit 1"));
  c.start();
  CHECK(c.wait_for(c.run("fails"))["status"] == "failed");
  REQUIRE_MESSAGE(wait_until([&] {
                    auto list = alerts(c);
                    return !list.empty() && list[0]["attempts"].get<int>() >= 2;
                  }, std::chrono::seconds(30)),
                  c.logs());
  auto waiting = alerts(c)[0];
  CHECK(waiting["status"] == "pending");
  CHECK(waiting["answer"].get<std::string>().find("cannot send the mail") != std::string::npos);
  // Down for a while (the issue's 30 s, shortened to three failed tries), then back.
  REQUIRE_MESSAGE(wait_until([&] { return alerts(c)[0]["attempts"].get<int>() >= 3; },
                             std::chrono::seconds(30)),
                  c.logs());
  smtp_server smtp(mail_dir, {}, port);
  REQUIRE_MESSAGE(wait_until([&] { return smtp.received().size() == 1 && settled(c); },
                             std::chrono::seconds(30)),
                  c.logs());
  CHECK_FALSE(wait_until([&] { return smtp.received().size() > 1; }, std::chrono::seconds(2)));
  CHECK(alerts(c)[0]["status"] == "sent");
}

TEST_CASE("a master killed between the event and the send: the standby sends it, once") {
  temp_dir mail_dir;
  int port = free_port(); // down: the event is in the outbox, not sent
  cluster_options opts;
  opts.standby = true;
  opts.extra_ini = mail_ini(port);
  cluster c(opts);
  c.add_workflow("fails.xml", one_node("fails", "mail-receivers=\"oncall@example.com\"", "exit 1"));
  c.start();
  CHECK(c.wait_for(c.run("fails"))["status"] == "failed");
  REQUIRE_MESSAGE(wait_until([&] {
                    auto list = alerts(c);
                    return !list.empty() && list[0]["attempts"].get<int>() >= 1;
                  }, std::chrono::seconds(30)),
                  c.logs());
  c.master()->signal(SIGKILL);
  REQUIRE(c.master()->wait() == 128 + SIGKILL);
  smtp_server smtp(mail_dir, {}, port);
  REQUIRE_MESSAGE(wait_until([&] { return smtp.received().size() == 1; }, std::chrono::seconds(40)),
                  c.logs());
  REQUIRE(wait_until([&] {
    auto r = c.api("GET", "/api/v1/alerts?status=pending");
    return r.status == 200 && json::parse(r.body)["alerts"].empty();
  }));
  CHECK_FALSE(wait_until([&] { return smtp.received().size() > 1; }, std::chrono::seconds(2)));
  auto mails = smtp.received();
  CHECK(mails.size() == 1);
  CHECK(mails[0].find("workflow fails failed") != std::string::npos);
  // The one row, sent by the new master.
  auto list = alerts(c, "&workflow=fails");
  REQUIRE(list.size() == 1);
  CHECK(list[0]["status"] == "sent");
}

TEST_CASE("a storm of 200 failures: at most max_per_window mails, listing all 200") {
  temp_dir mail_dir;
  smtp_server smtp(mail_dir);
  cluster_options opts(1, 8);
  opts.extra_ini = mail_ini(smtp.port, "max_per_window = 3\nwindow_s = 600\nquiet_s = 8\n");
  cluster c(opts);
  c.add_workflow("storm.xml", one_node("storm",
                                       "mail-receivers=\"oncall@example.com\" instance-limit=\"200\"",
                                       "exit 1"));
  c.start();
  std::set<std::string> ids;
  for (int i = 0; i < 200; ++i)
    ids.insert(c.run("storm"));
  REQUIRE_MESSAGE(wait_until([&] {
                    return c.get("/api/v1/instances?workflow=storm&status=failed&limit=1000")
                             ["instances"].size() == 200;
                  }, std::chrono::seconds(120)),
                  c.logs());
  REQUIRE_MESSAGE(wait_until([&] { return settled(c); }, std::chrono::seconds(60)), c.logs());
  CHECK_FALSE(wait_until([&] { return smtp.received().size() > 3; }, std::chrono::seconds(2)));
  auto mails = smtp.received();
  MESSAGE("a storm of 200 failures became " << mails.size() << " mails");
  CHECK(mails.size() <= 3);
  std::string all;
  for (const auto& m : mails)
    all += unfold(m);
  // The mails are quoted-printable: ids (hex digits) survive as they are.
  for (const auto& id : ids) {
    CAPTURE(id);
    CHECK(all.find(id) != std::string::npos);
  }
  auto rows = alerts(c);
  CHECK(rows.size() == 200);
  for (const auto& a : rows)
    CHECK(a["status"] == "sent");
}

TEST_SUITE_END();
