// Proving and checking who a peer is: this node's certificate and private key
// (signing), and the cluster CA (verifying a peer's certificate and role).
// Used on top of TLS, which admits only holders of a certificate of the
// cluster's CA: the gates of each process (actors/*_gate) run a challenge and
// response on it, so that a message is accepted only from the roles that may
// send it (docs/OPERATIONS.md, "Security"). Plain OpenSSL, no CAF.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "expected.hpp"
#include "security/pki.hpp"

namespace cafflow::tls {

/// What a verified peer certificate says.
struct peer_identity {
  cert_role role = cert_role::worker;
  /// The subject, e.g. "CN=worker@host1,OU=worker,O=cafflow".
  std::string subject;
  /// The host its common name names ("host1" of "worker@host1").
  std::string host;
  /// SHA-256 of the certificate, hex.
  std::string fingerprint;
};

/// The trusted CA certificates of the cluster (one or more: during a CA
/// rotation the old and the new one).
class trust_store {
public:
  /// Reads the CA certificates from a PEM file.
  static expected<trust_store> load(const std::string& ca_file);
  /// From a PEM text.
  static expected<trust_store> from_pem(const std::string& ca_pem);

  /// Verifies that `cert_pem` chains to one of the CAs, is valid now and
  /// names a role; the identity it proves.
  expected<peer_identity> verify(const std::string& cert_pem) const;

  /// Verifies a certificate, then `signature` (hex) over `text` with its key.
  expected<peer_identity> verify_signed(const std::string& cert_pem, std::string_view text,
                                        const std::string& signature) const;

  trust_store(trust_store&&) noexcept;
  trust_store& operator=(trust_store&&) noexcept;
  ~trust_store();

private:
  struct impl;
  explicit trust_store(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

/// This node's certificate and private key.
class node_key {
public:
  static expected<node_key> load(const std::string& cert_file, const std::string& key_file);
  static expected<node_key> from_pem(const pem_pair& pair);

  /// The certificate, PEM, as sent to peers.
  const std::string& cert_pem() const;

  /// A signature (hex) over `text` (ECDSA or RSA with SHA-256).
  expected<std::string> sign(std::string_view text) const;

  node_key(node_key&&) noexcept;
  node_key& operator=(node_key&&) noexcept;
  ~node_key();

private:
  struct impl;
  explicit node_key(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

/// `bytes` random bytes from OpenSSL's CSPRNG, hex.
std::string random_hex(std::size_t bytes);

} // namespace cafflow::tls
