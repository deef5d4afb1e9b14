#include "security/pki.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "security/identity.hpp"
#include "security/openssl_util.hpp"
#include "util/files.hpp"

namespace cafflow::tls {

namespace fs = std::filesystem;
using namespace detail;

const char* to_string(cert_role role) {
  switch (role) {
    case cert_role::master: return "master";
    case cert_role::worker: return "worker";
    case cert_role::http: return "http";
  }
  return "?";
}

std::optional<cert_role> parse_cert_role(std::string_view text) {
  if (text == "master")
    return cert_role::master;
  if (text == "worker")
    return cert_role::worker;
  if (text == "http")
    return cert_role::http;
  return std::nullopt;
}

namespace {

error tls_error(const std::string& what) {
  return make_error(ec::invalid_config, what + ": " + openssl_error("unknown OpenSSL error"));
}

pkey_ptr new_key() {
  return pkey_ptr{EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")};
}

bool add_name(X509_NAME* name, const char* field, const std::string& value) {
  return X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                                    reinterpret_cast<const unsigned char*>(value.data()),
                                    static_cast<int>(value.size()), -1, 0)
         == 1;
}

bool add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  auto* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr)
    return false;
  auto ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

/// A certificate with a random serial, valid from an hour ago (clocks of
/// hosts differ) for `days`, for `key`.
x509_ptr new_cert(EVP_PKEY* key, int days) {
  x509_ptr cert{X509_new()};
  if (!cert || X509_set_version(cert.get(), 2) != 1)
    return nullptr;
  std::unique_ptr<BIGNUM, decltype(&BN_free)> serial{BN_new(), &BN_free};
  if (!serial || BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1
      || BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) == nullptr)
    return nullptr;
  if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) == nullptr
      || X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400L * days) == nullptr
      || X509_set_pubkey(cert.get(), key) != 1)
    return nullptr;
  return cert;
}

std::string subject_alt_name(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  if (inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1)
    return "IP:" + host;
  return "DNS:" + host;
}

bool valid_host(const std::string& host) {
  if (host.empty() || host.size() > 253)
    return false;
  for (unsigned char c : host)
    if (!(std::isalnum(c) || c == '.' || c == '-' || c == '_' || c == ':'))
      return false;
  return true;
}

} // namespace

