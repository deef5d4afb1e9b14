#include "expr/expand.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <optional>

#include "expr/time_format.hpp"
#include "util/strings.hpp"
#include "util/tz.hpp"

namespace cafflow {

namespace {

using ms = std::chrono::milliseconds;
using local_ms = date::local_time<ms>;

enum class expr_kind { param, time };

/// One of our expressions as found in the text, not yet interpreted.
struct raw_expr {
  expr_kind kind = expr_kind::param;
  /// Offset of the "${".
  std::size_t begin = 0;
  /// Offset after the "}"; npos when the expression is unterminated.
  std::size_t end = std::string_view::npos;
  /// What follows "param:" or "time." up to the "}".
  std::string_view body;
};


std::size_t skip_blanks(std::string_view text, std::size_t i) {
  while (i < text.size() && is_blank(text[i]))
    ++i;
  return i;
}

/// The next ${param:...} or ${time....} at or after `from`. Other ${...} are
/// skipped. An expression is unterminated when a line end or another "${"
/// comes before its "}".
std::optional<raw_expr> next_expr(std::string_view text, std::size_t from) {
  for (auto p = text.find("${", from); p != std::string_view::npos; p = text.find("${", p + 2)) {
    auto q = skip_blanks(text, p + 2);
    auto rest = text.substr(q);
    raw_expr e;
    e.begin = p;
    std::size_t body_start = 0;
    if (starts_with(rest, "param")) {
      auto r = skip_blanks(text, q + 5);
      if (r >= text.size() || text[r] != ':')
        continue;
      e.kind = expr_kind::param;
      body_start = r + 1;
    } else if (starts_with(rest, "time.")) {
      e.kind = expr_kind::time;
      body_start = q + 5;
    } else {
      continue;
    }
    auto stop = text.find_first_of("}\n\r", body_start);
    auto nested = text.find("${", body_start);
    if (stop != std::string_view::npos && text[stop] == '}'
        && (nested == std::string_view::npos || nested > stop)) {
      e.end = stop + 1;
      e.body = text.substr(body_start, stop - body_start);
    } else {
      e.body = text.substr(body_start, std::min(stop, nested) - body_start);
    }
    return e;
  }
  return std::nullopt;
}

/// The expression as written, for messages.
std::string quote_expr(std::string_view text, const raw_expr& e) {
  if (e.end != std::string_view::npos)
    return "'" + std::string(text.substr(e.begin, e.end - e.begin)) + "'";
  auto line_end = text.find_first_of("\n\r", e.begin);
  auto shown = text.substr(e.begin, std::min<std::size_t>(line_end - e.begin, 40));
  return "'" + std::string(shown) + "'";
}

/// format_java's "what (use ...)" -> "what in '${...}' (use ...)".
std::string name_expr(const std::string& message, const std::string& quoted) {
  auto hint = message.rfind(" (use ");
  if (hint == std::string::npos)
    return message + " in " + quoted;
  return message.substr(0, hint) + " in " + quoted + message.substr(hint);
}

error fail(std::string message) { return make_error(ec::invalid_argument, std::move(message)); }

// ---- ${param:NAME} --------------------------------------------------------

expected<std::string> param_name(std::string_view text, const raw_expr& e) {
  auto name = trim(e.body);
  if (name.empty())
    return fail("empty parameter name in " + quote_expr(text, e));
  auto blank = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  if (std::any_of(name.begin(), name.end(), blank))
    return fail("invalid parameter name '" + name + "' in " + quote_expr(text, e));
  return name;
}

// ---- ${time.BASE|FORMAT|OFFSET} -------------------------------------------

enum class unit { minute, hour, day, week, month, year };

struct offset {
  long long amount = 0;
  unit u = unit::day;
};

/// How far an offset may reach; beyond, the year leaves 1..9999 anyway.
constexpr long long max_offset_amount = 10'000'000;

/// "-1 day", "+2 hours", "3 months"; units case-insensitive, plural allowed.
std::optional<offset> parse_offset(std::string_view text) {
  std::size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
    negative = text[i] == '-';
    i = skip_blanks(text, i + 1);
  }
  auto digits_begin = i;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])))
    ++i;
  if (i == digits_begin || i - digits_begin > 8)
    return std::nullopt;
  long long amount = 0;
  if (!parse_int(text.substr(digits_begin, i - digits_begin), amount) || amount > max_offset_amount)
    return std::nullopt;
  auto word = to_lower(trim(text.substr(i)));
  if (word.size() > 1 && word.back() == 's')
    word.pop_back();
  static const std::pair<const char*, unit> units[] = {
      {"minute", unit::minute}, {"hour", unit::hour},   {"day", unit::day},
      {"week", unit::week},     {"month", unit::month}, {"year", unit::year}};
  for (const auto& [name, u] : units)
    if (word == name)
      return offset{negative ? -amount : amount, u};
  return std::nullopt;
}

