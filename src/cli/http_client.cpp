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
