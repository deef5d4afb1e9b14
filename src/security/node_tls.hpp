// TLS for a cafflow process: which files a role uses, and their creation and
// checks at start (docs/OPERATIONS.md, "Security").
#pragma once

#include <string>
#include <vector>

#include "cli/daemon_args.hpp"
#include "config/config.hpp"
#include "expected.hpp"
#include "security/handshake.hpp"
#include "security/pki.hpp"

namespace cafflow {

/// The certificate role of a daemon role (a standby uses a master's).
tls::cert_role cert_role_of(role r);

/// The files a process of `role` uses: tls.ca/cert/key when set, else
/// those of tls.dir.
tls::tls_files tls_files_for(const config& cfg, tls::cert_role role);

/// At the start of a process: with TLS on, creates the cluster CA and this
/// role's certificate for `host` when they are missing and may be made here
/// (never with explicit tls.ca/cert/key), then loads and checks them; with
/// TLS off, an authenticator that takes roles on trust. What was created is
/// added to `notes`, for the log.
expected<tls::authenticator> prepare_tls(const config& cfg, tls::cert_role role,
                                         const std::string& host,
                                         std::vector<std::string>& notes);

/// The warning every role logs (and health shows) while TLS is off.
std::string tls_off_warning(const config& cfg);

} // namespace cafflow