struct base_info {
  const char* name;
  const char* default_format;
  /// The shift from the logical time.
  offset shift;
};

constexpr base_info bases[] = {
    {"today", "yyyy-MM-dd", {0, unit::day}},
    {"yesterday", "yyyy-MM-dd", {-1, unit::day}},
    {"yestoday", "yyyy-MM-dd", {-1, unit::day}},
    {"cur_month", "yyyy-MM", {0, unit::month}},
    {"last_month", "yyyy-MM", {-1, unit::month}},
    {"now", "yyyy-MM-dd HH:mm:ss", {0, unit::day}},
};

/// A parsed time expression.
struct time_expr {
  const base_info* base = nullptr;
  std::string format;
  std::optional<offset> shift;
};

expected<time_expr> parse_time(std::string_view text, const raw_expr& e) {
  auto parts = split(e.body, '|');
  if (parts.size() > 3)
    return fail("too many '|' in " + quote_expr(text, e)
                + " (expected ${time.BASE|FORMAT|OFFSET})");
  time_expr result;
  auto base = trim(parts[0]);
  for (const auto& b : bases)
    if (base == b.name)
      result.base = &b;
  if (!result.base) {
    std::vector<std::string> names;
    for (const auto& b : bases)
      names.emplace_back(b.name);
    auto hint = did_you_mean(base, names);
    return fail("unknown time base '" + base + "' in " + quote_expr(text, e)
                + " (expected today, yesterday, yestoday, cur_month, last_month or now"
                + (hint.empty() ? std::string() : "; did you mean '" + hint + "'?") + ")");
  }
  result.format = parts.size() > 1 ? trim(parts[1]) : std::string();
  if (result.format.empty())
    result.format = result.base->default_format;
  if (auto checked = check_java_format(result.format); !checked)
    return fail(name_expr(checked.error().message, quote_expr(text, e)));
  if (parts.size() > 2) {
    auto text_offset = trim(parts[2]);
    if (!text_offset.empty()) {
      result.shift = parse_offset(text_offset);
      if (!result.shift)
        return fail("invalid offset '" + text_offset + "' in " + quote_expr(text, e)
                    + " (expected ±N minute|hour|day|week|month|year, e.g. -1 day)");
    }
  }
  return result;
}

local_ms to_wall(timestamp t, const date::time_zone* zone) {
  return zone ? to_local(t, *zone) : local_ms{ms{t}};
}

timestamp from_wall(local_ms t, const date::time_zone* zone) {
  return zone ? from_local(t, *zone) : t.time_since_epoch().count();
}

/// Times outside years 1..9999 (with a day of slack for zone offsets) are refused.
bool in_range(timestamp t) {
  constexpr auto lo = date::sys_days{date::year{1} / 1 / 2};
  constexpr auto hi = date::sys_days{date::year{9999} / 12 / 31};
  return t >= date::sys_time<ms>{lo}.time_since_epoch().count()
         && t < date::sys_time<ms>{hi}.time_since_epoch().count();
}

/// `t` moved by `o`: minutes and hours are elapsed time; days and longer move
/// the local calendar date and keep the wall-clock time, months and years
/// clamp the day to the month's end. nullopt when the result is out of range.
std::optional<timestamp> apply(timestamp t, const offset& o, const date::time_zone* zone) {
  if (o.amount == 0)
    return t;
  switch (o.u) {
    case unit::minute: t += o.amount * 60'000; break;
    case unit::hour: t += o.amount * 3'600'000; break;
    case unit::day:
    case unit::week: {
      auto days = o.amount * (o.u == unit::week ? 7 : 1);
      if (days > 4'000'000 || days < -4'000'000)
        return std::nullopt;
      t = from_wall(to_wall(t, zone) + date::days{days}, zone);
      break;
    }
    case unit::month:
    case unit::year: {
      auto wall = to_wall(t, zone);
      auto day = date::floor<date::days>(wall);
      auto time_of_day = wall - day;
      date::year_month_day ymd{day};
      long long months = static_cast<long long>(static_cast<int>(ymd.year())) * 12
                         + static_cast<unsigned>(ymd.month()) - 1
                         + o.amount * (o.u == unit::year ? 12 : 1);
      if (months < 12 || months >= 10000 * 12)
        return std::nullopt;
      auto ym = date::year{static_cast<int>(months / 12)}
                / date::month{static_cast<unsigned>(months % 12 + 1)};
      auto last = (ym / date::last).day();
      auto d = std::min(ymd.day(), last);
      t = from_wall(date::local_days{ym / d} + time_of_day, zone);
      break;
    }
  }
  if (!in_range(t))
    return std::nullopt;
  return t;
}

