#include "security/node_tls.hpp"

namespace cafflow {

namespace {

bool loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

/// Whether two host names of the config name the same machine (as far as
/// the config alone tells: the same name, or both loopback).
bool same_host(const std::string& a, const std::string& b) {
  return a == b || (loopback(a) && loopback(b));
}

} // namespace

tls::cert_role cert_role_of(role r) {
  switch (r) {
    case role::master:
    case role::standby: return tls::cert_role::master;
    case role::worker: return tls::cert_role::worker;
    case role::http: return tls::cert_role::http;
  }
  return tls::cert_role::worker;
}

tls::tls_files tls_files_for(const config& cfg, tls::cert_role role) {
  if (!cfg.tls.cert.empty())
    return tls::tls_files{cfg.tls.ca, "", cfg.tls.cert, cfg.tls.key};
  return tls::files_in(cfg.tls.dir, role);
}

expected<tls::authenticator> prepare_tls(const config& cfg, tls::cert_role role,
                                         const std::string& host,
                                         std::vector<std::string>& notes) {
  if (!cfg.tls.enabled)
    return tls::authenticator::disabled(role);
  auto files = tls_files_for(cfg, role);
  if (cfg.tls.cert.empty()) {
    // The cluster CA is made on the master's host: by any role there (they
    // start in any order), never on another host, whose roles need their
    // certificates copied from it (they would not be accepted otherwise).
    auto may_create_ca = role == tls::cert_role::master || same_host(cfg.cluster.master.host, host);
    constexpr int wait_for_ca_ms = 15000;
    auto created = tls::ensure_certificates(files, role, host, cfg.cluster.name, may_create_ca,
                                            wait_for_ca_ms);
    if (!created)
      return created.error();
    notes.insert(notes.end(), created->begin(), created->end());
  }
  return tls::authenticator::load(files.ca, files.cert, files.key, role);
}

std::string tls_off_warning(const config& cfg) {
  return "TLS is off ([tls] enabled = false" + (cfg.file.empty() ? std::string{} : " in " + cfg.file)
         + "): the cluster's CAF ports accept anyone who can reach them, who may then run "
           "commands on the workers (docs/OPERATIONS.md, \"Security\")";
}

} // namespace cafflow
