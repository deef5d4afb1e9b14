#include "http/request_reader.hpp"

#include "util/strings.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>

namespace cafflow {

namespace {

/// RFC 9110 tchar: what a method or a header name consists of.
bool is_tchar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
         || std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

bool is_token(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), is_tchar);
}


std::string_view trim_blanks(std::string_view text) {
  while (!text.empty() && is_blank(text.front()))
    text.remove_prefix(1);
  while (!text.empty() && is_blank(text.back()))
    text.remove_suffix(1);
  return text;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && to_lower(a) == to_lower(b);
}

/// Decodes %-escapes (and '+' when `plus_is_space`); "" and the problem in
/// `problem` when an escape is malformed.
std::string percent_decode(std::string_view text, bool plus_is_space, const char* what,
                           std::string& problem) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      int hi = i + 1 < text.size() ? hex_value(text[i + 1]) : -1;
      int lo = i + 2 < text.size() ? hex_value(text[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        problem = std::string("malformed %-escape ") + quoted_excerpt(text.substr(i, 3))
                  + " in the " + what + " (expected % and two hex digits)";
        return {};
      }
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += plus_is_space && c == '+' ? ' ' : c;
    }
  }
  return out;
}

} // namespace

std::string request_head::field(std::string_view name) const {
  for (const auto& [n, v] : fields)
    if (iequals(n, name))
      return v;
  return {};
}

std::string target_problem(std::string_view path, std::string_view query) {
  std::string problem;
  auto decoded = percent_decode(path, false, "path", problem);
  if (!problem.empty())
    return problem;
  if (auto at = invalid_utf8_at(decoded); at != std::string::npos)
    return "the path is not valid UTF-8 once decoded: " + quoted_excerpt(decoded);
  for (unsigned char c : decoded)
    if (c < 0x20 || c == 0x7f)
      return "the path holds a control character once decoded: " + quoted_excerpt(decoded);
  decoded = percent_decode(query, true, "query", problem);
  if (!problem.empty())
    return problem;
  if (auto at = invalid_utf8_at(decoded); at != std::string::npos)
    return "the query is not valid UTF-8 once decoded: " + quoted_excerpt(decoded);
  if (decoded.find('\0') != std::string::npos)
    return "the query holds a NUL byte once decoded: " + quoted_excerpt(decoded);
  return {};
}

request_reader::request_reader(request_limits limits) : limits_(limits) {}

void request_reader::feed(std::string_view bytes) {
  if (!bytes.empty() && phase_ == phase::line)
    started_ = true;
  buffer_.append(bytes);
}

void request_reader::take(std::size_t n) {
  pos_ += n;
  // Keep the buffer from growing with a long body read in pieces.
  if (pos_ >= 64 * 1024 && pos_ * 2 >= buffer_.size()) {
    buffer_.erase(0, pos_);
    pos_ = 0;
  }
}

void request_reader::next_request() {
  buffer_.erase(0, pos_);
  pos_ = 0;
  phase_ = phase::line;
  started_ = !buffer_.empty();
  discard_ = false;
  head_bytes_ = fields_ = remaining_ = body_size_ = 0;
  head_ = request_head{};
  body_.clear();
  refusal_ = request_refusal{};
}

request_reader::step request_reader::refuse(int status, std::string message) {
  phase_ = phase::refused;
  refusal_ = request_refusal{status, std::move(message)};
  return step::refused;
}

request_reader::line_result request_reader::next_line(std::string_view& line, std::size_t limit) {
  auto nl = buffer_.find('\n', pos_);
  if (nl == std::string::npos)
    return buffered() > limit ? line_result::too_long : line_result::more;
  auto length = nl - pos_ + 1;
  if (length > limit)
    return line_result::too_long;
  // A copy: take() may move the buffer.
  line_.assign(buffer_, pos_, nl - pos_);
  if (!line_.empty() && line_.back() == '\r')
    line_.pop_back();
  take(length);
  head_bytes_ += length;
  line = line_;
  if (line.find('\r') != std::string_view::npos)
    return line_result::bad;
  return line_result::line;
}

