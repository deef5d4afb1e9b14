#include "http/server.hpp"

#include <sstream>

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/ThreadPool.h>

#include "log.hpp"

namespace cafflow {

namespace {

class request_handler final : public Poco::Net::HTTPRequestHandler {
public:
  request_handler(const http_server::handler& h, std::size_t max_body, const auth_settings& auth)
    : handler_(h), max_body_(max_body), auth_(auth) {}

  void handleRequest(Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& resp) override {
    http_response out;
    try {
      out = dispatch(req);
    } catch (const std::exception& e) {
      out = error_response(500, std::string("internal error: ") + e.what());
    }
    resp.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(out.status));
    resp.setContentType(out.content_type);
    for (const auto& [name, value] : out.headers)
      if (name == "Connection" && value == "close")
        resp.setKeepAlive(false);
      else
        resp.set(name, value);
    resp.setContentLength(static_cast<std::streamsize>(out.body.size()));
    auto& stream = resp.send();
    if (req.getMethod() != "HEAD")
      stream << out.body;
  }

private:
  /// Bodies up to this size are read to the end before a 413.
  static constexpr std::size_t drain_limit = 64 << 20;

  http_response too_large() const {
    auto r = error_response(413, "request body larger than " + std::to_string(max_body_)
                                   + " bytes");
    r.headers.emplace_back("Connection", "close");
    return r;
  }

  /// Reads and drops the body of a refused request so that the client, which
  /// may still be sending it, gets to see the answer; false when it is larger
  /// than a body the server accepts (the connection is closed then, so that a
  /// client without the token cannot make the server read much).
  bool drain_body(Poco::Net::HTTPServerRequest& req) {
    if (!req.hasContentLength() && !req.getChunkedTransferEncoding())
      return true;
    if (req.hasContentLength() && static_cast<std::size_t>(req.getContentLength64()) > max_body_)
      return false;
    auto& in = req.stream();
    char buf[8192];
    std::size_t total = 0;
    while (in && total <= max_body_) {
      in.read(buf, sizeof(buf));
      total += static_cast<std::size_t>(in.gcount());
    }
    return total <= max_body_;
  }

  http_response dispatch(Poco::Net::HTTPServerRequest& req) {
    http_request r;
    r.method = req.getMethod();
    const auto& uri = req.getURI();
    auto q = uri.find('?');
    r.path = uri.substr(0, q);
    if (q != std::string::npos)
      r.query = uri.substr(q + 1);
    // Before anything else looks at the request, its body included.
    if (auto refused = authorize(auth_, r, req.get("Authorization", ""))) {
      log::get("http")->info("refused {} {} from {}: no token or a wrong one", r.method, r.path,
                             req.clientAddress().toString());
      if (!drain_body(req))
        refused->headers.emplace_back("Connection", "close");
      return *refused;
    }
    // Neither a length nor chunks: the body is empty (RFC 9112 §6.3), not
    // "everything until the client closes", which would stall `curl -X POST`.
    if (!req.hasContentLength() && !req.getChunkedTransferEncoding())
      return handler_(r);
    auto& in = req.stream();
    if (req.hasContentLength() && static_cast<std::size_t>(req.getContentLength64()) > max_body_) {
      // Read (and drop) a moderately large body so that the client, which is
      // still sending it, gets to see the answer; give up on huge ones.
      auto length = static_cast<std::size_t>(req.getContentLength64());
      if (length <= drain_limit)
        in.ignore(static_cast<std::streamsize>(length));
      return too_large();
    }
    // Read at most one byte beyond the limit: enough to tell it was exceeded.
    std::string body;
    char buf[8192];
    while (in && body.size() <= max_body_) {
      in.read(buf, sizeof(buf));
      body.append(buf, static_cast<std::size_t>(in.gcount()));
    }
    if (body.size() > max_body_)
      return too_large();
    r.body = std::move(body);
    return handler_(r);
  }

  const http_server::handler& handler_;
  std::size_t max_body_;
  const auth_settings& auth_;
};

class handler_factory final : public Poco::Net::HTTPRequestHandlerFactory {
public:
  handler_factory(http_server::handler h, std::size_t max_body, auth_settings auth)
    : handler_(std::move(h)), max_body_(max_body), auth_(std::move(auth)) {}

  Poco::Net::HTTPRequestHandler*
  createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new request_handler(handler_, max_body_, auth_);
  }

private:
  http_server::handler handler_;
  std::size_t max_body_;
  auth_settings auth_;
};

} // namespace

struct http_server::impl {
  options opts;
  handler h;
  std::unique_ptr<Poco::ThreadPool> pool;
  std::unique_ptr<Poco::Net::HTTPServer> server;
};

http_server::http_server(options opts, handler h) : impl_(std::make_unique<impl>()) {
  impl_->opts = std::move(opts);
  impl_->h = std::move(h);
}

http_server::~http_server() { stop(); }

expected<void> http_server::start() {
  try {
    Poco::Net::SocketAddress address(impl_->opts.address.host, impl_->opts.address.port);
    Poco::Net::ServerSocket socket;
    socket.bind(address, true);
    socket.listen(128);
    auto params = new Poco::Net::HTTPServerParams; // owned by the server
    params->setMaxThreads(impl_->opts.max_threads);
    params->setMaxQueued(256);
    params->setKeepAlive(true);
    params->setKeepAliveTimeout(Poco::Timespan(5, 0));
    params->setTimeout(Poco::Timespan(30, 0));
    impl_->pool = std::make_unique<Poco::ThreadPool>(2, impl_->opts.max_threads);
    impl_->server = std::make_unique<Poco::Net::HTTPServer>(
      new handler_factory(impl_->h, impl_->opts.max_body_bytes, impl_->opts.auth), *impl_->pool,
      socket, params);
    impl_->server->start();
    return {};
  } catch (const Poco::Exception& e) {
    return make_error(ec::http_error, "cannot listen on " + impl_->opts.address.to_string()
                                        + ": " + e.displayText());
  }
}

void http_server::stop() {
  if (impl_ && impl_->server) {
    impl_->server->stopAll(true);
    impl_->server.reset();
    impl_->pool->joinAll();
    impl_->pool.reset();
  }
}

} // namespace cafflow
