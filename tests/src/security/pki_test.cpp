#include <doctest/doctest.h>

#include <filesystem>
#include <sys/stat.h>

#include "fixtures.hpp"
#include "security/identity.hpp"
#include "security/pki.hpp"

using namespace cafflow;
using namespace cafflow::tls;

TEST_SUITE("security/pki") {

TEST_CASE("a node certificate chains to its CA and names its role") {
  auto ca = make_ca("prod", 30);
  REQUIRE(ca);
  auto worker = make_node_cert(*ca, cert_role::worker, "host1.example", "prod", 30);
  REQUIRE(worker);
  auto trust = trust_store::from_pem(ca->cert);
  REQUIRE(trust);
  auto who = trust->verify(worker->cert);
  REQUIRE(who);
  CHECK(who->role == cert_role::worker);
  CHECK(who->subject.find("CN=worker@host1.example") != std::string::npos);
  CHECK(who->subject.find("O=prod") != std::string::npos);
  CHECK(check_node_pair(*worker, ca->cert, cert_role::worker));
  auto wrong_role = check_node_pair(*worker, ca->cert, cert_role::master);
  REQUIRE_FALSE(wrong_role);
  CHECK(wrong_role.error().message.find("role worker, not master") != std::string::npos);
}

TEST_CASE("a certificate of another CA is refused, and so is a CA certificate") {
  auto ours = make_ca("prod", 30);
  auto theirs = make_ca("prod", 30); // same cluster name, different key
  REQUIRE(ours);
  REQUIRE(theirs);
  auto foreign = make_node_cert(*theirs, cert_role::master, "127.0.0.1", "prod", 30);
  REQUIRE(foreign);
  auto trust = trust_store::from_pem(ours->cert);
  REQUIRE(trust);
  auto refused = trust->verify(foreign->cert);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message.find("not one of this cluster's") != std::string::npos);
  CHECK_FALSE(trust->verify(ours->cert)); // the CA itself proves no role
  CHECK_FALSE(trust->verify("not a certificate"));
  CHECK_FALSE(check_node_pair(*foreign, ours->cert, cert_role::master));
}

TEST_CASE("a trust store with two CAs accepts both (CA rotation)") {
  auto old_ca = make_ca("c", 30);
  auto new_ca = make_ca("c", 30);
  REQUIRE(old_ca);
  REQUIRE(new_ca);
  auto a = make_node_cert(*old_ca, cert_role::http, "a", "c", 30);
  auto b = make_node_cert(*new_ca, cert_role::http, "b", "c", 30);
  auto trust = trust_store::from_pem(old_ca->cert + new_ca->cert);
  REQUIRE(trust);
  CHECK(trust->verify(a->cert));
  CHECK(trust->verify(b->cert));
}

TEST_CASE("a host that is no host name is refused") {
  auto ca = make_ca("c", 30);
  REQUIRE(ca);
  CHECK_FALSE(make_node_cert(*ca, cert_role::worker, "", "c", 30));
  CHECK_FALSE(make_node_cert(*ca, cert_role::worker, "a b", "c", 30));
  CHECK(make_node_cert(*ca, cert_role::worker, "::1", "c", 30));
}

TEST_CASE("signatures verify only for the text signed and the key that signed") {
  auto ca = make_ca("c", 30);
  auto pair = make_node_cert(*ca, cert_role::master, "m", "c", 30);
  auto other = make_node_cert(*ca, cert_role::master, "m2", "c", 30);
  auto key = node_key::from_pem(*pair);
  REQUIRE(key);
  auto sig = key->sign("hello");
  REQUIRE(sig);
  auto trust = trust_store::from_pem(ca->cert);
  CHECK(trust->verify_signed(pair->cert, "hello", *sig));
  CHECK_FALSE(trust->verify_signed(pair->cert, "hellO", *sig));
  CHECK_FALSE(trust->verify_signed(other->cert, "hello", *sig));
  CHECK_FALSE(trust->verify_signed(pair->cert, "hello", "zz"));
  CHECK_FALSE(trust->verify_signed(pair->cert, "hello", ""));
  // A key and a certificate that do not belong together.
  CHECK_FALSE(node_key::from_pem(pem_pair{pair->cert, other->key}));
}

TEST_CASE("ensure_certificates creates the CA once, issues per role, keeps keys private") {
  test::temp_dir dir;
  auto tls_dir = dir / "tls";
  auto worker_files = files_in(tls_dir, cert_role::worker);
  auto created = ensure_certificates(worker_files, cert_role::worker, "127.0.0.1", "c");
  REQUIRE(created);
  CHECK(created->size() == 2); // the CA, then the worker certificate
  auto ca_pem = test::read_file(worker_files.ca);
  auto pair = read_pair(worker_files.cert, worker_files.key);
  REQUIRE(pair);
  CHECK(check_node_pair(*pair, ca_pem, cert_role::worker));
  struct stat st {};
  REQUIRE(::stat(worker_files.key.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  REQUIRE(::stat(worker_files.ca_key.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  REQUIRE(::stat(tls_dir.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  // Again: nothing new; another role: only its certificate, same CA.
  auto again = ensure_certificates(worker_files, cert_role::worker, "127.0.0.1", "c");
  REQUIRE(again);
  CHECK(again->empty());
  auto master_files = files_in(tls_dir, cert_role::master);
  auto master = ensure_certificates(master_files, cert_role::master, "127.0.0.1", "c");
  REQUIRE(master);
  CHECK(master->size() == 1);
  CHECK(test::read_file(master_files.ca) == ca_pem);
}

TEST_CASE("without the CA key a missing certificate is an error that says what to do") {
  test::temp_dir dir;
  auto files = files_in(dir / "tls", cert_role::http);
  REQUIRE(ensure_certificates(files, cert_role::http, "h", "c"));
  std::filesystem::remove(files.ca_key);
  auto worker = files_in(dir / "tls", cert_role::worker);
  auto missing = ensure_certificates(worker, cert_role::worker, "w1", "c");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message.find("cafflow tls issue --role worker --host w1") != std::string::npos);
}

TEST_CASE("describe_certs reads a bundle") {
  auto ca = make_ca("c", 30);
  auto node = make_node_cert(*ca, cert_role::worker, "w", "c", 30);
  auto all = describe_certs(node->cert + ca->cert);
  REQUIRE(all);
  REQUIRE(all->size() == 2);
  CHECK((*all)[0].role == "worker");
  CHECK((*all)[1].role.empty());
  CHECK((*all)[0].not_after > (*all)[0].not_before);
  CHECK((*all)[0].fingerprint.size() == 64);
  CHECK_FALSE(describe_certs("garbage"));
}

} // TEST_SUITE

TEST_SUITE("security/pki") {

TEST_CASE("a worker or http process never makes a CA of its own") {
  test::temp_dir dir;
  auto files = files_in(dir / "tls", cert_role::worker);
  auto refused = ensure_certificates(files, cert_role::worker, "w1", "c", false, 0);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message.find("there is no cluster CA") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(files.ca));
  // With the master's CA there, it issues its own certificate.
  REQUIRE(ensure_certificates(files_in(dir / "tls", cert_role::master), cert_role::master, "m",
                              "c"));
  auto issued = ensure_certificates(files, cert_role::worker, "w1", "c", false, 0);
  REQUIRE(issued);
  CHECK(issued->size() == 1);
}

} // TEST_SUITE
