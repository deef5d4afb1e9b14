#include "security/handshake.hpp"


namespace cafflow::tls {

namespace {

/// What each side signs: a fixed purpose first, so that a signature made for
/// one step can never pass for another.
std::string master_text(const std::string& peer_nonce, const std::string& master_nonce) {
  return "cafflow-session-v1|master|" + peer_nonce + "|" + master_nonce;
}

std::string peer_text(const std::string& master_nonce, const std::string& peer_nonce) {
  return "cafflow-session-v1|peer|" + master_nonce + "|" + peer_nonce;
}

error refused(const std::string& why) { return make_error(ec::invalid_request, why); }

} // namespace

authenticator::authenticator(cert_role own, std::optional<node_key> key,
                             std::optional<trust_store> trust)
  : own_(own), key_(std::move(key)), trust_(std::move(trust)) {}

authenticator authenticator::disabled(cert_role own) { return authenticator{own, {}, {}}; }

expected<authenticator> authenticator::load(const std::string& ca_file,
                                            const std::string& cert_file,
                                            const std::string& key_file, cert_role own) {
  auto trust = trust_store::load(ca_file);
  if (!trust)
    return trust.error();
  auto key = node_key::load(cert_file, key_file);
  if (!key)
    return key.error();
  // This node's own certificate must be one its peers accept.
  auto me = trust->verify(key->cert_pem());
  if (!me)
    return make_error(ec::invalid_config, "tls: " + cert_file + ": " + me.error().message
                                            + " (the CA is " + ca_file + ")");
  if (me->role != own)
    return make_error(ec::invalid_config, "tls: " + cert_file + " (" + me->subject
                                            + ") is a " + to_string(me->role)
                                            + " certificate; this process needs a "
                                            + to_string(own) + " certificate");
  return authenticator{own, std::move(*key), std::move(*trust)};
}

hello_msg authenticator::hello() const {
  return hello_msg{to_string(own_), key_ ? key_->cert_pem() : std::string{}, random_hex(16)};
}

expected<auth_proof> authenticator::answer(const hello_msg& sent,
                                           const challenge_msg& got) const {
  if (got.nonce.size() != 32)
    return refused("the master's challenge is malformed");
  if (!enabled())
    return auth_proof{got.nonce, {}};
  auto master = trust_->verify_signed(got.cert_pem, master_text(sent.nonce, got.nonce),
                                      got.signature);
  if (!master)
    return refused("the master could not prove itself: " + master.error().message);
  if (master->role != cert_role::master)
    return refused("the peer at the master's address holds a " + std::string(to_string(master->role))
                   + " certificate (" + master->subject + "), not a master's");
  auto sig = key_->sign(peer_text(got.nonce, sent.nonce));
  if (!sig)
    return sig.error();
  return auth_proof{got.nonce, std::move(*sig)};
}

expected<std::pair<challenge_msg, pending_hello>>
authenticator::challenge(const hello_msg& hello, timestamp now) const {
  auto claimed = parse_cert_role(hello.role);
  if (!claimed || *claimed == cert_role::master)
    return refused("a hello must come from a worker or the http server, not '" + hello.role
                   + "'");
  if (hello.nonce.size() != 32)
    return refused("the hello is malformed");
  pending_hello pending;
  pending.role = *claimed;
  pending.peer_nonce = hello.nonce;
  pending.expires = now + 30000;
  challenge_msg reply;
  reply.nonce = random_hex(16);
  if (enabled()) {
    auto peer = trust_->verify(hello.cert_pem);
    if (!peer)
      return peer.error();
    if (peer->role != *claimed)
      return refused("a " + std::string(to_string(peer->role)) + " certificate (" + peer->subject
                     + ") cannot open a " + hello.role + " session");
    pending.cert_pem = hello.cert_pem;
    pending.subject = peer->subject;
    pending.host = peer->host;
    pending.fingerprint = peer->fingerprint;
    auto sig = key_->sign(master_text(hello.nonce, reply.nonce));
    if (!sig)
      return sig.error();
    reply.cert_pem = key_->cert_pem();
    reply.signature = std::move(*sig);
  }
  return std::make_pair(std::move(reply), std::move(pending));
}

expected<cert_role> authenticator::check(const pending_hello& pending, const challenge_msg& sent,
                                         const auth_proof& proof) const {
  if (!enabled())
    return pending.role;
  auto peer = trust_->verify_signed(pending.cert_pem, peer_text(sent.nonce, pending.peer_nonce),
                                    proof.signature);
  if (!peer)
    return peer.error();
  return pending.role;
}

// -- challenge_book ------------------------------------------------------------

void challenge_book::add(const std::string& nonce, challenge_msg sent, pending_hello pending) {
  while (entries_.size() >= capacity_ && !order_.empty()) {
    entries_.erase(order_.front());
    order_.pop_front();
  }
  if (entries_.emplace(nonce, std::make_pair(std::move(sent), std::move(pending))).second)
    order_.push_back(nonce);
}

std::optional<std::pair<challenge_msg, pending_hello>>
challenge_book::take(const std::string& nonce, timestamp now) {
  // Expired ones leave from the front (they were added in time order).
  while (!order_.empty()) {
    auto it = entries_.find(order_.front());
    if (it != entries_.end() && it->second.second.expires > now)
      break;
    if (it != entries_.end())
      entries_.erase(it);
    order_.pop_front();
  }
  auto it = entries_.find(nonce);
  if (it == entries_.end())
    return std::nullopt;
  auto result = std::move(it->second);
  entries_.erase(it);
  return result;
}

} // namespace cafflow::tls
