#include "cli/tls_commands.hpp"

#include <algorithm>
#include <filesystem>
#include <ostream>

#include <nlohmann/json.hpp>

#include "cli/cli.hpp"
#include "security/pki.hpp"
#include "util/files.hpp"
#include "util/time.hpp"

namespace cafflow {

namespace fs = std::filesystem;

namespace {

std::string day_of(long long seconds) { return to_iso8601(seconds * 1000).substr(0, 10); }

} // namespace

int tls_init(const config& cfg, std::ostream& out, std::ostream& err) {
  auto files = tls::files_in(cfg.tls.dir, tls::cert_role::master);
  std::error_code ec;
  if (fs::exists(files.ca, ec)) {
    auto pem = read_file(files.ca);
    auto certs = pem ? tls::describe_certs(*pem) : expected<std::vector<tls::cert_summary>>(pem.error());
    if (!certs) {
      err << "cafflow: tls: " << files.ca << ": " << certs.error().message << '\n';
      return exit_code::config;
    }
    out << "the cluster CA is " << files.ca << " (" << certs->front().subject << ", valid until "
        << day_of(certs->front().not_after) << ")"
        << (fs::exists(files.ca_key, ec) ? "; its key " + files.ca_key + " is here"
                                         : "; its key is not on this host")
        << '\n';
    return exit_code::ok;
  }
  if (fs::exists(files.ca_key, ec)) {
    err << "cafflow: tls: " << files.ca_key << " exists without " << files.ca
        << ": restore the certificate, or remove the key to start a new cluster CA\n";
    return exit_code::config;
  }
  constexpr int ca_days = 3650;
  auto ca = tls::make_ca(cfg.cluster.name, ca_days);
  if (!ca) {
    err << "cafflow: " << ca.error().message << '\n';
    return exit_code::config;
  }
  if (auto written = tls::write_pair(*ca, files.ca, files.ca_key); !written) {
    err << "cafflow: " << written.error().message << '\n';
    return exit_code::config;
  }
  out << "created the cluster CA " << files.ca << " (its key " << files.ca_key
      << " issues every node's certificate: keep it on this host only)\n";
  return exit_code::ok;
}

int tls_issue(const config& cfg, const std::string& role_name, const std::string& host,
              const std::string& out_dir, bool force, std::ostream& out, std::ostream& err) {
  auto role = tls::parse_cert_role(role_name);
  if (!role) {
    err << "cafflow: --role: expected master, worker or http (a standby uses master), got '"
        << role_name << "'\n";
    return exit_code::usage;
  }
  auto ca_files = tls::files_in(cfg.tls.dir, *role);
  auto ca = tls::read_pair(ca_files.ca, ca_files.ca_key);
  if (!ca) {
    err << "cafflow: tls: the cluster CA is needed to issue a certificate: "
        << ca.error().message << " (run `cafflow tls init` on the host that keeps the CA)\n";
    return exit_code::config;
  }
  constexpr int node_days = 825;
  auto pair = tls::make_node_cert(*ca, *role, host, cfg.cluster.name, node_days);
  if (!pair) {
    err << "cafflow: " << pair.error().message << '\n';
    return pair.error().code == ec::invalid_argument ? exit_code::usage : exit_code::config;
  }
  auto target = tls::files_in(out_dir, *role);
  std::error_code ec;
  if (!force && (fs::exists(target.cert, ec) || fs::exists(target.key, ec))) {
    err << "cafflow: " << target.cert << " exists (give --force to replace it)\n";
    return exit_code::usage;
  }
  if (auto written = tls::write_pair(*pair, target.cert, target.key); !written) {
    err << "cafflow: " << written.error().message << '\n';
    return exit_code::config;
  }
  // The CA certificate (never its key) goes along: the host checks its peers with it.
  if (fs::absolute(target.ca, ec) != fs::absolute(ca_files.ca, ec))
    if (auto copied = tls::write_cert(ca->cert, target.ca); !copied) {
      err << "cafflow: " << copied.error().message << '\n';
      return exit_code::config;
    }
  out << "issued the " << role_name << " certificate of " << host << ": " << target.cert << ", "
      << target.key << " and the CA certificate " << target.ca
      << "\ncopy them into tls.dir of " << host << " (keep the key private: mode 0600)\n";
  return exit_code::ok;
}

int tls_show(const config& cfg, bool as_json, std::ostream& out, std::ostream& err) {
  std::vector<std::string> files;
  if (!cfg.tls.cert.empty()) {
    files = {cfg.tls.ca, cfg.tls.cert};
  } else {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(cfg.tls.dir, ec))
      if (entry.path().extension() == ".pem")
        files.push_back(entry.path().string());
    std::sort(files.begin(), files.end());
  }
  if (files.empty()) {
    err << "cafflow: no certificate in " << cfg.tls.dir
        << " (they are created at the first start, or by `cafflow tls init`)\n";
    return exit_code::config;
  }
  auto list = nlohmann::ordered_json::array();
  for (const auto& file : files) {
    auto pem = read_file(file);
    auto certs = pem ? tls::describe_certs(*pem) : expected<std::vector<tls::cert_summary>>(pem.error());
    if (!certs) {
      err << "cafflow: " << file << ": " << certs.error().message << '\n';
      return exit_code::config;
    }
    for (const auto& c : *certs) {
      if (as_json) {
        list.push_back({{"file", file},
                        {"subject", c.subject},
                        {"issuer", c.issuer},
                        {"role", c.role.empty() ? nlohmann::ordered_json(nullptr)
                                                : nlohmann::ordered_json(c.role)},
                        {"fingerprint", c.fingerprint},
                        {"not_before", to_iso8601(c.not_before * 1000)},
                        {"not_after", to_iso8601(c.not_after * 1000)}});
      } else {
        out << file << "\n  " << c.subject << (c.role.empty() ? "  (CA)" : "") << "\n  valid "
            << day_of(c.not_before) << " .. " << day_of(c.not_after) << "\n  sha256 "
            << c.fingerprint << '\n';
      }
    }
  }
  if (as_json)
    out << nlohmann::ordered_json{{"certificates", list}}.dump(2) << '\n';
  return exit_code::ok;
}

} // namespace cafflow
