// `cafflow tls ...`: the cluster's certificates (no cluster needed;
// docs/OPERATIONS.md, "Security").
#pragma once

#include <iosfwd>
#include <string>

#include "config/config.hpp"

namespace cafflow {

/// `cafflow tls init`: creates the cluster CA in tls.dir when there is none,
/// and says where it is. Returns 0, or 78 (config) with a message on `err`.
int tls_init(const config& cfg, std::ostream& out, std::ostream& err);

/// `cafflow tls issue --role ROLE --host HOST --out DIR`: a certificate and
/// key for ROLE on HOST, signed by the CA of tls.dir, and the CA certificate,
/// written into DIR (as DIR/ROLE.pem, DIR/ROLE.key, DIR/ca.pem: copy them to
/// that host's tls.dir). Refuses to overwrite a certificate in DIR unless
/// `force`. Returns 0, 64 (usage) or 78 (config).
int tls_issue(const config& cfg, const std::string& role, const std::string& host,
              const std::string& out_dir, bool force, std::ostream& out, std::ostream& err);

/// `cafflow tls show`: every certificate of tls.dir (or the configured
/// files) with its subject, role, fingerprint and validity; `json` as one
/// JSON document. Returns 0, or 78 when there is none.
int tls_show(const config& cfg, bool json, std::ostream& out, std::ostream& err);

} // namespace cafflow
