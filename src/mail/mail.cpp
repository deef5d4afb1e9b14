#include "mail/mail.hpp"

#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <unistd.h>

#include <Poco/Net/Context.h>
#include <Poco/Net/MailMessage.h>
#include <Poco/Net/MailRecipient.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/PartSource.h>
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureSMTPClientSession.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/SMTPClientSession.h>
#include <Poco/Net/StringPartSource.h>
#include <Poco/Timespan.h>

#include "config/config.hpp"
#include "util/files.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

namespace cafflow {

namespace fs = std::filesystem;

namespace {

bool ascii(const std::string& text) {
  for (unsigned char c : text)
    if (c >= 0x80)
      return false;
  return true;
}

void build(const mail_settings& settings, const mail_message& msg, Poco::Net::MailMessage& m) {
  using Poco::Net::MailMessage;
  using Poco::Net::MailRecipient;
  m.setSender(settings.from);
  for (const auto& to : msg.to)
    m.addRecipient(MailRecipient(MailRecipient::PRIMARY_RECIPIENT, to));
  for (const auto& cc : msg.cc)
    m.addRecipient(MailRecipient(MailRecipient::CC_RECIPIENT, cc));
  m.setSubject(ascii(msg.subject) ? msg.subject : MailMessage::encodeWord(msg.subject, "UTF-8"));
  m.setDate(Poco::Timestamp());
  if (!msg.text.empty() && msg.attachments.empty()) {
    // Readers show the last part they understand: plain text first.
    m.setContentType("multipart/alternative");
    m.addContent(new Poco::Net::StringPartSource(msg.text, "text/plain; charset=UTF-8"),
                 MailMessage::ENCODING_QUOTED_PRINTABLE);
  }
  m.addContent(new Poco::Net::StringPartSource(msg.html, "text/html; charset=UTF-8"),
               MailMessage::ENCODING_QUOTED_PRINTABLE);
  for (const auto& a : msg.attachments)
    m.addAttachment(a.name, new Poco::Net::StringPartSource(a.content, a.mime_type, a.name),
                    MailMessage::ENCODING_BASE64);
}

std::string password_of(const mail_settings& settings) {
  if (settings.password_file.empty())
    return settings.password;
  auto text = read_file(settings.password_file);
  if (!text)
    throw std::runtime_error("mail.password_file: " + text.error().message);
  return text->substr(0, text->find_first_of("\r\n"));
}

Poco::Net::Context::Ptr tls_context(const mail_settings& settings) {
  static std::once_flag once;
  std::call_once(once, [] { Poco::Net::initializeSSL(); });
  Poco::Net::Context::Ptr context =
    new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, settings.ca_file,
                           Poco::Net::Context::VERIFY_RELAXED, 9, settings.ca_file.empty());
  // A certificate that does not verify is refused (no prompt, no exception to the rule).
  Poco::Net::SSLManager::InvalidCertificateHandlerPtr reject(
    new Poco::Net::RejectCertificateHandler(false));
  Poco::Net::SSLManager::instance().initializeClient(nullptr, reject, context);
  return context;
}

} // namespace

std::string render_mail(const mail_settings& settings, const mail_message& msg) {
  std::ostringstream out;
  Poco::Net::MailMessage m;
  build(settings, msg, m);
  m.write(out);
  return out.str();
}

expected<std::string> send_mail(const mail_settings& settings, const mail_message& msg) {
  if (msg.to.empty())
    return make_error(ec::invalid_argument, "the mail has no receivers");
  if (settings.server.empty()) {
    // No server: the message goes into a file, as it would have been sent.
    std::error_code err;
    fs::create_directories(settings.eml_dir, err);
    auto name = to_iso8601(now_ms()) + "_" + std::to_string(::getpid()) + ".eml";
    for (auto& c : name)
      if (c == ':')
        c = '-';
    auto path = (fs::path(settings.eml_dir) / name).string();
    std::ofstream out(path, std::ios::binary);
    out << render_mail(settings, msg);
    if (!out)
      return make_error(ec::filesystem_error, "cannot write the mail to " + path);
    return "written to " + path + " (no [mail] server is configured)";
  }
  auto hp = parse_host_port(settings.server);
  if (!hp)
    return make_error(ec::invalid_config, "mail.server: " + hp.error().message);
  std::string password;
  try {
    password = password_of(settings);
    Poco::Net::MailMessage message;
    build(settings, msg, message);
    Poco::Timespan timeout(settings.timeout_s, 0);
    auto authenticate = [&](Poco::Net::SMTPClientSession& session) {
      if (settings.user.empty())
        session.login();
      else
        session.login(Poco::Net::SMTPClientSession::AUTH_PLAIN, settings.user, password);
    };
    if (settings.security == "tls") {
      auto context = tls_context(settings);
      Poco::Net::SecureStreamSocket socket(Poco::Net::SocketAddress(hp->host, hp->port), hp->host,
                                           context);
      Poco::Net::SMTPClientSession session(socket);
      session.setTimeout(timeout);
      authenticate(session);
      session.sendMessage(message);
      session.close();
    } else if (settings.security == "starttls") {
      auto context = tls_context(settings);
      Poco::Net::SecureSMTPClientSession session(hp->host, hp->port);
      session.setTimeout(timeout);
      session.login();
      if (!session.startTLS(context))
        throw std::runtime_error("the server does not offer STARTTLS");
      authenticate(session);
      session.sendMessage(message);
      session.close();
    } else {
      Poco::Net::SMTPClientSession session(hp->host, hp->port);
      session.setTimeout(timeout);
      authenticate(session);
      session.sendMessage(message);
      session.close();
    }
  } catch (const std::exception& e) {
    std::string text = e.what();
    if (const auto* poco = dynamic_cast<const Poco::Exception*>(&e))
      text = poco->displayText();
    if (password.size() >= 3)
      for (auto at = text.find(password); at != std::string::npos; at = text.find(password, at))
        text.replace(at, password.size(), "***");
    for (auto& c : text)
      if (c == '\n' || c == '\r')
        c = ' ';
    return make_error(ec::exec_error,
                      "cannot send the mail via " + settings.server + " (" + settings.security
                        + "): " + trim(text));
  }
  return "sent to " + join(msg.to, ", ") + " via " + settings.server;
}

} // namespace cafflow
