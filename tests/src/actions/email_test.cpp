// email against a real SMTP server (Debian's python3-aiosmtpd): plain,
// STARTTLS with a login, a certificate that does not verify, a server that is
// down; and .eml files when no server is configured.
#include <filesystem>

#include "action_harness.hpp"
#include "receivers.hpp"
#include "util/strings.hpp"

using namespace cafflow;
using namespace cafflow::test;

TEST_SUITE_BEGIN("email");

TEST_CASE("without a mail server the message is written as an .eml file") {
  action_runner r;
  write_file(r.dir / "report.csv", "a,b\n1,2\n");
  auto out = r.run(R"(<email to="ops@example.com" cc="boss@example.com" subject="orders of ${param:day}">
      <html><h1>Orders</h1><p>day ${param:day}</p></html><attachment>report.csv</attachment>
    </email>)",
                   {{"day", "2026-11-20"}});
  CAPTURE(out.log);
  REQUIRE(out.exit_code == 0);
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(r.site.mail.eml_dir))
    files.push_back(e.path().string());
  REQUIRE(files.size() == 1);
  CHECK(ends_with(files[0], ".eml"));
  auto eml = read_file(files[0]);
  CHECK(eml.find("To: <ops@example.com>") != std::string::npos);
  CHECK(eml.find("CC: <boss@example.com>") != std::string::npos);
  CHECK(eml.find("Subject: orders of 2026-11-20") != std::string::npos);
  CHECK(eml.find("day 2026-11-20") != std::string::npos);
  CHECK(eml.find("filename=report.csv") != std::string::npos);
  CHECK(out.log.find("written to " + files[0]) != std::string::npos);
}

TEST_CASE("an email without receivers loads with a warning and its run sends nothing and succeeds") {
  // akkaflow (2.x) sent such a mail to nobody and the node succeeded.
  action_runner r;
  auto loaded = r.load_errors("<email><html>x</html></email>");
  CAPTURE(loaded);
  CHECK(loaded.find("warning: <email> has no receivers") != std::string::npos);
  CHECK(loaded.find("error") == std::string::npos);
  smtp_server server(r.dir);
  r.site.mail.server = "127.0.0.1:" + std::to_string(server.port);
  auto out = r.run("<email><html>x</html></email>");
  CAPTURE(out.log);
  CHECK(out.exit_code == 0);
  CHECK(out.log.find("no receivers") != std::string::npos);
  CHECK(server.received().empty());
}

TEST_CASE("mail over SMTP to the workflow's receivers with a query's rows attached") {
  action_runner r(R"(<db-links><link name="local" type="SQLITE" jdbc-url="jdbc:sqlite:m.db"/></db-links>)");
  REQUIRE(r.run(R"(<sql db-link="local">CREATE TABLE t (day TEXT, n INTEGER); INSERT INTO t VALUES ('d1', 5), ('d2', 7)</sql>)")
            .exit_code
          == 0);
  smtp_server server(r.dir);
  r.site.mail.server = "127.0.0.1:" + std::to_string(server.port);
  auto out = r.run(R"(<email to="a@example.com, b@example.com">
      <p>totals</p><attachment db-link="local" name="totals.csv">SELECT day, n FROM t ORDER BY day</attachment>
    </email>)");
  CAPTURE(out.log);
  REQUIRE(out.exit_code == 0);
  auto mails = server.received();
  REQUIRE(mails.size() == 1);
  CHECK(starts_with(mails[0], "X-Rcpt: a@example.com,b@example.com"));
  CHECK(mails[0].find("filename=totals.csv") != std::string::npos);
  CHECK(mails[0].find("Subject: [cafflow] t: a") != std::string::npos);
  CHECK(out.log.find("sent to a@example.com, b@example.com via 127.0.0.1:") != std::string::npos);
}

TEST_CASE("mail with STARTTLS and a login and a certificate that does not verify refused") {
  action_runner r;
  make_certificate(r.dir.path());
  write_file(r.dir / "report.csv", "x\n");
  smtp_server server(r.dir, {"--starttls", r.dir / "cert.pem", r.dir / "key.pem", "--auth", "etl",
                             "mail-Secret-77"});
  r.site.mail.server = "127.0.0.1:" + std::to_string(server.port);
  r.site.mail.security = "starttls";
  r.site.mail.user = "etl";
  r.site.mail.password = "mail-Secret-77";
  // Not signed by a CA this client trusts: no mail, and why.
  auto refused = r.run(std::string("<email to=\"x@example.com\">") + "<p>hi</p></email>");
  CAPTURE(refused.log);
  CHECK(refused.exit_code == 1);
  CHECK(refused.result.error.find("cannot send the mail via 127.0.0.1") != std::string::npos);
  CHECK(server.received().empty());
  // With the certificate as the CA: sent, logged in over TLS.
  r.site.mail.ca_file = r.dir / "cert.pem";
  auto sent = r.run(std::string("<email to=\"x@example.com\">") + "<p>hi</p></email>");
  CAPTURE(sent.log);
  CHECK(sent.exit_code == 0);
  CHECK(server.received().size() == 1);
  // A wrong password: refused, and the password is nowhere.
  r.site.mail.password = "mail-Wrong-88";
  auto wrong = r.run(std::string("<email to=\"x@example.com\">") + "<p>hi</p></email>");
  CHECK(wrong.exit_code == 1);
  CHECK(wrong.log.find("mail-Wrong-88") == std::string::npos);
  CHECK(read_file(r.dir / "work/i3/a.1/result.json").find("mail-Wrong-88") == std::string::npos);
  CHECK(server.received().size() == 1);
}

TEST_CASE("a mail server that is down fails the attempt naming it") {
  action_runner r;
  r.site.mail.server = "127.0.0.1:" + std::to_string(free_port());
  r.site.mail.timeout_s = 5;
  auto out = r.run(R"(<email to="x@example.com"><p>hi</p></email>)");
  CHECK(out.exit_code == 1);
  CHECK(out.result.error.find("cannot send the mail via " + r.site.mail.server) != std::string::npos);
  CHECK(out.result.error.find("Connection refused") != std::string::npos);
}

TEST_SUITE_END();
