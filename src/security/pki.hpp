// The cluster's certificates: a cluster CA, and one certificate per node and
// role, signed by it (docs/OPERATIONS.md, "Security"). Plain OpenSSL, no CAF.
//
// A node certificate names its role in the subject's organizational unit
// (OU=master, OU=worker, OU=http) and its cluster in the organization (O=...).
// The standby master uses a master certificate.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "expected.hpp"

namespace cafflow::tls {

/// What a node certificate allows its holder to be.
enum class cert_role { master, worker, http };

const char* to_string(cert_role role);

/// "master", "worker" or "http"; nothing otherwise.
std::optional<cert_role> parse_cert_role(std::string_view text);

/// A certificate and its private key, both PEM.
struct pem_pair {
  std::string cert;
  std::string key;
};

/// A new cluster CA: an EC P-256 key and a self-signed certificate valid for
/// `days`, named after the cluster.
expected<pem_pair> make_ca(const std::string& cluster_name, int days);

/// A new node certificate for `role` on `host` (also its subjectAltName),
/// signed by `ca`, valid for `days`.
expected<pem_pair> make_node_cert(const pem_pair& ca, cert_role role, const std::string& host,
                                  const std::string& cluster_name, int days);

/// The files of a TLS directory: ca.pem and ca.key (the CA; the key only on
/// the host that issues certificates), <role>.pem and <role>.key.
struct tls_files {
  std::string ca;
  std::string ca_key;
  std::string cert;
  std::string key;
};

/// The file names in `dir` for `role`.
tls_files files_in(const std::string& dir, cert_role role);

/// Writes a certificate (mode 0644) and its key (mode 0600) atomically
/// (a temporary file renamed into place), creating `dir` (mode 0700).
expected<void> write_pair(const pem_pair& pair, const std::string& cert_file,
                          const std::string& key_file);

/// Writes a certificate alone (mode 0644), atomically.
expected<void> write_cert(const std::string& pem, const std::string& cert_file);

/// Reads a certificate and key pair from files.
expected<pem_pair> read_pair(const std::string& cert_file, const std::string& key_file);

/// Makes sure `files` exist for `role` on `host`: creates the CA (when
/// neither ca.pem nor ca.key exists and `may_create_ca`; otherwise it waits
/// up to `wait_for_ca_ms` for another process of the host to create it) and the node certificate (when missing, and only with the
/// CA's key at hand), under a lock on the directory so that processes
/// starting together do not race. Returns what it created, one line each,
/// for the log. Fails, saying what to do, when the node certificate is
/// missing and no CA key is there to issue it.
expected<std::vector<std::string>> ensure_certificates(const tls_files& files, cert_role role,
                                                       const std::string& host,
                                                       const std::string& cluster_name,
                                                       bool may_create_ca = true,
                                                       int wait_for_ca_ms = 0);

/// What a certificate says, for `cafflow tls show` and the logs.
struct cert_summary {
  std::string subject;
  std::string issuer;
  /// "master", "worker", "http", or empty for a CA or a foreign certificate.
  std::string role;
  /// SHA-256 of the DER certificate, hex.
  std::string fingerprint;
  /// Seconds since the epoch.
  long long not_before = 0;
  long long not_after = 0;
};

/// Reads every certificate of a PEM text (a chain or a bundle).
expected<std::vector<cert_summary>> describe_certs(const std::string& pem);

/// Checks that `pair` is usable by this node: the certificate and key parse,
/// belong together, and the certificate chains to `ca_pem` and names `role`.
expected<void> check_node_pair(const pem_pair& pair, const std::string& ca_pem, cert_role role);

} // namespace cafflow::tls
