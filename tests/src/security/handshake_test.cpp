#include <doctest/doctest.h>

#include "fixtures.hpp"
#include "security/handshake.hpp"
#include "security/pki.hpp"

using namespace cafflow;
using namespace cafflow::tls;

namespace {

/// A CA and authenticators of every role, in a temp dir.
struct cluster_keys {
  test::temp_dir dir;
  std::string ca_file;

  explicit cluster_keys(const std::string& name = "c") {
    for (auto role : {cert_role::master, cert_role::worker, cert_role::http})
      REQUIRE(ensure_certificates(files_in(dir / "tls", role), role, "127.0.0.1", name));
    ca_file = files_in(dir / "tls", cert_role::master).ca;
  }

  authenticator as(cert_role role, const std::string& ca = {}) {
    auto f = files_in(dir / "tls", role);
    auto a = authenticator::load(ca.empty() ? f.ca : ca, f.cert, f.key, role);
    REQUIRE(a);
    return std::move(*a);
  }
};

} // namespace

TEST_SUITE("security/handshake") {

TEST_CASE("a worker and a master prove themselves to each other") {
  cluster_keys keys;
  auto master = keys.as(cert_role::master);
  auto worker = keys.as(cert_role::worker);
  auto hello = worker.hello();
  auto challenged = master.challenge(hello, 1000);
  REQUIRE(challenged);
  auto proof = worker.answer(hello, challenged->first);
  REQUIRE(proof);
  auto role = master.check(challenged->second, challenged->first, *proof);
  REQUIRE(role);
  CHECK(*role == cert_role::worker);
}

TEST_CASE("a certificate of the wrong role cannot claim another") {
  cluster_keys keys;
  auto master = keys.as(cert_role::master);
  auto http = keys.as(cert_role::http);
  auto hello = http.hello();
  hello.role = "worker"; // an http certificate claiming to be a worker
  auto refused = master.challenge(hello, 0);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message.find("cannot open a worker session") != std::string::npos);
  hello.role = "master";
  CHECK_FALSE(master.challenge(hello, 0));
}

TEST_CASE("a worker refuses a master that is not one, or of another cluster") {
  cluster_keys ours;
  cluster_keys theirs;
  auto worker = ours.as(cert_role::worker);
  auto hello = worker.hello();
  // Another worker of our own CA listening at the master's address.
  auto impostor = ours.as(cert_role::worker);
  auto posed = impostor.challenge(hello, 0);
  REQUIRE(posed);
  auto refused = worker.answer(hello, posed->first);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message.find("holds a worker certificate") != std::string::npos);
  // A master of another cluster: its certificate is not one of ours (and it
  // does not accept our worker either).
  auto foreign_master = theirs.as(cert_role::master);
  CHECK_FALSE(foreign_master.challenge(hello, 0));
  auto their_worker = theirs.as(cert_role::worker);
  auto h2 = their_worker.hello();
  auto c2 = foreign_master.challenge(h2, 0);
  REQUIRE(c2);
  auto answered = worker.answer(hello, c2->first);
  REQUIRE_FALSE(answered);
  CHECK(answered.error().message.find("could not prove itself") != std::string::npos);
}

TEST_CASE("a proof is bound to its challenge") {
  cluster_keys keys;
  auto master = keys.as(cert_role::master);
  auto worker = keys.as(cert_role::worker);
  auto h1 = worker.hello();
  auto c1 = master.challenge(h1, 0);
  auto h2 = worker.hello();
  auto c2 = master.challenge(h2, 0);
  REQUIRE(c1);
  REQUIRE(c2);
  auto p1 = worker.answer(h1, c1->first);
  REQUIRE(p1);
  // The proof for the first challenge does not answer the second.
  CHECK_FALSE(master.check(c2->second, c2->first, *p1));
  CHECK(master.check(c1->second, c1->first, *p1));
}

TEST_CASE("a process's own certificate must be of its role and CA") {
  cluster_keys ours;
  cluster_keys theirs;
  auto f = files_in(ours.dir / "tls", cert_role::worker);
  auto wrong_role = authenticator::load(f.ca, f.cert, f.key, cert_role::master);
  REQUIRE_FALSE(wrong_role);
  CHECK(wrong_role.error().message.find("needs a master certificate") != std::string::npos);
  auto wrong_ca = authenticator::load(theirs.ca_file, f.cert, f.key, cert_role::worker);
  CHECK_FALSE(wrong_ca);
}

TEST_CASE("with TLS off, roles are taken on trust") {
  auto master = authenticator::disabled(cert_role::master);
  auto worker = authenticator::disabled(cert_role::worker);
  CHECK_FALSE(master.enabled());
  auto hello = worker.hello();
  auto c = master.challenge(hello, 0);
  REQUIRE(c);
  auto p = worker.answer(hello, c->first);
  REQUIRE(p);
  CHECK(master.check(c->second, c->first, *p));
}

TEST_CASE("the challenge book is bounded, expires and uses each entry once") {
  challenge_book book(2);
  auto entry = [](timestamp expires) {
    pending_hello p;
    p.expires = expires;
    return p;
  };
  book.add("a", {}, entry(100));
  book.add("b", {}, entry(200));
  book.add("c", {}, entry(300)); // "a" leaves
  CHECK(book.size() == 2);
  CHECK_FALSE(book.take("a", 0));
  CHECK(book.take("b", 0));
  CHECK_FALSE(book.take("b", 0)); // once
  CHECK_FALSE(book.take("c", 300)); // expired
  CHECK(book.size() == 0);
}

TEST_CASE("sessions: secrets are random and found only by their own secret") {
  session_table<int> sessions;
  auto a = sessions.open(1);
  auto b = sessions.open(2);
  CHECK(a != b);
  CHECK(a.size() == 32);
  REQUIRE(sessions.find(credential{a}) != nullptr);
  CHECK(*sessions.find(credential{a}) == 1);
  CHECK(sessions.find(credential{""}) == nullptr);
  CHECK(sessions.find(credential{a.substr(0, 31)}) == nullptr);
  sessions.close_if([](int s) { return s == 1; });
  CHECK(sessions.find(credential{a}) == nullptr);
  CHECK(sessions.size() == 1);
}

} // TEST_SUITE
