#include "store/store_url.hpp"

#include <doctest/doctest.h>

using namespace cafflow;

TEST_SUITE_BEGIN("store_url");

TEST_CASE("a relative sqlite path resolves against the home directory") {
  auto url = parse_store_url("sqlite:data/x.db", "/opt/cafflow");
  REQUIRE(url);
  CHECK(url->type == store_url::backend::sqlite);
  CHECK(url->path == "/opt/cafflow/data/x.db");
  CHECK(url->redacted() == "sqlite:/opt/cafflow/data/x.db");
  CHECK(parse_store_url("sqlite:/abs/./y.db", "/h")->path == "/abs/y.db");
}

TEST_CASE("a mysql URL has its parts, and its redacted form hides the password") {
  auto url = parse_store_url("mysql://etl:s3cret@db.example.org:3307/cafflow", "/");
  REQUIRE(url);
  CHECK(url->type == store_url::backend::mysql);
  CHECK(url->user == "etl");
  CHECK(url->password == "s3cret");
  CHECK(url->host == "db.example.org");
  CHECK(url->port == 3307);
  CHECK(url->database == "cafflow");
  CHECK(url->redacted() == "mysql://etl:***@db.example.org:3307/cafflow");
  auto plain = parse_store_url("mysql://etl@localhost/cafflow", "/");
  REQUIRE(plain);
  CHECK(plain->port == 3306);
  CHECK(plain->password.empty());
  CHECK(plain->redacted() == "mysql://etl@localhost:3306/cafflow");
}

TEST_CASE("user and password in a mysql URL may be percent-encoded") {
  auto url = parse_store_url("mysql://etl%40corp:p%40ss%3Aw%2Fo%25rd%3b@127.0.0.1:3306/db", "/");
  REQUIRE(url);
  CHECK(url->user == "etl@corp");
  CHECK(url->password == "p@ss:w/o%rd;");
  CHECK(url->host == "127.0.0.1");
  CHECK(url->redacted() == "mysql://etl@corp:***@127.0.0.1:3306/db");
  // An unescaped '@' in the password still works: the last '@' ends it.
  auto raw = parse_store_url("mysql://u:a@b@h/db", "/");
  REQUIRE(raw);
  CHECK(raw->password == "a@b");
  CHECK(raw->host == "h");
}

TEST_CASE("bad mysql URLs are refused without showing the password") {
  for (const char* bad : {"mysql://u:pw%zz@h/db", "mysql://u:pw%4@h/db", "mysql://u:secret@h",
                          "mysql://u:secret@h:99999/db", "mysql://u:secret@/db",
                          "mysql://:secret@h/db", "mysql://u:secret", "postgres://u:secret@h/db"}) {
    CAPTURE(bad);
    auto url = parse_store_url(bad, "/");
    REQUIRE_FALSE(url);
    CHECK(url.error().code == ec::invalid_config);
    CHECK(url.error().message.find("secret") == std::string::npos);
    CHECK(url.error().message.find("pw") == std::string::npos);
  }
}

TEST_SUITE_END();