expected<pem_pair> make_ca(const std::string& cluster_name, int days) {
  auto key = new_key();
  if (!key)
    return tls_error("cannot create the CA's key");
  auto cert = new_cert(key.get(), days);
  if (!cert)
    return tls_error("cannot create the CA's certificate");
  auto* name = X509_get_subject_name(cert.get());
  if (!add_name(name, "O", cluster_name)
      || !add_name(name, "CN", "cafflow CA " + cluster_name + " " + random_hex(4))
      || X509_set_issuer_name(cert.get(), name) != 1)
    return tls_error("cannot name the CA's certificate");
  if (!add_ext(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0")
      || !add_ext(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign")
      || !add_ext(cert.get(), cert.get(), NID_subject_key_identifier, "hash"))
    return tls_error("cannot add the CA certificate's extensions");
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0)
    return tls_error("cannot sign the CA's certificate");
  return pem_pair{cert_to_pem(cert.get()), key_to_pem(key.get())};
}

expected<pem_pair> make_node_cert(const pem_pair& ca, cert_role role, const std::string& host,
                                  const std::string& cluster_name, int days) {
  if (!valid_host(host))
    return make_error(ec::invalid_argument,
                      "'" + host + "' is not a host name or address for a certificate");
  auto ca_cert = read_cert(ca.cert);
  auto ca_key = read_key(ca.key);
  if (!ca_cert || !ca_key)
    return tls_error("cannot read the CA's certificate and key");
  if (X509_check_private_key(ca_cert.get(), ca_key.get()) != 1)
    return tls_error("the CA's key does not belong to its certificate");
  auto key = new_key();
  if (!key)
    return tls_error("cannot create a key");
  auto cert = new_cert(key.get(), days);
  if (!cert)
    return tls_error("cannot create a certificate");
  auto* name = X509_get_subject_name(cert.get());
  if (!add_name(name, "O", cluster_name) || !add_name(name, "OU", to_string(role))
      || !add_name(name, "CN", std::string(to_string(role)) + "@" + host)
      || X509_set_issuer_name(cert.get(), X509_get_subject_name(ca_cert.get())) != 1)
    return tls_error("cannot name the certificate");
  if (!add_ext(cert.get(), ca_cert.get(), NID_basic_constraints, "critical,CA:FALSE")
      || !add_ext(cert.get(), ca_cert.get(), NID_key_usage,
                  "critical,digitalSignature,keyAgreement")
      || !add_ext(cert.get(), ca_cert.get(), NID_ext_key_usage, "serverAuth,clientAuth")
      || !add_ext(cert.get(), ca_cert.get(), NID_subject_key_identifier, "hash")
      || !add_ext(cert.get(), ca_cert.get(), NID_authority_key_identifier, "keyid:always")
      || !add_ext(cert.get(), ca_cert.get(), NID_subject_alt_name, subject_alt_name(host)))
    return tls_error("cannot add the certificate's extensions");
  if (X509_sign(cert.get(), ca_key.get(), EVP_sha256()) == 0)
    return tls_error("cannot sign the certificate");
  return pem_pair{cert_to_pem(cert.get()), key_to_pem(key.get())};
}

tls_files files_in(const std::string& dir, cert_role role) {
  auto in = [&](const std::string& name) { return (fs::path(dir) / name).string(); };
  return {in("ca.pem"), in("ca.key"), in(std::string(to_string(role)) + ".pem"),
          in(std::string(to_string(role)) + ".key")};
}

namespace {

expected<void> make_private_dir(const std::string& dir) {
  std::error_code err;
  fs::create_directories(dir, err);
  if (err)
    return make_error(ec::filesystem_error,
                      "cannot create the TLS directory '" + dir + "': " + err.message());
  ::chmod(dir.c_str(), 0700);
  return {};
}

} // namespace

expected<void> write_pair(const pem_pair& pair, const std::string& cert_file,
                          const std::string& key_file) {
  for (const auto* file : {&cert_file, &key_file})
    if (auto dir = fs::path(*file).parent_path(); !dir.empty())
      if (auto made = make_private_dir(dir.string()); !made)
        return made;
  // The key first: a certificate without its key is never left behind.
  if (auto ok = replace_file(key_file, pair.key, replace_mode{0600, false}); !ok)
    return ok;
  return replace_file(cert_file, pair.cert, replace_mode{0644, false});
}

expected<void> write_cert(const std::string& pem, const std::string& cert_file) {
  if (auto dir = fs::path(cert_file).parent_path(); !dir.empty())
    if (auto made = make_private_dir(dir.string()); !made)
      return made;
  return replace_file(cert_file, pem, replace_mode{0644, false});
}

expected<pem_pair> read_pair(const std::string& cert_file, const std::string& key_file) {
  auto cert = read_file(cert_file);
  if (!cert)
    return cert.error();
  auto key = read_file(key_file);
  if (!key)
    return key.error();
  return pem_pair{std::move(*cert), std::move(*key)};
}

expected<std::vector<std::string>> ensure_certificates(const tls_files& files, cert_role role,
                                                       const std::string& host,
                                                       const std::string& cluster_name,
                                                       bool may_create_ca, int wait_for_ca_ms) {
  constexpr int ca_days = 3650;
  constexpr int node_days = 825;
  auto dir = fs::path(files.cert).parent_path().string();
  if (auto made = make_private_dir(dir); !made)
    return made.error();
  // Master, worker and http of one host often start at the same moment.
  auto lock_file = (fs::path(dir) / ".lock").string();
  int lock = ::open(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock < 0)
    return make_error(ec::filesystem_error,
                      "cannot lock '" + lock_file + "': " + std::strerror(errno));
  struct unlock {
    int fd;
    ~unlock() { ::close(fd); }
  } guard{lock};
  std::vector<std::string> created;
  std::error_code err;
  auto exists = [&](const std::string& p) { return fs::exists(p, err); };
  // A process that may not make the CA (not on the master's host) waits a
  // little for one to appear; it never makes a CA of its own there (its peers
  // would refuse it).
  for (int waited = 0; !may_create_ca && !exists(files.ca) && !exists(files.ca_key)
                       && waited < wait_for_ca_ms;
       waited += 100)
    ::usleep(100 * 1000);
  ::flock(lock, LOCK_EX);
  if (!may_create_ca && !exists(files.ca) && !exists(files.ca_key))
    return make_error(ec::invalid_config,
                      "tls: there is no cluster CA in " + dir
                        + ": this host is not the master's, so on the master's host (which "
                          "holds the CA) run `cafflow tls issue --role "
                        + to_string(role) + " --host " + host + " --out DIR` and copy DIR's files to "
                        + dir);
  if (!exists(files.ca) && !exists(files.ca_key)) {
    auto ca = make_ca(cluster_name, ca_days);
    if (!ca)
      return ca.error();
    if (auto ok = write_pair(*ca, files.ca, files.ca_key); !ok)
      return ok.error();
    created.push_back("created the cluster CA " + files.ca + " (its key " + files.ca_key
                      + " issues the certificates of every node)");
  }
  if (exists(files.cert) && exists(files.key))
    return created;
  if (!exists(files.ca))
    return make_error(ec::invalid_config,
                      "tls: the CA certificate " + files.ca + " is missing (its key "
                        + files.ca_key + " is there): restore it, or remove the key to start "
                                         "a new cluster CA");
  if (!exists(files.ca_key))
    return make_error(
      ec::invalid_config,
      "tls: no " + std::string(to_string(role)) + " certificate in " + dir + " (" + files.cert
        + ") and no CA key there to issue one: on the host that holds the cluster CA run "
          "`cafflow tls issue --role "
        + to_string(role) + " --host " + host + " --out DIR` and copy DIR's files to " + dir);
  auto ca = read_pair(files.ca, files.ca_key);
  if (!ca)
    return ca.error();
  auto node = make_node_cert(*ca, role, host, cluster_name, node_days);
  if (!node)
    return node.error();
  if (auto ok = write_pair(*node, files.cert, files.key); !ok)
    return ok.error();
  created.push_back("issued the " + std::string(to_string(role)) + " certificate of " + host
                    + ": " + files.cert);
  return created;
}

expected<std::vector<cert_summary>> describe_certs(const std::string& pem) {
  bio_ptr bio{BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()))};
  std::vector<cert_summary> result;
  while (true) {
    x509_ptr cert{PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)};
    if (!cert)
      break;
    cert_summary s;
    s.subject = name_text(X509_get_subject_name(cert.get()));
    s.issuer = name_text(X509_get_issuer_name(cert.get()));
    auto ou = name_entry(X509_get_subject_name(cert.get()), NID_organizationalUnitName);
    if (parse_cert_role(ou))
      s.role = ou;
    s.fingerprint = fingerprint(cert.get());
    auto to_seconds = [](const ASN1_TIME* t) -> long long {
      struct tm tm {};
      if (ASN1_TIME_to_tm(t, &tm) != 1)
        return 0;
      return static_cast<long long>(timegm(&tm));
    };
    s.not_before = to_seconds(X509_get0_notBefore(cert.get()));
    s.not_after = to_seconds(X509_get0_notAfter(cert.get()));
    result.push_back(std::move(s));
  }
  ERR_clear_error(); // the end of the text reads as an error
  if (result.empty())
    return make_error(ec::invalid_config, "no PEM certificate in the text");
  return result;
}

expected<void> check_node_pair(const pem_pair& pair, const std::string& ca_pem,
                               cert_role role) {
  auto cert = read_cert(pair.cert);
  if (!cert)
    return tls_error("the certificate does not parse");
  auto key = read_key(pair.key);
  if (!key)
    return tls_error("the private key does not parse");
  if (X509_check_private_key(cert.get(), key.get()) != 1)
    return tls_error("the private key does not belong to the certificate");
  auto trust = trust_store::from_pem(ca_pem);
  if (!trust)
    return trust.error();
  auto who = trust->verify(pair.cert);
  if (!who)
    return who.error();
  if (who->role != role)
    return make_error(ec::invalid_config, "the certificate (" + who->subject + ") is for role "
                                            + to_string(who->role) + ", not "
                                            + to_string(role));
  return {};
}

} // namespace cafflow::tls
