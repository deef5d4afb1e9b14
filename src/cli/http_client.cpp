#include "cli/http_client.hpp"

#include <sstream>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/StreamCopier.h>
#include <Poco/String.h>
#include <Poco/URI.h>

namespace cafflow {

expected<client_response> http_call(const host_port& address, const std::string& method,
                                    const std::string& path, const std::string& body,
                                    int timeout_ms, const http_headers& headers) {
  try {
    Poco::Net::HTTPClientSession session(address.host, address.port);
    session.setTimeout(Poco::Timespan(static_cast<long>(timeout_ms) * 1000));
    Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    for (const auto& [name, value] : headers)
      request.add(name, value);
    if (!body.empty() || method == "POST") {
      request.setContentType("application/json");
      request.setContentLength(static_cast<std::streamsize>(body.size()));
    }
    auto& out = session.sendRequest(request);
    out << body;
    Poco::Net::HTTPResponse response;
    auto& in = session.receiveResponse(response);
    client_response result;
    result.status = static_cast<int>(response.getStatus());
    for (const auto& [name, value] : response)
      result.headers.emplace_back(name, value);
    Poco::StreamCopier::copyToString(in, result.body);
    return result;
  } catch (const Poco::Exception& e) {
    return make_error(ec::master_unreachable, "cannot reach cafflow at http://"
                                                + address.to_string() + ": " + e.displayText());
  }
}

std::optional<sse_message> sse_parser::line(std::string text) {
  if (!text.empty() && text.back() == '\r')
    text.pop_back();
  if (text.empty()) {
    if (!has_data_ && current_.event.empty()) {
      current_ = sse_message{};
      return std::nullopt;
    }
    auto done = std::move(current_);
    current_ = sse_message{};
    has_data_ = false;
    return done;
  }
  if (text.front() == ':') {
    sse_message comment;
    comment.comment = true;
    comment.data = text.substr(1);
    return comment;
  }
  auto colon = text.find(':');
  auto field = text.substr(0, colon);
  std::string value = colon == std::string::npos ? "" : text.substr(colon + 1);
  if (!value.empty() && value.front() == ' ')
    value.erase(0, 1);
  if (field == "event") {
    current_.event = value;
  } else if (field == "data") {
    if (has_data_)
      current_.data += '\n';
    current_.data += value;
    has_data_ = true;
  } else if (field == "id") {
    current_.id = value;
  } // "retry" and unknown fields: nothing to do here
  return std::nullopt;
}

expected<client_response>
http_events(const host_port& address, const std::string& path, const http_headers& headers,
            int idle_timeout_ms, const std::function<bool(const sse_message&)>& on_message) {
  try {
    Poco::Net::HTTPClientSession session(address.host, address.port);
    session.setTimeout(Poco::Timespan(static_cast<long>(idle_timeout_ms) * 1000));
    Poco::Net::HTTPRequest request("GET", path, Poco::Net::HTTPMessage::HTTP_1_1);
    request.set("Accept", "text/event-stream");
    for (const auto& [name, value] : headers)
      request.add(name, value);
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    auto& in = session.receiveResponse(response);
    client_response result;
    result.status = static_cast<int>(response.getStatus());
    for (const auto& [name, value] : response)
      result.headers.emplace_back(name, value);
    if (result.status != 200) {
      Poco::StreamCopier::copyToString(in, result.body);
      return result;
    }
    sse_parser parser;
    std::string text;
    while (std::getline(in, text)) {
      if (auto message = parser.line(text); message && !on_message(*message))
        break;
    }
    if (in.bad())
      return make_error(ec::master_unreachable, "the event stream from http://"
                                                  + address.to_string() + " broke");
    return result;
  } catch (const Poco::Exception& e) {
    return make_error(ec::master_unreachable, "cannot follow http://" + address.to_string()
                                                + path + ": " + e.displayText());
  }
}

std::string client_response::header(const std::string& name) const {
  for (const auto& [key, value] : headers)
    if (Poco::icompare(key, name) == 0)
      return value;
  return {};
}

http_headers bearer(const std::string& token) {
  if (token.empty())
    return {};
  return {{"Authorization", "Bearer " + token}};
}

std::string url_encode(const std::string& text) {
  std::string result;
  Poco::URI::encode(text, "/?#&=+% ", result);
  return result;
}

} // namespace cafflow