request_reader::step request_reader::parse_request_line(std::string_view line) {
  auto sp1 = line.find(' ');
  auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos)
    return refuse(400, "malformed request line " + quoted_excerpt(line)
                         + " (expected METHOD TARGET HTTP/1.1)");
  auto method = line.substr(0, sp1);
  auto target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  auto version = line.substr(sp2 + 1);
  if (!is_token(method))
    return refuse(400, "malformed method " + quoted_excerpt(method));
  if (version == "HTTP/1.1" || version == "HTTP/1.0") {
    head_.minor_version = version.back() - '0';
  } else {
    bool looks_like = version.size() == 8 && version.substr(0, 5) == "HTTP/"
                      && std::isdigit(static_cast<unsigned char>(version[5])) && version[6] == '.'
                      && std::isdigit(static_cast<unsigned char>(version[7]));
    return refuse(400, (looks_like ? "unsupported HTTP version " : "malformed HTTP version ")
                         + quoted_excerpt(version) + " (expected HTTP/1.1 or HTTP/1.0)");
  }
  auto bad_char = std::find_if(target.begin(), target.end(), [](char c) {
    return static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f
           || c == '#';
  });
  if (target.empty() || bad_char != target.end())
    return refuse(400, "malformed request target " + quoted_excerpt(target)
                         + " (only visible ASCII; other bytes must be %-escaped)");
  // origin-form "/path?query", or absolute-form "http://host/path?query".
  std::string_view rest = target;
  if (rest.front() != '/') {
    auto scheme_end = rest.find("://");
    auto scheme = scheme_end == std::string_view::npos ? std::string_view() : rest.substr(0, scheme_end);
    if (!iequals(scheme, "http") && !iequals(scheme, "https"))
      return refuse(400, "malformed request target " + quoted_excerpt(target)
                           + " (expected a path starting with /)");
    rest.remove_prefix(scheme_end + 3);
    auto path_start = rest.find_first_of("/?");
    rest = path_start == std::string_view::npos ? std::string_view() : rest.substr(path_start);
  }
  auto q = rest.find('?');
  head_.path = std::string(rest.substr(0, q));
  if (head_.path.empty())
    head_.path = "/";
  if (q != std::string_view::npos)
    head_.query = std::string(rest.substr(q + 1));
  head_.method = std::string(method);
  if (auto problem = target_problem(head_.path, head_.query); !problem.empty())
    return refuse(400, problem);
  phase_ = phase::fields;
  return step::more;
}

request_reader::step request_reader::parse_field(std::string_view line, bool trailer) {
  if (is_blank(line.front()))
    return refuse(400, "obsolete line folding in the header fields (a line starts with a blank)");
  auto colon = line.find(':');
  if (colon == std::string_view::npos)
    return refuse(400, "header line without a colon: " + quoted_excerpt(line));
  auto name = line.substr(0, colon);
  if (!is_token(name))
    return refuse(400, "malformed header name " + quoted_excerpt(name));
  auto value = trim_blanks(line.substr(colon + 1));
  for (unsigned char c : value)
    if ((c < 0x20 && c != '\t') || c == 0x7f)
      return refuse(400, "control character in the value of header " + quoted_excerpt(name));
  if (++fields_ > limits_.max_header_fields)
    return refuse(431, "more than " + std::to_string(limits_.max_header_fields)
                         + " header fields");
  if (!trailer)
    head_.fields.emplace_back(std::string(name), std::string(value));
  return step::more;
}

request_reader::step request_reader::finish_head() {
  int lengths = 0, codings = 0, hosts = 0;
  bool close = false, keep_alive = false;
  for (const auto& [name, value] : head_.fields) {
    if (iequals(name, "Content-Length")) {
      if (++lengths > 1)
        return refuse(400, "more than one Content-Length header");
      if (value.empty() || value.size() > 18
          || value.find_first_not_of("0123456789") != std::string::npos)
        return refuse(400, "malformed Content-Length " + quoted_excerpt(value)
                             + " (expected one whole number of bytes)");
      head_.content_length = static_cast<std::size_t>(std::stoull(value));
    } else if (iequals(name, "Transfer-Encoding")) {
      if (++codings > 1)
        return refuse(400, "more than one Transfer-Encoding header");
      if (!iequals(value, "chunked"))
        return refuse(400, "unsupported Transfer-Encoding " + quoted_excerpt(value)
                             + " (only chunked is accepted)");
      head_.chunked = true;
    } else if (iequals(name, "Host")) {
      if (++hosts > 1)
        return refuse(400, "more than one Host header");
    } else if (iequals(name, "Connection")) {
      for (const auto& option : split_list(to_lower(value))) {
        close = close || option == "close";
        keep_alive = keep_alive || option == "keep-alive";
      }
    } else if (iequals(name, "Expect")) {
      if (!iequals(value, "100-continue"))
        return refuse(417, "unsupported Expect " + quoted_excerpt(value)
                             + " (only 100-continue is understood)");
      head_.expect_continue = head_.minor_version == 1;
    }
  }
  if (head_.chunked && head_.content_length)
    return refuse(400, "both Transfer-Encoding and Content-Length are given");
  if (head_.chunked && head_.minor_version == 0)
    return refuse(400, "Transfer-Encoding in an HTTP/1.0 request");
  if (hosts == 0 && head_.minor_version == 1)
    return refuse(400, "missing Host header (required in HTTP/1.1)");
  head_.keep_alive = head_.minor_version == 1 ? !close : keep_alive && !close;
  if (head_.chunked) {
    phase_ = phase::chunk_size;
  } else if (head_.content_length.value_or(0) > 0) {
    remaining_ = *head_.content_length;
    phase_ = phase::length_body;
  } else {
    phase_ = phase::done;
  }
  return step::head;
}

