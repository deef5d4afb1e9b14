// Sending mail: the one SMTP client of cafflow (email actions now, alerts
// later). Without a server configured, messages are written as .eml files.
#pragma once

#include <string>
#include <vector>

#include "expected.hpp"

namespace cafflow {

/// [mail] of the configuration.
struct mail_settings {
  /// host:port of the SMTP server; empty = write .eml files into `eml_dir`.
  std::string server;
  std::string from;
  /// Empty = no authentication.
  std::string user;
  /// At most one of these: the password, or a file holding it.
  std::string password;
  std::string password_file;
  /// none, starttls or tls.
  std::string security = "none";
  int timeout_s = 30;
  /// CA certificates (PEM) the server's certificate must chain to; empty =
  /// the system's.
  std::string ca_file;
  /// Where .eml files go without a server (<logs>/mail).
  std::string eml_dir;
};

struct mail_attachment {
  std::string name;
  std::string content;
  /// e.g. text/csv
  std::string mime_type = "application/octet-stream";
};

struct mail_message {
  std::vector<std::string> to;
  std::vector<std::string> cc;
  std::string subject;
  std::string html;
  /// A plain-text version of the HTML (alerts); empty = HTML only. With it
  /// (and no attachments) the mail is multipart/alternative.
  std::string text;
  std::vector<mail_attachment> attachments;
};

/// Sends `msg` through the configured server, or writes it as an .eml file
/// when none is configured; says what it did ("sent to ... via HOST:PORT" or
/// "written to PATH"). Errors name the server and the reason, never a
/// password.
expected<std::string> send_mail(const mail_settings& settings, const mail_message& msg);

/// The message as RFC 5322 text (MIME, UTF-8), as it is sent or written.
std::string render_mail(const mail_settings& settings, const mail_message& msg);

} // namespace cafflow
