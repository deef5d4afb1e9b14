#include "schedule/cron_phrase.hpp"

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <tuple>
#include <vector>

namespace cafflow {

namespace {

using field_map = std::map<std::string, std::string>;
/// hour, minute, second of a time symbol.
using clock_time = std::tuple<std::string, std::string, std::string>;

const std::vector<std::string> month_words{"January", "February", "March",     "April",
                                           "May",     "June",     "July",      "August",
                                           "September", "October", "November", "December"};
const std::vector<std::string> day_words{"Sunday",   "Monday", "Tuesday", "Wednesday",
                                         "Thursday", "Friday", "Saturday"};

/// A recursive-descent reading of cronish's phrase grammar (its dsl.scala,
/// Scala parser combinators over a RegexParsers): ordered choice that tries
/// the next alternative only when one fails, whitespace skipped before every
/// word, words matched as prefixes exactly as written.
class phrase_reader {
public:
  phrase_reader(std::string_view text, bool ci) : s_(text), ci_(ci) {}

  std::optional<field_map> read() {
    auto result = incrementers();
    if (!result)
      return std::nullopt;
    skip_space();
    if (pos_ != s_.size())
      return std::nullopt;
    return result;
  }

private:
  // -- terminals ---------------------------------------------------------------

  void skip_space() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_])))
      ++pos_;
  }

  bool same(char a, char b) const {
    if (!ci_)
      return a == b;
    return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
  }

  bool at(std::string_view word) const {
    if (s_.size() - pos_ < word.size())
      return false;
    for (std::size_t i = 0; i < word.size(); ++i)
      if (!same(s_[pos_ + i], word[i]))
        return false;
    return true;
  }

  bool word(std::string_view w) {
    auto save = pos_;
    skip_space();
    if (at(w)) {
      pos_ += w.size();
      return true;
    }
    pos_ = save;
    return false;
  }

  /// `\d{min,max}` (greedy).
  std::optional<std::string> digits(std::size_t min, std::size_t max) {
    auto save = pos_;
    skip_space();
    std::size_t n = 0;
    while (n < max && pos_ + n < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_ + n])))
      ++n;
    if (n < min) {
      pos_ = save;
      return std::nullopt;
    }
    std::string result(s_.substr(pos_, n));
    pos_ += n;
    return result;
  }

  /// The index of the first of `names` written here (a regex alternation).
  std::optional<std::size_t> one_of(const std::vector<std::string>& names) {
    auto save = pos_;
    skip_space();
    for (std::size_t i = 0; i < names.size(); ++i)
      if (at(names[i])) {
        pos_ += names[i].size();
        return i;
      }
    pos_ = save;
    return std::nullopt;
  }

  /// Runs `p`; restores the position when it fails.
  template <class T>
  std::optional<T> attempt(const std::function<std::optional<T>()>& p) {
    auto save = pos_;
    auto result = p();
    if (!result)
      pos_ = save;
    return result;
  }

  /// Ordered choice.
  template <class T>
  std::optional<T> first(std::initializer_list<std::function<std::optional<T>()>> alternatives) {
    for (const auto& p : alternatives)
      if (auto r = attempt<T>(p))
        return r;
    return std::nullopt;
  }

  // -- the grammar ---------------------------------------------------------------

  bool every() { return word("Every") || word("every"); }
  std::optional<std::string> number() { return digits(1, 2); }

  bool repetition() { return word(", and") || word(",") || word("and"); }
  bool lists() { return word("through") || word("to") || word("-"); }

  std::optional<clock_time> am() {
    return attempt<clock_time>([&]() -> std::optional<clock_time> {
      auto h = number();
      if (!h || !word("am"))
        return std::nullopt;
      return clock_time{*h, "0", "0"};
    });
  }

  std::optional<clock_time> pm() {
    return attempt<clock_time>([&]() -> std::optional<clock_time> {
      auto h = number();
      if (!h || !word("pm"))
        return std::nullopt;
      auto hour = std::stoi(*h);
      return clock_time{hour < 12 ? std::to_string(hour + 12) : *h, "0", "0"};
    });
  }

  std::optional<clock_time> clock_value() {
    return attempt<clock_time>([&]() -> std::optional<clock_time> {
      auto h = number();
      if (!h || !word(":"))
        return std::nullopt;
      auto m = digits(2, 2);
      if (!m)
        return std::nullopt;
      // cronish drops a leading zero of the minutes only.
      return clock_time{*h, (*m)[0] == '0' ? m->substr(1, 1) : *m, "0"};
    });
  }

  std::optional<clock_time> full_clock_value() {
    return attempt<clock_time>([&]() -> std::optional<clock_time> {
      auto c = clock_value();
      if (!c || !word(":"))
        return std::nullopt;
      auto sec = digits(2, 2);
      if (!sec)
        return std::nullopt;
      return clock_time{std::get<0>(*c), std::get<1>(*c), *sec};
    });
  }

  std::optional<field_map> time_symbol() {
    auto c = first<clock_time>({[&] { return am(); }, [&] { return pm(); },
                           [&] { return full_clock_value(); }, [&] { return clock_value(); },
                           [&]() -> std::optional<clock_time> {
                             if (word("midnight"))
                               return clock_time{"0", "0", "0"};
                             return std::nullopt;
                           },
                           [&]() -> std::optional<clock_time> {
                             if (word("noon"))
                               return clock_time{"12", "0", "0"};
                             return std::nullopt;
                           }});
    if (!c)
      return std::nullopt;
    return field_map{{"hour", std::get<0>(*c)}, {"minute", std::get<1>(*c)},
                     {"second", std::get<2>(*c)}};
  }

  std::optional<field_map> month_value() {
    auto i = one_of(month_words);
    if (!i)
      return std::nullopt;
    return field_map{{"month", std::to_string(*i + 1)}};
  }

  std::optional<field_map> year_value() {
    auto y = digits(4, 4);
    if (!y)
      return std::nullopt;
    return field_map{{"year", *y}};
  }

  std::optional<std::string> day_value() {
    auto i = one_of(day_words);
    if (!i)
      return std::nullopt;
    return std::to_string(*i);
  }

  std::optional<std::string> ordering() {
    return first<std::string>({
      [&]() -> std::optional<std::string> {
        auto n = number();
        return n && word("st") ? n : std::nullopt;
      },
      [&]() -> std::optional<std::string> {
        auto n = number();
        return n && word("nd") ? n : std::nullopt;
      },
      [&]() -> std::optional<std::string> {
        auto n = number();
        return n && word("rd") ? n : std::nullopt;
      },
      [&]() -> std::optional<std::string> {
        auto n = number();
        return n && word("th") ? n : std::nullopt;
      },
      [&]() -> std::optional<std::string> {
        return word("last") ? std::optional<std::string>("last") : std::nullopt;
      },
    });
  }

  std::optional<field_map> day_of_month() {
    auto o = ordering();
    if (!o)
      return std::nullopt;
    return field_map{{"day", *o == "last" ? "L" : *o}};
  }

  std::optional<field_map> day_of_week() {
    auto d = first<std::string>({
      [&] { return day_value(); },
      [&]() -> std::optional<std::string> {
        if (!word("the"))
          return std::nullopt;
        if (word("weekend"))
          return std::string("0,6");
        if (word("weekday"))
          return std::string("1-5");
        if (word("last day of week"))
          return std::string("L");
        return std::nullopt;
      },
    });
    if (!d)
      return std::nullopt;
    return field_map{{"dweek", *d}};
  }

  std::optional<field_map> day_of_week_special() {
    return attempt<field_map>([&]() -> std::optional<field_map> {
      auto o = ordering();
      if (!o)
        return std::nullopt;
      auto d = day_value();
      if (!d)
        return std::nullopt;
      return field_map{{"dweek", *o == "last" ? *d + "L" : *d + "#" + *o}};
    });
  }

  using map_parser = std::function<std::optional<field_map>()>;

  /// rep1sep(value, repetition): the values of `key`, distinct, joined by ",".
  std::optional<field_map> reps(const std::string& key, const map_parser& value) {
    return attempt<field_map>([&]() -> std::optional<field_map> {
      auto one = value();
      if (!one)
        return std::nullopt;
      std::vector<std::string> items{one->at(key)};
      for (;;) {
        auto save = pos_;
        if (!repetition()) {
          break;
        }
        auto next = value();
        if (!next) {
          pos_ = save;
          break;
        }
        items.push_back(next->at(key));
      }
      std::vector<std::string> distinct;
      for (const auto& i : items)
        if (std::find(distinct.begin(), distinct.end(), i) == distinct.end())
          distinct.push_back(i);
      std::string joined;
      for (const auto& i : distinct)
        joined += (joined.empty() ? "" : ",") + i;
      return field_map{{key, joined}};
    });
  }

  /// value ~ lists ~ value: a range of `key`.
  std::optional<field_map> range(const std::string& key, const map_parser& value) {
    return attempt<field_map>([&]() -> std::optional<field_map> {
      auto a = value();
      if (!a || !lists())
        return std::nullopt;
      auto b = value();
      if (!b)
        return std::nullopt;
      return field_map{{key, a->at(key) + "-" + b->at(key)}};
    });
  }

  std::optional<field_map> time_reps() {
    return attempt<field_map>([&]() -> std::optional<field_map> {
      std::vector<field_map> times;
      auto one = time_symbol();
      if (!one)
        return std::nullopt;
      times.push_back(*one);
      for (;;) {
        auto save = pos_;
        if (!repetition())
          break;
        auto next = time_symbol();
        if (!next) {
          pos_ = save;
          break;
        }
        times.push_back(*next);
      }
      auto distinct = [&](const char* key) {
        std::vector<std::string> values;
        for (const auto& t : times)
          if (std::find(values.begin(), values.end(), t.at(key)) == values.end())
            values.push_back(t.at(key));
        std::string joined;
        for (const auto& v : values)
          joined += (joined.empty() ? "" : ",") + v;
        return joined;
      };
      // cronish keeps hours and minutes of a list of times, not the seconds.
      return field_map{{"hour", distinct("hour")}, {"minute", distinct("minute")}};
    });
  }

  std::optional<field_map> time_range() {
    return attempt<field_map>([&]() -> std::optional<field_map> {
      auto a = time_symbol();
      if (!a || !lists())
        return std::nullopt;
      auto b = time_symbol();
      if (!b)
        return std::nullopt;
      auto grab = [&](const char* key) {
        const auto& x = a->at(key);
        const auto& y = b->at(key);
        if (x == y)
          return x;
        if (std::stoi(x) > std::stoi(y))
          return y + "-" + x;
        return x + "-" + y;
      };
      return field_map{{"hour", grab("hour")}, {"minute", grab("minute")}, {"second", grab("second")}};
    });
  }

  /// every ~> (field | "other" field | N fields).
  std::optional<field_map> field_incrementer(const std::string& f) {
    return attempt<field_map>([&]() -> std::optional<field_map> {
      if (!every())
        return std::nullopt;
      return first<field_map>({
        [&]() -> std::optional<field_map> {
          if (!word(f))
            return std::nullopt;
          return field_map{{f, "*"}};
        },
        [&]() -> std::optional<field_map> {
          if (!word("other") || !word(f))
            return std::nullopt;
          return field_map{{f, "*"}, {f + "Modifier", "/2"}};
        },
        [&]() -> std::optional<field_map> {
          auto n = number();
          if (!n || !word(f + "s"))
            return std::nullopt;
          return field_map{{f, "*"}, {f + "Modifier", "/" + *n}};
        },
      });
    });
  }

  std::optional<field_map> time_increment() {
    return first<field_map>({
      [&]() -> std::optional<field_map> {
        if (!every())
          return std::nullopt;
        return time_symbol();
      },
      [&] { return field_incrementer("second"); },
      [&] { return field_incrementer("minute"); },
      [&] { return field_incrementer("hour"); },
    });
  }

  std::optional<field_map> day_increment() {
    return first<field_map>({
      [&] { return field_incrementer("day"); },
      [&]() -> std::optional<field_map> {
        if (!every())
          return std::nullopt;
        auto d = day_of_month();
        return d && word("day") ? d : std::nullopt;
      },
      [&]() -> std::optional<field_map> {
        if (!every())
          return std::nullopt;
        auto d = first<std::string>({
          [&] { return day_value(); },
          [&]() -> std::optional<std::string> {
            if (!word("other"))
              return std::nullopt;
            auto v = day_value();
            return v ? std::optional<std::string>(*v + "/2") : std::nullopt;
          },
        });
        if (!d)
          return std::nullopt;
        return field_map{{"dweek", *d}};
      },
      [&]() -> std::optional<field_map> {
        if (!every())
          return std::nullopt;
        return day_of_week_special();
      },
    });
  }

  std::optional<field_map> connector() {
    auto dow = [&] { return day_of_week(); };
    auto dom = [&] { return day_of_month(); };
    auto month = [&] { return month_value(); };
    auto year = [&] { return year_value(); };
    return first<field_map>({
      // at TIME
      [&]() -> std::optional<field_map> {
        if (!word("at"))
          return std::nullopt;
        return first<field_map>({[&] { return time_range(); }, [&] { return time_reps(); },
                                 [&] { return time_symbol(); }, [&] { return time_increment(); }});
      },
      // on DAY-OF-WEEK
      [&]() -> std::optional<field_map> {
        if (!word("on"))
          return std::nullopt;
        return first<field_map>({[&] { return range("dweek", dow); },
                                 [&] { return reps("dweek", dow); }, dow,
                                 [&]() -> std::optional<field_map> {
                                   if (!word("the"))
                                     return std::nullopt;
                                   return day_of_week_special();
                                 },
                                 [&] { return day_increment(); }});
      },
      // in the year YEAR
      [&]() -> std::optional<field_map> {
        if (!word("in the year"))
          return std::nullopt;
        return first<field_map>({[&] { return range("year", year); },
                                 [&] { return reps("year", year); }, year,
                                 [&] { return field_incrementer("year"); }});
      },
      // in MONTH
      [&]() -> std::optional<field_map> {
        if (!word("in"))
          return std::nullopt;
        return first<field_map>({[&] { return range("month", month); },
                                 [&] { return reps("month", month); }, month,
                                 [&] { return field_incrementer("month"); }});
      },
      // on the DAY-OF-MONTH day
      [&]() -> std::optional<field_map> {
        if (!word("on the"))
          return std::nullopt;
        return first<field_map>({
          [&]() -> std::optional<field_map> {
            auto r = range("day", dom);
            return r && word("day") ? r : std::nullopt;
          },
          [&]() -> std::optional<field_map> {
            auto r = reps("day", dom);
            return r && word("days") ? r : std::nullopt;
          },
          [&]() -> std::optional<field_map> {
            auto r = dom();
            return r && word("day") ? r : std::nullopt;
          },
        });
      },
    });
  }

  std::optional<field_map> incrementers() {
    auto incremented = first<field_map>({[&] { return time_increment(); },
                                         [&] { return day_increment(); },
                                         [&] { return field_incrementer("year"); },
                                         [&] { return field_incrementer("month"); }});
    if (!incremented)
      return std::nullopt;
    field_map values;
    while (auto c = attempt<field_map>([&] { return connector(); }))
      for (auto& [k, v] : *c)
        values[k] = v;
    for (auto& [k, v] : *incremented)
      values[k] = v;
    field_map result;
    for (const auto& [k, v] : values) {
      if (k.size() > 8 && k.compare(k.size() - 8, 8, "Modifier") == 0)
        continue;
      auto mod = values.find(k + "Modifier");
      result[k] = v + (mod == values.end() ? "" : mod->second);
    }
    return result;
  }

  std::string_view s_;
  bool ci_;
  std::size_t pos_ = 0;
};

} // namespace

std::optional<cron_phrase_fields> read_cron_phrase(std::string_view phrase, bool case_insensitive) {
  auto fields = phrase_reader(phrase, case_insensitive).read();
  if (!fields)
    return std::nullopt;
  cron_phrase_fields result;
  auto take = [&](const char* key, std::string& out) {
    if (auto it = fields->find(key); it != fields->end())
      out = it->second;
  };
  take("second", result.second);
  take("minute", result.minute);
  take("hour", result.hour);
  take("day", result.day_of_month);
  take("month", result.month);
  take("dweek", result.day_of_week);
  take("year", result.year);
  return result;
}

} // namespace cafflow
