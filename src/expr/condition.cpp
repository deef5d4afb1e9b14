#include "expr/condition.hpp"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <vector>

#include "util/strings.hpp"

namespace cafflow {

namespace {

struct operand {
  std::string text;
  bool quoted = false;
  /// Holds a ${...} still to be expanded (check_condition only).
  bool has_expr = false;
};

enum class op { eq, ne, lt, gt, le, ge };

struct parsed_condition {
  /// Set for a lone `true` / `false`.
  std::optional<bool> literal;
  operand left;
  op oper = op::eq;
  operand right;
};

bool is_expr_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }
bool is_operator_char(char c) { return c == '=' || c == '!' || c == '<' || c == '>'; }

class condition_parser {
public:
  condition_parser(std::string_view text, bool opaque_expressions)
    : text_(text), opaque_(opaque_expressions) {}

  /// The parsed condition, or the problem (without the condition text).
  std::optional<std::string> parse(parsed_condition& out) {
    skip_space();
    if (i_ == text_.size())
      return "the condition is empty";
    auto whole = to_lower(trim(text_));
    if (whole == "true" || whole == "false") {
      out.literal = whole == "true";
      return std::nullopt;
    }
    if (auto problem = read_operand(out.left, "left"))
      return problem;
    skip_space();
    if (auto problem = read_operator(out.oper))
      return problem;
    skip_space();
    if (auto problem = read_operand(out.right, "right"))
      return problem;
    skip_space();
    if (i_ != text_.size())
      return "unexpected '" + std::string(text_.substr(i_)) + "' after the right operand"
             + " (quote operands that contain spaces)";
    return std::nullopt;
  }

private:
  void skip_space() {
    while (i_ < text_.size() && is_expr_space(text_[i_]))
      ++i_;
  }

  std::optional<std::string> read_operand(operand& out, const char* side) {
    if (i_ == text_.size() || is_operator_char(text_[i_]))
      return std::string("missing ") + side + " operand";
    char c = text_[i_];
    if (c == '\'' || c == '"') {
      auto close = text_.find(c, i_ + 1);
      if (close == std::string_view::npos)
        return "unterminated quote " + std::string(1, c) + " in the " + side + " operand";
      out.text = std::string(text_.substr(i_ + 1, close - i_ - 1));
      out.quoted = true;
      out.has_expr = opaque_ && out.text.find("${") != std::string::npos;
      i_ = close + 1;
      return std::nullopt;
    }
    auto start = i_;
    while (i_ < text_.size() && !is_expr_space(text_[i_]) && !is_operator_char(text_[i_])) {
      if (opaque_ && text_.compare(i_, 2, "${") == 0) {
        auto close = text_.find('}', i_);
        if (close == std::string_view::npos)
          return "unterminated '${' in the " + std::string(side) + " operand";
        out.has_expr = true;
        i_ = close + 1;
        continue;
      }
      if (text_[i_] == '\'' || text_[i_] == '"')
        return "a quote inside the bare word '" + std::string(text_.substr(start, i_ - start + 1))
               + "' (quote the whole operand)";
      ++i_;
    }
    out.text = std::string(text_.substr(start, i_ - start));
    return std::nullopt;
  }

  std::optional<std::string> read_operator(op& out) {
    auto start = i_;
    while (i_ < text_.size() && is_operator_char(text_[i_]))
      ++i_;
    auto symbol = text_.substr(start, i_ - start);
    if (symbol.empty())
      return i_ == text_.size() ? std::string("missing operator (==, !=, <, >, <=, >=)")
                                : "expected an operator (==, !=, <, >, <=, >=) before '"
                                      + std::string(text_.substr(i_)) + "'";
    static const std::pair<std::string_view, op> ops[] = {{"==", op::eq}, {"!=", op::ne},
                                                          {"<=", op::le}, {">=", op::ge},
                                                          {"<", op::lt},  {">", op::gt}};
    for (const auto& [name, value] : ops)
      if (symbol == name) {
        out = value;
        return std::nullopt;
      }
    return "unknown operator '" + std::string(symbol) + "'"
           + (symbol == "=" ? " (use == to compare)" : " (expected ==, !=, <, >, <= or >=)");
  }

  std::string_view text_;
  bool opaque_;
  std::size_t i_ = 0;
};

/// A whole decimal number: [+-]digits[.digits][e[+-]digits] (no inf, nan, hex).
std::optional<double> parse_number(const std::string& text) {
  std::size_t i = 0;
  auto digits = [&] {
    auto start = i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])))
      ++i;
    return i - start;
  };
  if (i < text.size() && (text[i] == '+' || text[i] == '-'))
    ++i;
  auto mantissa = digits();
  if (i < text.size() && text[i] == '.') {
    ++i;
    mantissa += digits();
  }
  if (mantissa == 0)
    return std::nullopt;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-'))
      ++i;
    if (digits() == 0)
      return std::nullopt;
  }
  if (i != text.size())
    return std::nullopt;
  errno = 0;
  double value = std::strtod(text.c_str(), nullptr);
  if (errno == ERANGE)
    return std::nullopt;
  return value;
}

bool is_ordering(op o) { return o != op::eq && o != op::ne; }

std::string describe(const operand& o) {
  return o.quoted ? "'" + o.text + "'" : o.text;
}

std::string in_condition(std::string_view condition) {
  return "invalid condition '" + trim(condition) + "': ";
}

} // namespace

expected<bool> evaluate_condition(std::string_view condition) {
  parsed_condition c;
  if (auto problem = condition_parser(condition, false).parse(c))
    return make_error(ec::invalid_argument, in_condition(condition) + *problem);
  if (c.literal)
    return *c.literal;
  if (is_ordering(c.oper)) {
    auto a = parse_number(c.left.text);
    auto b = parse_number(c.right.text);
    for (const auto* side : {&c.left, &c.right})
      if (!parse_number(side->text))
        return make_error(ec::invalid_argument,
                          in_condition(condition) + "operand " + describe(*side)
                              + " is not a number (<, >, <= and >= compare numbers)");
    switch (c.oper) {
      case op::lt: return *a < *b;
      case op::gt: return *a > *b;
      case op::le: return *a <= *b;
      default: return *a >= *b;
    }
  }
  bool equal = false;
  auto a = c.left.quoted ? std::nullopt : parse_number(c.left.text);
  auto b = c.right.quoted ? std::nullopt : parse_number(c.right.text);
  if (a && b)
    equal = *a == *b;
  else
    equal = c.left.text == c.right.text;
  return c.oper == op::eq ? equal : !equal;
}

std::optional<std::string> check_condition(std::string_view condition) {
  parsed_condition c;
  if (auto problem = condition_parser(condition, true).parse(c))
    return in_condition(condition) + *problem;
  if (c.literal || !is_ordering(c.oper))
    return std::nullopt;
  for (const auto* side : {&c.left, &c.right})
    if (!side->has_expr && !parse_number(side->text))
      return in_condition(condition) + "operand " + describe(*side)
             + " is not a number (<, >, <= and >= compare numbers)";
  return std::nullopt;
}

} // namespace cafflow