request_reader::step request_reader::read_body() {
  for (;;) {
    switch (phase_) {
      case phase::length_body:
      case phase::chunk_data: {
        auto n = std::min(remaining_, buffered());
        if (n == 0)
          return step::more;
        if (!discard_)
          body_.append(buffer_, pos_, n);
        body_size_ += n;
        remaining_ -= n;
        take(n);
        if (remaining_ == 0)
          phase_ = phase_ == phase::length_body ? phase::done : phase::chunk_end;
        break;
      }
      case phase::chunk_size: {
        std::string_view line;
        auto got = next_line(line, 4096);
        if (got == line_result::more)
          return step::more;
        if (got != line_result::line)
          return refuse(400, "malformed chunk size line (too long, or a bare CR)");
        auto digits = std::find_if(line.begin(), line.end(), [](char c) { return hex_value(c) < 0; })
                      - line.begin();
        auto ext = trim_blanks(line.substr(static_cast<std::size_t>(digits)));
        bool ext_ok = ext.empty()
                      || (ext.front() == ';'
                          && std::all_of(ext.begin(), ext.end(), [](char c) {
                               auto b = static_cast<unsigned char>(c);
                               return b == '\t' || (b >= 0x20 && b != 0x7f);
                             }));
        if (digits == 0 || digits > 16 || !ext_ok)
          return refuse(400, "malformed chunk size " + quoted_excerpt(line)
                               + " (expected hex digits)");
        std::size_t size = 0;
        for (long i = 0; i < digits; ++i)
          size = size * 16 + static_cast<std::size_t>(hex_value(line[static_cast<std::size_t>(i)]));
        if (size > limits_.max_body || body_size_ + size > limits_.max_body)
          return refuse(413, "request body larger than " + std::to_string(limits_.max_body)
                               + " bytes");
        if (size == 0) {
          phase_ = phase::trailer;
          head_bytes_ = 0;
        } else {
          remaining_ = size;
          phase_ = phase::chunk_data;
        }
        break;
      }
      case phase::chunk_end: {
        if (buffered() == 0)
          return step::more;
        if (buffer_[pos_] == '\n') {
          take(1);
        } else if (buffer_[pos_] == '\r') {
          if (buffered() < 2)
            return step::more;
          if (buffer_[pos_ + 1] != '\n')
            return refuse(400, "chunk data not followed by a line end");
          take(2);
        } else {
          return refuse(400, "chunk data not followed by a line end (a chunk longer than its "
                             "size)");
        }
        phase_ = phase::chunk_size;
        break;
      }
      case phase::trailer: {
        std::string_view line;
        auto got = next_line(line, limits_.max_header_bytes - std::min(head_bytes_,
                                                                       limits_.max_header_bytes));
        if (got == line_result::more)
          return step::more;
        if (got == line_result::too_long)
          return refuse(431, "trailer fields larger than "
                               + std::to_string(limits_.max_header_bytes) + " bytes");
        if (got == line_result::bad)
          return refuse(400, "bare CR in the trailer fields");
        if (line.empty()) {
          phase_ = phase::done;
          break;
        }
        if (parse_field(line, true) == step::refused)
          return step::refused;
        break;
      }
      case phase::done: return step::done;
      case phase::refused: return step::refused;
      default: return step::more;
    }
  }
}

request_reader::step request_reader::advance() {
  for (;;) {
    switch (phase_) {
      case phase::line: {
        std::string_view line;
        auto limit = std::min(limits_.max_request_line,
                              limits_.max_header_bytes - std::min(head_bytes_,
                                                                  limits_.max_header_bytes));
        auto got = next_line(line, limit);
        if (got == line_result::more)
          return step::more;
        if (got == line_result::too_long)
          return head_bytes_ >= limits_.max_header_bytes
                   ? refuse(431, "more than " + std::to_string(limits_.max_header_bytes)
                                   + " bytes before the request line")
                   : refuse(414, "request line longer than "
                                   + std::to_string(limits_.max_request_line) + " bytes");
        if (got == line_result::bad)
          return refuse(400, "bare CR in the request line");
        if (line.empty())
          continue; // blank lines before a request are allowed (RFC 9112 §2.2)
        if (parse_request_line(line) == step::refused)
          return step::refused;
        break;
      }
      case phase::fields: {
        std::string_view line;
        auto got = next_line(line, limits_.max_header_bytes - std::min(head_bytes_,
                                                                       limits_.max_header_bytes));
        if (got == line_result::more)
          return step::more;
        if (got == line_result::too_long)
          return refuse(431, "request line and header fields larger than "
                               + std::to_string(limits_.max_header_bytes) + " bytes");
        if (got == line_result::bad)
          return refuse(400, "bare CR in the header fields");
        if (line.empty())
          return finish_head();
        if (parse_field(line, false) == step::refused)
          return step::refused;
        break;
      }
      default: return read_body();
    }
  }
}

} // namespace cafflow
