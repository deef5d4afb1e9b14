// Reading HTTP/1.1 requests from a connection's bytes, strictly (RFC 9112):
// the request line, the header fields, and a body framed by Content-Length
// or the chunked coding. Anything malformed or ambiguous — a bad %-escape or
// UTF-8 in the target, control characters, folded or duplicate framing
// headers, bad chunks — is refused with the 4xx to answer and why. Pure: the
// server feeds it what it receives and asks what it has.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cafflow {

/// The sizes a request may have (defaults.hpp [http]).
struct request_limits {
  std::size_t max_request_line = 8192;
  /// The request line and the header fields together (and the trailer).
  std::size_t max_header_bytes = 16384;
  std::size_t max_header_fields = 100;
  /// The body; a chunked body beyond it is refused with 413 (a larger
  /// Content-Length is for the server to refuse: it checks the token first).
  std::size_t max_body = 1 << 20;
};

/// The request line and header fields of a request.
struct request_head {
  std::string method;
  /// The path of the target, still %-escaped (checked: well-formed escapes
  /// that decode to UTF-8 without control characters).
  std::string path;
  /// The query of the target (after '?'), still %-escaped (checked alike).
  std::string query;
  /// 1 for HTTP/1.1, 0 for HTTP/1.0.
  int minor_version = 1;
  /// Every header field as sent (name, value without surrounding blanks).
  std::vector<std::pair<std::string, std::string>> fields;
  /// Set when the body's length is given.
  std::optional<std::size_t> content_length;
  bool chunked = false;
  /// The connection may carry another request after this one.
  bool keep_alive = true;
  /// The client waits for "100 Continue" before it sends the body.
  bool expect_continue = false;

  /// The value of the first field named `name` (any case), "" when none.
  std::string field(std::string_view name) const;
  /// True when a body follows the head.
  bool has_body() const { return chunked || content_length.value_or(0) > 0; }
};

/// Why a request is refused: the status (4xx) and a message for the client.
struct request_refusal {
  int status = 400;
  std::string message;
};

class request_reader {
public:
  enum class step {
    /// More bytes are needed.
    more,
    /// The head is complete (see head()); advance() again reads the body.
    head,
    /// The body is complete too (see take_body()).
    done,
    /// The request is refused (see refusal()); the connection cannot go on.
    refused,
  };

  explicit request_reader(request_limits limits = {});

  /// Adds bytes received from the client.
  void feed(std::string_view bytes);

  /// Reads as far as the bytes received go.
  step advance();

  /// After step::head: read the body but keep none of it (a refused request
  /// whose client is still sending it).
  void discard_body() { discard_ = true; }

  const request_head& head() const { return head_; }
  std::string take_body() { return std::move(body_); }
  const request_refusal& refusal() const { return refusal_; }

  /// Starts on the connection's next request; bytes already received beyond
  /// the last one are kept.
  void next_request();

  /// True once a byte of the current request (beyond blank lines) arrived.
  bool started() const { return started_; }

  /// Bytes received and not yet read.
  std::size_t buffered() const { return buffer_.size() - pos_; }

private:
  enum class phase { line, fields, length_body, chunk_size, chunk_data, chunk_end, trailer, done,
                     refused };

  step refuse(int status, std::string message);
  /// The next line (without its end) when one is complete, `limit` bytes at
  /// most (its end included); `bad` when it holds a bare CR.
  enum class line_result { line, more, too_long, bad };
  line_result next_line(std::string_view& line, std::size_t limit);
  step parse_request_line(std::string_view line);
  step parse_field(std::string_view line, bool trailer);
  step finish_head();
  step read_body();
  void take(std::size_t n);

  request_limits limits_;
  std::string buffer_;
  std::size_t pos_ = 0;
  /// The last line next_line() read.
  std::string line_;
  phase phase_ = phase::line;
  bool started_ = false;
  bool discard_ = false;
  /// Bytes of the head (or trailer) read so far.
  std::size_t head_bytes_ = 0;
  std::size_t fields_ = 0;
  /// What remains of the body (length_body) or of the current chunk.
  std::size_t remaining_ = 0;
  std::size_t body_size_ = 0;
  request_head head_;
  std::string body_;
  request_refusal refusal_;
};

/// Checks a request target's path and query as sent: well-formed %-escapes,
/// decoding to valid UTF-8, and in the path no control characters. Returns
/// what is wrong ("" when nothing).
std::string target_problem(std::string_view path, std::string_view query);

} // namespace cafflow
