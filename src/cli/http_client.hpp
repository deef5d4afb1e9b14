// A blocking HTTP/1.1 client for the CLI and the tests.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/config.hpp"
#include "expected.hpp"

namespace cafflow {

/// Header fields (name, value), in order.
using http_headers = std::vector<std::pair<std::string, std::string>>;

struct client_response {
  int status = 0;
  std::string body;
  /// Every header of the answer. (The initializer lets callers build a
  /// response from status and body alone.)
  http_headers headers{};

  /// The first header `name` (case-insensitive), or "".
  std::string header(const std::string& name) const;
};

/// Sends one request to `address` and reads the whole answer. Fails (with
/// ec::master_unreachable) when the server cannot be reached in time.
/// `headers` are sent as given (e.g. `bearer(token)`).
expected<client_response> http_call(const host_port& address, const std::string& method,
                                    const std::string& path, const std::string& body = {},
                                    int timeout_ms = 10000, const http_headers& headers = {});

/// One server-sent event, or a comment line (the server's keep-alive).
struct sse_message {
  std::string event;
  std::string data;
  std::string id;
  /// A comment (": ..."): nothing happened, the stream is alive.
  bool comment = false;
};

/// Reads server-sent events line by line (the text/event-stream format).
class sse_parser {
public:
  /// Feeds one line without its line break; answers the event it completes
  /// (an empty line ends an event) or the comment it is.
  std::optional<sse_message> line(std::string text);

private:
  sse_message current_;
  bool has_data_ = false;
};

/// GETs `path` as a stream of server-sent events and calls `on_message` for
/// each event and comment until it returns false or the stream ends.
/// Answers the HTTP status and, when it is not 200, the body. Fails when the
/// server cannot be reached, or nothing (not even a comment) arrives within
/// `idle_timeout_ms`.
expected<client_response>
http_events(const host_port& address, const std::string& path, const http_headers& headers,
            int idle_timeout_ms, const std::function<bool(const sse_message&)>& on_message);

/// The Authorization header for a token ("Bearer <token>"); none for "".
http_headers bearer(const std::string& token);

/// Percent-encodes one path segment or query value.
std::string url_encode(const std::string& text);

} // namespace cafflow
