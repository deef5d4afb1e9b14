// The session handshake between the gates of a cluster's processes, on top of
// TLS (docs/OPERATIONS.md, "Security"; docs/DESIGN.md, "Gates").
//
// TLS admits only holders of a certificate of the cluster's CA, but CAF 0.17
// lets any connected node address any actor whose handle ever crossed the
// network and name any node as a message's source. So every process has one
// gate actor that alone talks to other processes, and a gate accepts a
// message only with the secret of a session that proved its role:
//
//   worker/http gate -> master gate: hello {role, certificate, nonce_c}
//   master gate -> peer:   challenge {master certificate, nonce_s,
//                                     signature over nonce_c and nonce_s}
//   peer -> master gate:   proof {nonce_s, signature over nonce_s and nonce_c}
//                          (with the worker's registration, or the http login)
//   master gate -> peer:   credential (a fresh random token)
//
// Both sides check that the other's certificate chains to the cluster CA and
// names the role it claims, and that the other signed the nonce it chose.
// Every later message between the two carries the credential; only they
// know it (it crossed one TLS connection, once).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>

#include "expected.hpp"
#include "security/identity.hpp"
#include "util/time.hpp"

namespace cafflow {

/// A peer opens a session with a master gate.
struct hello_msg {
  /// "worker" or "http".
  std::string role;
  /// PEM; empty with TLS off.
  std::string cert_pem;
  std::string nonce;
};

/// The master gate's answer to a hello.
struct challenge_msg {
  std::string cert_pem;
  std::string nonce;
  /// Over the peer's nonce and this one; empty with TLS off.
  std::string signature;
};

/// The peer's answer to a challenge.
struct auth_proof {
  /// The master's nonce it answers.
  std::string nonce;
  std::string signature;
};

/// The secret of a session between two gates: the first argument of every
/// message they exchange after the handshake.
struct credential {
  std::string token;
};

namespace tls {

/// A hello the master gate answered, waiting for the peer's proof.
struct pending_hello {
  cert_role role = cert_role::worker;
  std::string cert_pem;
  /// What its certificate says (empty with TLS off).
  std::string subject;
  std::string host;
  std::string fingerprint;
  std::string peer_nonce;
  timestamp expires = 0;
};

/// How a node proves itself and checks its peers: with its key and the
/// cluster CA, or (TLS off) not at all, taking roles on trust.
class authenticator {
public:
  /// TLS off: no certificates; every claim is believed.
  static authenticator disabled(cert_role own);

  /// This node's certificate and key, and the CA to check peers against.
  static expected<authenticator> load(const std::string& ca_file, const std::string& cert_file,
                                      const std::string& key_file, cert_role own);

  bool enabled() const { return trust_.has_value(); }
  cert_role role() const { return own_; }

  // -- the peer (worker, http) --

  /// Opens a handshake.
  hello_msg hello() const;

  /// Checks the master's challenge to `sent` and answers it.
  expected<auth_proof> answer(const hello_msg& sent, const challenge_msg& got) const;

  // -- the master gate --

  /// Checks a hello (the certificate names the role it claims, one of
  /// worker or http) and makes the challenge, and what to keep until the proof.
  expected<std::pair<challenge_msg, pending_hello>> challenge(const hello_msg& hello,
                                                              timestamp now) const;

  /// Checks the proof of a pending hello; the peer's role.
  expected<cert_role> check(const pending_hello& pending, const challenge_msg& sent,
                            const auth_proof& proof) const;

private:
  authenticator(cert_role own, std::optional<node_key> key, std::optional<trust_store> trust);

  cert_role own_;
  std::optional<node_key> key_;
  std::optional<trust_store> trust_;
};

/// The hellos a master gate answered and awaits proofs for: bounded (the
/// oldest goes first) and expiring, so that a peer that never answers costs
/// nothing lasting.
class challenge_book {
public:
  explicit challenge_book(std::size_t capacity = 1024) : capacity_(capacity) {}

  void add(const std::string& nonce, challenge_msg sent, pending_hello pending);

  /// The pending hello for a master nonce (removed: a proof is used once).
  std::optional<std::pair<challenge_msg, pending_hello>> take(const std::string& nonce,
                                                              timestamp now);

  std::size_t size() const { return entries_.size(); }

private:
  std::size_t capacity_;
  std::map<std::string, std::pair<challenge_msg, pending_hello>> entries_;
  std::deque<std::string> order_;
};

/// The sessions of a gate, by secret.
template <class Session>
class session_table {
public:
  /// A new session; its secret.
  std::string open(Session s) {
    auto token = random_hex(16);
    sessions_.emplace(token, std::move(s));
    return token;
  }

  /// The session of a credential, or null.
  Session* find(const credential& c) {
    auto it = sessions_.find(c.token);
    return it == sessions_.end() ? nullptr : &it->second;
  }

  void close(const std::string& token) { sessions_.erase(token); }

  /// Closes every session `pred` holds for.
  template <class Pred>
  void close_if(Pred pred) {
    for (auto it = sessions_.begin(); it != sessions_.end();)
      it = pred(it->second) ? sessions_.erase(it) : std::next(it);
  }

  std::size_t size() const { return sessions_.size(); }

  template <class F>
  void for_each(F f) {
    for (auto& [token, s] : sessions_)
      f(token, s);
  }

private:
  std::map<std::string, Session> sessions_;
};

} // namespace tls
} // namespace cafflow
