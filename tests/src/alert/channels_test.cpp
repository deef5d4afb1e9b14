// conf/alerts.xml: channels and the errors that name what is wrong.
#include "alert/channels.hpp"

#include <filesystem>
#include <fstream>

#include <unistd.h>

#include <doctest/doctest.h>

#include "fixtures.hpp"
#include "util/files.hpp"

using namespace cafflow;

namespace {

std::string errors(const alert_channels_result& r) {
  std::string all;
  for (const auto& d : r.diagnostics)
    all += d.to_string() + "\n";
  return all;
}

} // namespace

TEST_SUITE_BEGIN("alert channels");

TEST_CASE("every channel type is read") {
  auto r = parse_alert_channels(R"(<alerts>
  <channel name="team" type="mail" to="a@x.org, b@x.org"/>
  <channel name="oncall" type="webhook" url="https://hooks.slack.com/services/T/B/X" template="slack" timeout="5"/>
  <channel name="pager" type="command" command="/usr/local/bin/page --team etl"/>
</alerts>)",
                                "alerts.xml");
  CHECK(errors(r).empty());
  REQUIRE(r.channels.size() == 3);
  CHECK(r.find("team")->to == std::vector<std::string>{"a@x.org", "b@x.org"});
  CHECK(r.find("oncall")->template_name == "slack");
  CHECK(r.find("oncall")->timeout_s == 5);
  CHECK(r.find("pager")->command == "/usr/local/bin/page --team etl");
  CHECK(r.find("pager")->timeout_s == 10);
  CHECK(r.names() == std::set<std::string>{"oncall", "pager", "team"});
}

TEST_CASE("a bad URL, template, type or address is an error naming it") {
  auto r = parse_alert_channels(R"(<alerts>
  <channel name="a" type="webhook" url="ftp://x/y"/>
  <channel name="b" type="webhook" url="https://x/y" template="teams"/>
  <channel name="c" type="pigeon"/>
  <channel name="d" type="mail" to="nobody"/>
  <channel name="a" type="command" command="true" timeout="0"/>
  <channel name="e" type="mail" to="x@y.org" url="http://x"/>
</alerts>)",
                                "alerts.xml");
  auto text = errors(r);
  CHECK(text.find("alerts.xml:2:3: error: channel 'a': url 'ftp://x/y' is not an http:// or "
                  "https:// URL")
        != std::string::npos);
  CHECK(text.find("channel 'b': unknown template 'teams'") != std::string::npos);
  CHECK(text.find("channel 'c': type 'pigeon' is not mail, webhook or command")
        != std::string::npos);
  CHECK(text.find("channel 'd': 'nobody' is not an e-mail address") != std::string::npos);
  CHECK(text.find("channel 'a' is defined twice") != std::string::npos);
  CHECK(text.find("channel 'a': timeout '0' is not a number of seconds") != std::string::npos);
  CHECK(text.find("channel 'e': attribute 'url' does not apply to type mail") != std::string::npos);
}

TEST_CASE("a webhook's ca-file is read relative to alerts.xml and must be a file of an https url") {
  auto dir = std::filesystem::temp_directory_path() / ("cafflow-ca-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "certs");
  { std::ofstream(dir / "certs/ca.pem") << "x"; }
  auto file = (dir / "alerts.xml").string();
  auto r = parse_alert_channels(R"(<alerts>
  <channel name="ok" type="webhook" url="https://hooks.example/x" ca-file="certs/ca.pem"/>
  <channel name="gone" type="webhook" url="https://hooks.example/x" ca-file="certs/none.pem"/>
  <channel name="plain" type="webhook" url="http://hooks.example/x" ca-file="certs/ca.pem"/>
  <channel name="mail" type="mail" to="a@x.org" ca-file="certs/ca.pem"/>
</alerts>)",
                                file);
  auto text = errors(r);
  CHECK(r.find("ok")->ca_file == (dir / "certs/ca.pem").string());
  CHECK(text.find("channel 'ok'") == std::string::npos);
  CHECK(text.find("channel 'gone': ca-file '" + (dir / "certs/none.pem").string()
                  + "' is not a file")
        != std::string::npos);
  CHECK(text.find("channel 'plain': ca-file applies to an https:// url only") != std::string::npos);
  CHECK(text.find("channel 'mail': attribute 'ca-file' does not apply to type mail")
        != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("a workflow's mail-receivers stand for a mail channel") {
  alert_channels_result none;
  auto c = resolve_channel(none, "mail:a@x.org,b@x.org", 7);
  REQUIRE(c);
  CHECK(c->type == "mail");
  CHECK(c->to.size() == 2);
  CHECK(c->timeout_s == 7);
  CHECK_FALSE(resolve_channel(none, "oncall", 7));
  auto back = alert_channel_from_json(alert_channel_to_json(*c));
  CHECK(back.to == c->to);
}

TEST_CASE("a missing alerts.xml is no channels and no error") {
  auto r = load_alert_channels("/nonexistent/alerts.xml");
  CHECK(r.channels.empty());
  CHECK(r.diagnostics.empty());
  auto missing = alert_channels_of(read_file("/nonexistent/alerts.xml"), "/nonexistent/alerts.xml");
  CHECK(missing.channels.empty());
  CHECK(missing.diagnostics.empty());
}

TEST_CASE("alerts.xml already read: its text is parsed and a read error is reported") {
  test::temp_dir dir;
  auto path = dir.path() + "/alerts.xml";
  test::write_file(path, "<alerts/>");
  auto given = alert_channels_of(
    std::string("<alerts><channel name=\"ops\" type=\"command\" command=\"true\"/></alerts>"), path);
  CHECK(errors(given) == "");
  CHECK(given.names() == std::set<std::string>{"ops"});
  auto unreadable = alert_channels_of(make_error(ec::filesystem_error, "cannot read it"), path);
  REQUIRE(unreadable.diagnostics.size() == 1);
  CHECK(unreadable.diagnostics[0].to_string() == path + ":1:1: error: cannot read it");
}

TEST_SUITE_END();