expected<std::string> evaluate_time(std::string_view text, const raw_expr& e,
                                    const expand_context& ctx) {
  auto parsed = parse_time(text, e);
  if (!parsed)
    return parsed.error();
  auto out_of_range = [&] {
    return fail("time out of range in " + quote_expr(text, e) + " (logical time "
                + std::to_string(ctx.logical_time) + " ms)");
  };
  if (!in_range(ctx.logical_time))
    return out_of_range();
  auto t = apply(ctx.logical_time, parsed->base->shift, ctx.zone);
  if (t && parsed->shift)
    t = apply(*t, *parsed->shift, ctx.zone);
  if (!t)
    return out_of_range();
  auto formatted = format_java(to_wall(*t, ctx.zone), parsed->format);
  if (!formatted)
    return fail(name_expr(formatted.error().message, quote_expr(text, e)));
  return formatted;
}

} // namespace

expected<std::string> expand(std::string_view text, const expand_context& ctx) {
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (auto e = next_expr(text, pos)) {
    out.append(text.substr(pos, e->begin - pos));
    if (e->end == std::string_view::npos)
      return fail("unterminated expression " + quote_expr(text, *e) + " (missing '}')");
    auto written = text.substr(e->begin, e->end - e->begin);
    pos = e->end;
    if (e->kind == expr_kind::time) {
      auto value = evaluate_time(text, *e, ctx);
      if (!value)
        return value.error();
      out += *value;
      continue;
    }
    auto name = param_name(text, *e);
    if (!name)
      return name.error();
    if (ctx.params) {
      if (auto i = ctx.params->find(*name); i != ctx.params->end()) {
        out += i->second;
        continue;
      }
    }
    if (!ctx.keep_undefined)
      return fail("unknown parameter '" + *name + "' in " + quote_expr(text, *e));
    out.append(written);
  }
  out.append(text.substr(pos));
  return out;
}

std::vector<std::string> param_references(std::string_view text) {
  std::vector<std::string> names;
  std::size_t pos = 0;
  while (auto e = next_expr(text, pos)) {
    if (e->end == std::string_view::npos) {
      pos = e->begin + 2;
      continue;
    }
    pos = e->end;
    if (e->kind != expr_kind::param)
      continue;
    auto name = param_name(text, *e);
    if (name && std::find(names.begin(), names.end(), *name) == names.end())
      names.push_back(std::move(*name));
  }
  return names;
}

std::vector<expr_problem> check_expressions(std::string_view text) {
  std::vector<expr_problem> problems;
  std::size_t pos = 0;
  while (auto e = next_expr(text, pos)) {
    if (e->end == std::string_view::npos) {
      problems.push_back({e->begin, "unterminated expression " + quote_expr(text, *e)
                                        + " (missing '}')"});
      pos = e->begin + 2;
      continue;
    }
    pos = e->end;
    if (e->kind == expr_kind::param) {
      if (auto name = param_name(text, *e); !name)
        problems.push_back({e->begin, name.error().message});
    } else if (auto parsed = parse_time(text, *e); !parsed) {
      problems.push_back({e->begin, parsed.error().message});
    }
  }
  return problems;
}

expected<param_map>
evaluate_param_list(const std::vector<std::pair<std::string, std::string>>& list,
                    const param_map& caller, const expand_context& ctx) {
  param_map params = caller;
  auto local = ctx;
  local.params = &params;
  for (const auto& [name, value] : list) {
    if (caller.count(name))
      continue;
    auto expanded = expand(value, local);
    if (!expanded)
      return make_error(expanded.error().code,
                        "param '" + name + "': " + expanded.error().message);
    params[name] = std::move(*expanded);
  }
  return params;
}

} // namespace cafflow
