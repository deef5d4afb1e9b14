#include "alert/deliver.hpp"

#include <iostream>
#include <iterator>
#include <mutex>

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/URI.h>

#include "actions/exec.hpp"
#include "alert/alert.hpp"
#include "alert/channels.hpp"
#include "exec/child.hpp"
#include "mail/mail.hpp"
#include "util/strings.hpp"

namespace cafflow {

namespace {

std::string one_line(std::string text, std::size_t max = 1000) {
  for (auto& c : text)
    if (c == '\n' || c == '\r')
      c = ' ';
  text = trim(text);
  if (text.size() > max)
    text = text.substr(0, max) + "...";
  return valid_utf8(text);
}

delivery_result send_webhook(const alert_channel& c, const std::string& body) {
  Poco::URI uri(c.url);
  std::unique_ptr<Poco::Net::HTTPClientSession> session;
  if (uri.getScheme() == "https") {
    static std::once_flag once;
    std::call_once(once, [] { Poco::Net::initializeSSL(); });
    // The server's certificate must chain to the channel's ca-file, else to
    // the system's CAs, and name the host.
    Poco::Net::Context::Ptr context = new Poco::Net::Context(
      Poco::Net::Context::TLS_CLIENT_USE, "", "", c.ca_file, Poco::Net::Context::VERIFY_RELAXED,
      9, c.ca_file.empty());
    Poco::Net::SSLManager::InvalidCertificateHandlerPtr reject(
      new Poco::Net::RejectCertificateHandler(false));
    Poco::Net::SSLManager::instance().initializeClient(nullptr, reject, context);
    session = std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort(),
                                                              context);
  } else {
    session = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
  }
  session->setTimeout(Poco::Timespan(c.timeout_s, 0));
  auto target = uri.getPathAndQuery();
  Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST,
                                 target.empty() ? "/" : target,
                                 Poco::Net::HTTPMessage::HTTP_1_1);
  request.setContentType("application/json; charset=utf-8");
  request.setContentLength(static_cast<std::streamsize>(body.size()));
  request.set("User-Agent", "cafflow-alerter");
  session->sendRequest(request) << body;
  Poco::Net::HTTPResponse response;
  auto& in = session->receiveResponse(response);
  std::string answer;
  char buffer[2048];
  in.read(buffer, sizeof buffer);
  answer.assign(buffer, static_cast<std::size_t>(in.gcount()));
  int status = static_cast<int>(response.getStatus());
  delivery_result result;
  result.ok = status >= 200 && status < 300;
  // DingTalk, WeCom and Feishu answer 200 with an error code in the body.
  if (result.ok) {
    auto doc = nlohmann::json::parse(answer, nullptr, false);
    if (doc.is_object()) {
      for (const char* field : {"errcode", "code", "StatusCode"})
        if (doc.contains(field) && doc[field].is_number_integer() && doc[field].get<int>() != 0)
          result.ok = false;
    }
  }
  result.answer = "HTTP " + std::to_string(status) + " " + response.getReason()
                  + (answer.empty() ? "" : ": " + one_line(answer, 500));
  return result;
}

delivery_result run_command(const alert_channel& c, const std::string& input) {
  auto done = run_child({"/bin/sh", "-c", c.command}, input, c.timeout_s * 1000);
  if (!done)
    return {false, done.error().message};
  if (done->timed_out)
    return {false, "the command did not end within " + std::to_string(c.timeout_s)
                     + " s (killed): " + one_line(done->output, 500)};
  bool ok = done->status.exit_code == 0 && done->status.signal == 0;
  return {ok, done->status.describe() + (done->output.empty() ? "" : ": " + one_line(done->output))};
}

} // namespace

delivery_result deliver_alert(const nlohmann::json& request) {
  auto channel = alert_channel_from_json(request.at("channel"));
  std::vector<alert_event> events;
  for (const auto& e : request.at("events"))
    events.push_back(alert_event_from_json(e));
  if (events.empty())
    return {false, "no events to send"};
  auto base_url = request.value("base_url", "");
  try {
    if (channel.type == "mail") {
      auto site = site_from_json(request.value("site", nlohmann::json::object()));
      mail_message msg;
      msg.to = channel.to;
      msg.subject = alert_subject(events);
      msg.text = alert_text(events, base_url);
      msg.html = alert_html(events, base_url);
      auto sent = send_mail(site.mail, msg);
      if (!sent)
        return {false, sent.error().message};
      return {true, *sent};
    }
    if (channel.type == "webhook")
      return send_webhook(channel, webhook_body(channel.template_name, events, base_url).dump());
    if (channel.type == "command")
      return run_command(channel, command_input(events, base_url).dump());
    return {false, "channel '" + channel.name + "' has an unknown type '" + channel.type + "'"};
  } catch (const Poco::Exception& e) {
    return {false, "channel '" + channel.name + "': " + one_line(e.displayText())};
  } catch (const std::exception& e) {
    return {false, "channel '" + channel.name + "': " + one_line(e.what())};
  }
}

int alert_send_main(std::istream& in, std::ostream& out) {
  delivery_result result;
  try {
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    result = deliver_alert(nlohmann::json::parse(text));
  } catch (const std::exception& e) {
    result = {false, std::string("bad delivery request: ") + e.what()};
  }
  out << nlohmann::json{{"ok", result.ok}, {"answer", result.answer}}.dump() << std::endl;
  return result.ok ? 0 : 1;
}

} // namespace cafflow
