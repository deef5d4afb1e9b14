#include "xml/workflow_parser.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>

#include <pugixml.hpp>

#include "actions/kind.hpp"
#include "db/odbc_bridge.hpp"
#include "exec/attachments.hpp"
#include "schedule/windows.hpp"
#include "util/files.hpp"
#include "util/strings.hpp"
#include "util/tz.hpp"
#include "xml/db_links.hpp"
#include "xml/expression_checks.hpp"
#include "xml/validate.hpp"

namespace cafflow {

namespace {

using severity = diagnostic::severity;

/// Builds the model from the DOM, reporting every problem with its position.
class parser {
public:
  parser(const std::string& xml, std::string file, const parse_options& opts)
    : xml_(xml), file_(std::move(file)), opts_(opts) {}

  parse_result run() {
    parse_result result;
    auto status = doc_.load_buffer(xml_.data(), xml_.size(),
                                   pugi::parse_default | pugi::parse_declaration);
    if (!status) {
      error(offset_pos(static_cast<std::size_t>(status.offset)),
            std::string("malformed XML: ") + status.description());
      result.diagnostics = std::move(diags_);
      return result;
    }
    pugi::xml_node root;
    for (auto child : doc_.children()) {
      if (child.type() == pugi::node_pcdata && !trim(child.value()).empty())
        error(pos_of(child), "text outside the root element");
      if (child.type() != pugi::node_element)
        continue;
      if (root) {
        error(pos_of(child), "more than one root element (<" + std::string(child.name())
                               + "> after <" + root.name() + ">)");
        continue;
      }
      root = child;
    }
    if (!root) {
      error({1, 1}, "no root element (expected <work-flow> or <coordinator>)");
    } else {
      std::string name = root.name();
      result.declared_name = trim(root.attribute("name").value());
      if (name == "work-flow" || name == "workflow") {
        result.kind = "workflow";
        workflow wf;
        parse_workflow_root(root, wf);
        validate_workflow(wf);
        if (!has_errors(diags_))
          result.wf = std::move(wf);
      } else if (name == "coordinator") {
        result.kind = "coordinator";
        standalone_coordinator c;
        parse_standalone_coordinator(root, c);
        check_texts({});
        if (!has_errors(diags_))
          result.coordinator = std::move(c);
      } else {
        auto hint = did_you_mean(name, {"work-flow", "workflow", "coordinator"});
        error(pos_of(root), "unknown root element <" + name
                              + ">, expected <work-flow> or <coordinator>"
                              + (hint.empty() ? "" : " (did you mean <" + hint + ">?)"));
      }
    }
    std::stable_sort(diags_.begin(), diags_.end(), [](const diagnostic& a, const diagnostic& b) {
      return a.pos.line < b.pos.line || (a.pos.line == b.pos.line && a.pos.column < b.pos.column);
    });
    result.diagnostics = std::move(diags_);
    return result;
  }

private:
  using handler = std::function<void(pugi::xml_node)>;

  // -- positions and diagnostics ---------------------------------------------

  source_pos offset_pos(std::size_t offset) const {
    auto lc = offset_to_line_col(xml_, offset);
    return {lc.line, lc.column};
  }

  /// Byte offset of a node: the '<' of an element, the first character of text.
  std::size_t offset_of(pugi::xml_node n) const {
    auto offset = n.offset_debug();
    if (offset < 0)
      return 0;
    auto at = static_cast<std::size_t>(offset);
    if (n.type() == pugi::node_element && at > 0 && xml_[at - 1] == '<')
      --at;
    if (n.type() == pugi::node_cdata && xml_.compare(at, 9, "<![CDATA[") == 0)
      at += 9;
    return at;
  }

  source_pos pos_of(pugi::xml_node n) const { return offset_pos(offset_of(n)); }

  /// Byte offset of attribute `attr` inside the start tag of `n`.
  std::size_t attr_offset(pugi::xml_node n, const char* attr) const {
    auto start = offset_of(n);
    auto tag_end = xml_.find('>', start);
    std::string name = attr;
    for (auto at = xml_.find(name, start); at != std::string::npos && at < tag_end;
         at = xml_.find(name, at + 1)) {
      auto before = xml_[at - 1];
      auto after = at + name.size() < xml_.size() ? xml_[at + name.size()] : '\0';
      if ((before == ' ' || before == '\t' || before == '\n' || before == '\r')
          && (after == '=' || after == ' ' || after == '\t' || after == '\n' || after == '\r'))
        return at;
    }
    return start;
  }

  source_pos attr_pos(pugi::xml_node n, const char* attr) const {
    return offset_pos(attr_offset(n, attr));
  }

  /// Byte offset of the first character of an attribute's value.
  std::size_t attr_value_offset(pugi::xml_node n, const char* attr) const {
    auto at = attr_offset(n, attr);
    auto quote = xml_.find_first_of("\"'", at);
    return quote == std::string::npos ? at : quote + 1;
  }

  void error(source_pos pos, std::string message) {
    diags_.push_back(diagnostic{severity::error, file_, pos, std::move(message)});
  }

  void warning(source_pos pos, std::string message) {
    diags_.push_back(diagnostic{severity::warning, file_, pos, std::move(message)});
  }

  static std::string tag(pugi::xml_node n) { return "<" + std::string(n.name()) + ">"; }

  // -- attributes ------------------------------------------------------------

  /// Reports every attribute of `n` that is not in `allowed`: an error, or
  /// with `akkaflow_element` (an element akkaflow read, which ignored any
  /// attribute it did not know) a warning that it is ignored.
  void attrs(pugi::xml_node n, std::initializer_list<const char*> allowed,
             bool akkaflow_element = false) {
    std::vector<std::string> names(allowed.begin(), allowed.end());
    for (auto attr : n.attributes()) {
      std::string name = attr.name();
      if (std::find(names.begin(), names.end(), name) != names.end())
        continue;
      auto hint = did_you_mean(name, names);
      auto what = "unknown attribute '" + name + "' on " + tag(n);
      auto why = hint.empty() ? (names.empty() ? " (it takes no attributes)" : "")
                              : " (did you mean '" + hint + "'?)";
      if (akkaflow_element)
        warning(attr_pos(n, attr.name()), what + " is ignored, as akkaflow ignored it" + why);
      else
        error(attr_pos(n, attr.name()), what + why);
    }
  }

  /// The trimmed value of a required attribute; reports it when missing or empty.
  std::string required(pugi::xml_node n, const char* attr) {
    auto a = n.attribute(attr);
    auto value = trim(a.value());
    if (!a)
      error(pos_of(n), tag(n) + " needs the attribute '" + attr + "'");
    else if (value.empty())
      error(attr_pos(n, attr), std::string("attribute '") + attr + "' of " + tag(n)
                                 + " must not be empty");
    else
      remember(attr_value_offset(n, attr), a.value());
    return value;
  }

  /// The trimmed value of an optional attribute (expressions are checked later).
  std::string optional(pugi::xml_node n, const char* attr, std::string fallback = {}) {
    auto a = n.attribute(attr);
    if (!a)
      return fallback;
    remember(attr_value_offset(n, attr), a.value());
    return trim(a.value());
  }

  void get_int(pugi::xml_node n, const char* attr, int& out, long long lo, long long hi) {
    auto a = n.attribute(attr);
    if (!a)
      return;
    long long value = 0;
    auto text = trim(a.value());
    if (!parse_int(text, value)) {
      error(attr_pos(n, attr),
            std::string("attribute '") + attr + "' expects a whole number, got '" + text + "'");
      return;
    }
    if (value < lo || value > hi) {
      error(attr_pos(n, attr), std::string("attribute '") + attr + "' must be between "
                                 + std::to_string(lo) + " and " + std::to_string(hi) + ", got "
                                 + text);
      return;
    }
    out = static_cast<int>(value);
  }

  void get_bool(pugi::xml_node n, const char* attr, bool& out) {
    auto a = n.attribute(attr);
    if (!a)
      return;
    auto text = to_lower(trim(a.value()));
    if (text == "true")
      out = true;
    else if (text == "false")
      out = false;
    else
      error(attr_pos(n, attr), std::string("attribute '") + attr
                                 + "' expects true or false, got '" + a.value() + "'");
  }

  /// One of `allowed` (exact spelling); reports anything else with a suggestion.
  void get_enum(pugi::xml_node n, const char* attr, const std::vector<std::string>& allowed,
                std::string& out) {
    auto a = n.attribute(attr);
    if (!a)
      return;
    auto text = trim(a.value());
    if (std::find(allowed.begin(), allowed.end(), text) != allowed.end()) {
      out = text;
      return;
    }
    auto hint = did_you_mean(text, allowed);
    error(attr_pos(n, attr), std::string("attribute '") + attr + "' expects "
                               + join(allowed, ", ") + "; got '" + text + "'"
                               + (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
  }

  /// A local time "yyyy-MM-dd HH:mm:ss" (or a date).
  void get_time(pugi::xml_node n, const char* attr, std::string& out) {
    auto a = n.attribute(attr);
    if (!a)
      return;
    auto text = trim(a.value());
    int y, mo, d, h = 0, mi = 0, s = 0, used = 0;
    bool ok = (std::sscanf(text.c_str(), "%4d-%2d-%2d %2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s,
                           &used)
                 == 6
               && static_cast<std::size_t>(used) == text.size())
              || (std::sscanf(text.c_str(), "%4d-%2d-%2d%n", &y, &mo, &d, &used) == 3
                  && static_cast<std::size_t>(used) == text.size());
    static const int month_days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    ok = ok && mo >= 1 && mo <= 12 && d >= 1 && d <= month_days[mo - 1]
         && (mo != 2 || d < 29 || (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))) && h >= 0
         && h <= 23 && mi >= 0 && mi <= 59 && s >= 0 && s <= 59;
    if (!ok) {
      error(attr_pos(n, attr), std::string("attribute '") + attr
                                 + "' expects a time like 2026-01-01 00:00:00, got '" + text + "'");
      return;
    }
    out = text;
  }

  void get_size(pugi::xml_node n, const char* attr, std::int64_t& out) {
    auto a = n.attribute(attr);
    if (!a)
      return;
    auto text = trim(a.value());
    if (!parse_size(text, out))
      error(attr_pos(n, attr), std::string("attribute '") + attr
                                 + "' expects a size like 512, 1B, 2KB, 1.5MB or 3G; got '" + text
                                 + "'");
  }

  // -- content ---------------------------------------------------------------

  /// Remembers user text, whose ${...} expressions are checked at the end.
  void remember(std::size_t offset, std::string text) {
    if (text.find("${") != std::string::npos)
      texts_.push_back({offset, std::move(text)});
  }

  /// The concatenated text and CDATA content of `n`.
  std::string text_of(pugi::xml_node n) {
    std::string result;
    for (auto child : n.children())
      if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata) {
        remember(offset_of(child), child.value());
        result += child.value();
      }
    return result;
  }

  /// The text of an element without attributes that holds text only.
  std::string text_only(pugi::xml_node n) {
    attrs(n, {});
    return text_content(n);
  }

  /// The text of an element that holds text only (reports child elements);
  /// its attributes are the caller's business.
  std::string text_content(pugi::xml_node n) {
    for (auto child : n.children())
      if (child.type() == pugi::node_element)
        error(pos_of(child), "unexpected " + tag(child) + " inside " + tag(n)
                               + " (it holds text only)");
    return text_of(n);
  }

  /// The children of `n` as XML text (for HTML bodies).
  std::string inner_xml(pugi::xml_node n) {
    struct writer : pugi::xml_writer {
      std::string out;
      void write(const void* data, std::size_t size) override {
        out.append(static_cast<const char*>(data), size);
      }
    } w;
    for (auto child : n.children()) {
      if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata)
        remember(offset_of(child), child.value());
      child.print(w, "", pugi::format_raw);
    }
    return w.out;
  }

  /// Dispatches the element children of `parent` to `handlers` by name;
  /// unknown elements (with a suggestion) are errors. Stray text is an error
  /// where `text_hint` says where it belongs (it would be lost); elsewhere a
  /// warning: akkaflow ignored it (a stray "8" in a 2.8 <file-monitor>).
  void children(pugi::xml_node parent, const std::vector<std::pair<std::string, handler>>& handlers,
                const char* text_hint = nullptr) {
    std::vector<std::string> names;
    for (const auto& [name, h] : handlers)
      names.push_back(name);
    for (auto child : parent.children()) {
      if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata) {
        if (trim(child.value()).empty())
          continue;
        if (text_hint != nullptr)
          error(pos_of(child),
                "unexpected text inside " + tag(parent) + " (" + text_hint + ")");
        else
          warning(pos_of(child), "text inside " + tag(parent)
                                   + " is ignored (it takes elements only; akkaflow ignored it "
                                     "too)");
        continue;
      }
      if (child.type() != pugi::node_element)
        continue;
      std::string name = child.name();
      auto it = std::find_if(handlers.begin(), handlers.end(),
                             [&](const auto& h) { return h.first == name; });
      if (it != handlers.end()) {
        it->second(child);
        continue;
      }
      auto hint = did_you_mean(name, names);
      error(pos_of(child), "unknown element <" + name + "> in " + tag(parent)
                             + (hint.empty() ? (names.empty() ? "" : " (expected <" + join(names, ">, <") + ">)")
                                             : " (did you mean <" + hint + ">?)"));
    }
  }

  /// Reports a second occurrence of an element that may appear once.
  bool once(pugi::xml_node child, bool& seen) {
    if (seen) {
      error(pos_of(child), "more than one " + tag(child) + " in " + tag(child.parent()));
      return false;
    }
    seen = true;
    return true;
  }

  // -- the workflow ------------------------------------------------------------

  void parse_workflow_root(pugi::xml_node root, workflow& wf) {
    attrs(root, {"name", "creator", "desc", "dir", "create-time", "mail-level",
                 "mail-receivers", "alert-to", "sla", "instance-limit", "priority", "timezone",
                 "on-failure", "max-parallel"},
          true);
    wf.pos = pos_of(root);
    wf.name = required(root, "name");
    workflow_name_ = wf.name;
    wf.creator = optional(root, "creator", wf.creator);
    wf.desc = optional(root, "desc");
    // akkaflow 2.9+: when the workflow was written (shown in its listings).
    get_time(root, "create-time", wf.create_time);
    wf.dir = optional(root, "dir", wf.dir);
    if (auto a = root.attribute("mail-level")) {
      static const std::map<std::string, std::string> levels{
        {"w_successed", "W_SUCCESSED"}, {"w_failed", "W_FAILED"}, {"w_killed", "W_KILLED"},
        {"成功", "W_SUCCESSED"},         {"失败", "W_FAILED"},      {"杀死", "W_KILLED"}};
      wf.mail_levels.clear();
      for (const auto& item : split_list(a.value())) {
        auto it = levels.find(to_lower(item));
        if (it != levels.end())
          wf.mail_levels.push_back(it->second);
        else
          error(attr_pos(root, "mail-level"),
                "attribute 'mail-level': unknown level '" + item
                  + "' (expected W_SUCCESSED, W_FAILED, W_KILLED or 成功, 失败, 杀死)");
      }
    }
    if (auto a = root.attribute("mail-receivers")) {
      wf.mail_receivers = split_list(a.value());
      for (const auto& address : wf.mail_receivers)
        if (address.find('@') == std::string::npos || address.front() == '@'
            || address.back() == '@')
          error(attr_pos(root, "mail-receivers"),
                "attribute 'mail-receivers': '" + address + "' is not an e-mail address");
    }
    mail_receivers_ = wf.mail_receivers;
    if (auto a = root.attribute("alert-to")) {
      wf.alert_to = split_list(a.value());
      if (wf.alert_to.empty())
        error(attr_pos(root, "alert-to"), "attribute 'alert-to' names no channel");
      if (opts_.alert_channels) {
        std::vector<std::string> known(opts_.alert_channels->begin(),
                                       opts_.alert_channels->end());
        for (const auto& channel : wf.alert_to)
          if (opts_.alert_channels->count(channel) == 0) {
            auto hint = did_you_mean(channel, known);
            error(attr_pos(root, "alert-to"),
                  "attribute 'alert-to': unknown alert channel '" + channel + "'"
                    + (hint.empty() ? (known.empty() ? std::string(" (no channels are "
                                                                   "configured in alerts.xml)")
                                                     : " (known: " + join(known, ", ") + ")")
                                    : " (did you mean '" + hint + "'?)"));
          }
      }
    }
    if (auto a = root.attribute("sla")) {
      if (!parse_duration(a.value(), wf.sla_s))
        error(attr_pos(root, "sla"), "attribute 'sla': '" + std::string(a.value())
                                       + "' is not a duration (e.g. 90s, 30m, 2h, 1d, 1h30m)");
    }
    get_int(root, "instance-limit", wf.instance_limit, 1, 1000000);
    get_int(root, "priority", wf.priority, -1000000, 1000000);
    get_int(root, "max-parallel", wf.max_parallel, 1, 100000);
    std::string on_failure = "end";
    get_enum(root, "on-failure", {"end", "continue"}, on_failure);
    wf.continue_on_failure = on_failure == "continue";
    wf.timezone = optional(root, "timezone");
    if (!wf.timezone.empty() && !find_time_zone(wf.timezone))
      error(attr_pos(root, "timezone"), "attribute 'timezone': unknown time zone '" + wf.timezone
                                          + "' (expected an IANA name such as Europe/Berlin)");
    std::map<std::string, source_pos> seen;
    bool coordinator_seen = false;
    auto add_node = [&](pugi::xml_node child, node n) {
      n.pos = pos_of(child);
      n.name = required(child, "name");
      if (n.name.empty())
        return;
      if (auto it = seen.find(n.name); it != seen.end()) {
        error(attr_pos(child, "name"), "duplicate node name '" + n.name
                                         + "' (first defined at line "
                                         + std::to_string(it->second.line) + ")");
        return;
      }
      seen.emplace(n.name, n.pos);
      wf.nodes.push_back(std::move(n));
    };
    children(root, {
      {"coordinator", [&](pugi::xml_node c) {
         if (!once(c, coordinator_seen))
           return;
         if (!wf.nodes.empty())
           warning(pos_of(c), "<coordinator> should come before the nodes");
         coordinator_spec spec;
         parse_coordinator(c, spec, nullptr);
         wf.coordinator = std::move(spec);
       }},
      {"start", [&](pugi::xml_node c) {
         attrs(c, {"name", "to", "desc"}, true);
         node n;
         n.kind = node_kind::start;
         n.desc = optional(c, "desc");
         n.to = required(c, "to");
         n.to_pos = attr_pos(c, "to");
         children(c, {});
         add_node(c, std::move(n));
       }},
      {"end", [&](pugi::xml_node c) {
         attrs(c, {"name", "desc"}, true);
         node n;
         n.kind = node_kind::end;
         n.desc = optional(c, "desc");
         children(c, {});
         add_node(c, std::move(n));
       }},
      {"kill", [&](pugi::xml_node c) {
         attrs(c, {"name", "desc"}, true);
         node n;
         n.kind = node_kind::kill;
         n.desc = optional(c, "desc");
         bool message_seen = false;
         children(c, {{"message", [&](pugi::xml_node m) {
                         if (once(m, message_seen))
                           n.message = trim(text_only(m));
                       }}},
                  "put it in <message>");
         add_node(c, std::move(n));
       }},
      {"fork", [&](pugi::xml_node c) {
         attrs(c, {"name", "desc"}, true);
         node n;
         n.kind = node_kind::fork;
         n.desc = optional(c, "desc");
         children(c, {{"path", [&](pugi::xml_node p) {
                         attrs(p, {"to"}, true);
                         children(p, {});
                         auto to = required(p, "to");
                         if (!to.empty()) {
                           n.paths.push_back(to);
                           n.path_pos.push_back(attr_pos(p, "to"));
                         }
                       }}});
         if (n.paths.empty())
           error(pos_of(c), "<fork> needs at least one <path to=\"...\"/>");
         else if (n.paths.size() == 1)
           warning(pos_of(c), "<fork> has a single path; it runs nothing in parallel");
         add_node(c, std::move(n));
       }},
      {"join", [&](pugi::xml_node c) {
         attrs(c, {"name", "to", "desc"}, true);
         node n;
         n.kind = node_kind::join;
         n.desc = optional(c, "desc");
         n.to = required(c, "to");
         n.to_pos = attr_pos(c, "to");
         children(c, {});
         add_node(c, std::move(n));
       }},
      {"decision", [&](pugi::xml_node c) {
         attrs(c, {"name"});
         node n;
         n.kind = node_kind::decision;
         parse_decision(c, n);
         add_node(c, std::move(n));
       }},
      {"action", [&](pugi::xml_node c) {
         node n;
         n.kind = node_kind::action;
         parse_action(c, n);
         add_node(c, std::move(n));
       }},
    });
  }

  void parse_decision(pugi::xml_node elem, node& n) {
    bool default_seen = false;
    children(elem, {
      {"case", [&](pugi::xml_node c) {
         attrs(c, {"to"});
         decision_case dc;
         dc.pos = pos_of(c);
         dc.to = required(c, "to");
         dc.condition = trim(text_content(c));
         if (dc.condition.empty())
           error(pos_of(c), "<case> needs a condition, e.g. ${param:mode} == 'full'");
         else if (auto problem = condition_problem(dc.condition))
           error(pos_of(c), "<case>: " + *problem);
         n.cases.push_back(std::move(dc));
       }},
      {"default", [&](pugi::xml_node c) {
         if (!once(c, default_seen))
           return;
         attrs(c, {"to"});
         children(c, {});
         n.default_to = required(c, "to");
         n.default_pos = attr_pos(c, "to");
       }},
    });
    if (n.cases.empty())
      error(pos_of(elem), "<decision> needs at least one <case to=\"...\">condition</case>");
    if (!default_seen)
      error(pos_of(elem), "<decision> needs a <default to=\"...\"/>");
  }

  // -- actions -----------------------------------------------------------------

  void parse_action(pugi::xml_node elem, node& n) {
    attrs(elem, {"name", "host", "worker-group", "retry-times", "interval", "timeout",
                 "timeout-action", "max-duration", "is-ignore", "priority", "desc", "pool"});
    auto& spec = n.action;
    if (auto host = optional(elem, "host"); host != "-1")
      spec.host = host;
    spec.worker_group = optional(elem, "worker-group");
    get_int(elem, "retry-times", spec.retry_times, 0, 1000);
    get_int(elem, "interval", spec.interval_s, 0, 86400 * 7);
    get_int(elem, "timeout", spec.timeout_s, -1, 86400 * 365);
    if (spec.timeout_s == 0)
      error(attr_pos(elem, "timeout"), "attribute 'timeout' must be positive, or -1 for none");
    std::string on_timeout = "fail";
    get_enum(elem, "timeout-action", {"fail", "kill-instance", "warn"}, on_timeout);
    spec.on_timeout = on_timeout == "kill-instance" ? timeout_action::kill_instance
                      : on_timeout == "warn"        ? timeout_action::warn
                                                    : timeout_action::fail;
    if (auto a = elem.attribute("max-duration")) {
      std::int64_t seconds = 0;
      if (!parse_duration(a.value(), seconds) || seconds > 86400LL * 365)
        error(attr_pos(elem, "max-duration"),
              "attribute 'max-duration': '" + std::string(a.value())
                + "' is not a duration up to a year (e.g. 90s, 30m, 2h, 1h30m)");
      else
        spec.max_duration_s = static_cast<int>(seconds);
    }
    get_bool(elem, "is-ignore", spec.is_ignore);
    get_int(elem, "priority", spec.priority, -1000000, 1000000);
    spec.desc = optional(elem, "desc");
    spec.pool = optional(elem, "pool");
    check_pool(elem, spec.pool);
    int bodies = 0;
    bool ok_seen = false, error_seen = false;
    auto body = [&](auto parse) {
      return [this, &bodies, &spec, parse](pugi::xml_node c) {
        if (++bodies == 2)
          error(pos_of(c), "<action> has more than one action type");
        spec.body = (this->*parse)(c);
        check_kind(c, spec.body);
      };
    };
    auto transition = [&](bool& seen, std::string& target, source_pos& at) {
      return [&, this](pugi::xml_node c) {
        if (!once(c, seen))
          return;
        attrs(c, {"to"}, true);
        children(c, {});
        target = required(c, "to");
        at = attr_pos(c, "to");
      };
    };
    children(elem, {
      {"script", body(&parser::parse_script)},
      {"shell", body(&parser::parse_shell)},
      {"file-executor", body(&parser::parse_file_executor)},
      {"sql", body(&parser::parse_sql)},
      {"transfer", body(&parser::parse_transfer)},
      {"data-monitor", body(&parser::parse_data_monitor)},
      {"file-monitor", body(&parser::parse_file_monitor)},
      {"file-watcher", body(&parser::parse_file_watcher)},
      {"email", body(&parser::parse_email)},
      {"metadata", body(&parser::parse_metadata)},
      {"sub-workflow", body(&parser::parse_sub_workflow)},
      {"dependent", body(&parser::parse_dependent)},
      {"ok", transition(ok_seen, n.ok_to, n.ok_pos)},
      {"error", transition(error_seen, n.error_to, n.error_pos)},
    });
    if (bodies == 0)
      error(pos_of(elem), "<action> needs an action type (script, shell, file-executor, sql, "
                          "transfer, data-monitor, file-monitor, email, metadata, sub-workflow "
                          "or dependent)");
    if (!ok_seen)
      error(pos_of(elem), "<action> needs <ok to=\"...\"/>");
    if (bodies == 1 && kind_of(spec.body).place == run_place::master
        && kind_of(spec.body).not_supported.empty())
      // It waits on the master: no worker, no process, and a time limit only
      // where the master enforces one.
      for (const char* attr : {"host", "worker-group", "timeout", "timeout-action"})
        if (elem.attribute(attr) && !(std::string(attr) == "host" && spec.host.empty())
            && !(kind_of(spec.body).master_timeout && std::string(attr).rfind("timeout", 0) == 0))
          error(attr_pos(elem, attr), "attribute '" + std::string(attr) + "' does not apply to <"
                                        + kind_of(spec.body).name
                                        + ">: it waits on the master, not on a worker");
  }

  std::vector<std::string> parse_attach_list(pugi::xml_node elem) {
    attrs(elem, {});
    std::vector<std::string> files;
    children(elem, {{"file", [&](pugi::xml_node f) {
                       auto path = trim(text_only(f));
                       if (path.empty())
                         error(pos_of(f), "<file> in <attach-list> needs a path");
                       else
                         files.push_back(path);
                     }}});
    return files;
  }

  action_body parse_script(pugi::xml_node elem) {
    attrs(elem, {});
    script_action result;
    bool code_seen = false, line_seen = false, attach_seen = false, content_seen = false,
         location_seen = false;
    children(elem, {
      {"code", [&](pugi::xml_node c) {
         if (once(c, code_seen))
           result.code = dedent(text_only(c));
       }},
      // akkaflow <= 2.5.3: <content> (lines trimmed; perl or python when the
      // first line names it) and <location> (where the file was written).
      {"content", [&](pugi::xml_node c) {
         if (once(c, content_seen))
           result.code = akkaflow_script_code(text_only(c), true);
       }},
      {"location", [&](pugi::xml_node c) {
         if (once(c, location_seen)) {
           text_only(c);
           warning(pos_of(c), "<location> is ignored: akkaflow wrote the script to this path "
                              "before running it, cafflow writes it into the attempt's work "
                              "directory");
         }
       }},
      {"param-line", [&](pugi::xml_node c) {
         if (once(c, line_seen))
           result.param_line = trim(text_only(c));
       }},
      {"attach-list", [&](pugi::xml_node c) {
         if (once(c, attach_seen))
           result.attachments = parse_attach_list(c);
       }},
    }, "put the code in <code>");
    if (code_seen && content_seen)
      error(pos_of(elem), "<script> has both <code> and <content> (akkaflow's earlier name "
                          "for <code>); keep one");
    else if (trim(result.code).empty())
      error(pos_of(elem), content_seen ? "<script> needs a non-empty <content>"
                                       : "<script> needs a non-empty <code>");
    return result;
  }

  action_body parse_shell(pugi::xml_node elem) {
    attrs(elem, {});
    shell_action result;
    bool seen = false;
    children(elem, {{"command", [&](pugi::xml_node c) {
                       if (once(c, seen))
                         result.command = trim(text_only(c));
                     }}},
             "put it in <command>");
    if (result.command.empty())
      error(pos_of(elem), "<shell> needs a non-empty <command>");
    return result;
  }

  action_body parse_file_executor(pugi::xml_node elem) {
    attrs(elem, {});
    file_executor_action result;
    bool command_seen = false, attach_seen = false;
    children(elem, {
      {"command", [&](pugi::xml_node c) {
         if (once(c, command_seen))
           result.command = trim(text_only(c));
       }},
      {"attach-list", [&](pugi::xml_node c) {
         if (once(c, attach_seen))
           result.attachments = parse_attach_list(c);
       }},
    }, "put it in <command>");
    if (result.command.empty()) {
      error(pos_of(elem), "<file-executor> needs a non-empty <command> naming the script to run");
    } else if (result.command.find("${") == std::string::npos) {
      std::string problem;
      auto script = executor_script_word(result.command, &problem);
      auto first = result.command.substr(0, result.command.find_first_of(" \t\r\n"));
      auto program = first.substr(0, first.find_first_of("0123456789."));
      static const std::set<std::string> interpreters{
        "sh", "bash", "ksh", "zsh", "dash", "csh", "tcsh", "python", "perl", "ruby", "php",
        "node", "java", "scala", "Rscript", "env", "nohup", "source", "exec", "time", "nice"};
      if (script.empty())
        error(pos_of(elem.child("command")), "<command>: " + problem);
      else if (script != first && interpreters.count(program) == 0)
        // Earlier cafflow versions ran the first word; say which one runs now.
        warning(pos_of(elem.child("command")),
                "<command>: the script is '" + script + "', the word with a '/' (as akkaflow "
                "read it), not the first word '" + first + "'; write ./" + first
                + " to run that one");
    }
    return result;
  }

  action_body parse_sql(pugi::xml_node elem) {
    attrs(elem, {"db-link", "type", "jdbc-url", "username", "password"});
    sql_action result;
    if (has_inline_link(elem)) {
      if (elem.attribute("db-link"))
        error(attr_pos(elem, "db-link"), "<sql> names a 'db-link' and has a 'jdbc-url'; give one "
                                         "of them");
      result.inline_link = parse_inline_link(elem, elem.attribute("type").value());
    } else {
      result.db_link = required(elem, "db-link");
      check_db_link(elem, "db-link", result.db_link);
    }
    result.sql = dedent(text_content(elem));
    if (trim(result.sql).empty())
      error(pos_of(elem), "<sql> needs the statements to run");
    return result;
  }

  /// akkaflow 2.5.3 ... 2.8.x: an end's type named the database (MYSQL,
  /// ORACLE, HIVE, with jdbc-url, username, password) or the file system
  /// (LFS, HDFS); 2.9+ says DB (db-link) or FILE.
  transfer_endpoint parse_endpoint(pugi::xml_node elem, bool is_target) {
    transfer_endpoint e;
    if (is_target)
      attrs(elem, {"type", "db-link", "table", "is-pre-truncate", "path", "delimited", "header",
                   "encoding", "jdbc-url", "username", "password", "is-pre-del", "task-num",
                   "file-link"});
    else
      attrs(elem, {"type", "db-link", "delimited", "header", "encoding", "jdbc-url", "username",
                   "password", "path", "file-link"});
    auto raw = to_upper(required(elem, "type"));
    bool legacy_db = raw == "MYSQL" || raw == "ORACLE" || raw == "HIVE";
    // akkaflow 2.8's HDFS end: written like an LFS one (path attribute), on HDFS.
    bool hdfs_type = raw == "HDFS";
    bool lfs = raw == "LFS" || hdfs_type;
    if (legacy_db)
      e.type = "DB";
    else if (lfs)
      e.type = "FILE";
    else
      e.type = raw;
    if (!e.type.empty() && e.type != "DB" && e.type != "FILE")
      error(attr_pos(elem, "type"), tag(elem) + ": attribute 'type' expects DB or FILE (or "
                                                "akkaflow 2.8's MYSQL, ORACLE, HIVE, LFS, HDFS), "
                                                "got '"
                                      + raw + "'");
    if (hdfs_type)
      e.hdfs = hdfs_location{};
    // The file-link names an HDFS link of the file_links.xml checked against.
    bool link_on_hdfs = false;
    e.delimited = optional(elem, "delimited", "\t");
    if (e.delimited.empty())
      error(attr_pos(elem, "delimited"), "attribute 'delimited' must not be empty");
    get_bool(elem, "header", e.header);
    get_enum(elem, "encoding", {"UTF-8", "ISO-8859-1"}, e.encoding);
    if (e.type == "DB")
      for (const char* attr : {"header", "encoding", "delimited", "path", "file-link",
                               "is-pre-del"})
        if (elem.attribute(attr))
          error(attr_pos(elem, attr), tag(elem) + " of type DB takes no '" + attr + "'");
    if (e.type == "DB") {
      if (legacy_db || has_inline_link(elem)) {
        if (elem.attribute("db-link"))
          error(attr_pos(elem, "db-link"), tag(elem) + " names a 'db-link' and has a "
                                                       "'jdbc-url'; give one of them");
        e.inline_link = parse_inline_link(elem, legacy_db ? raw : std::string{});
      } else {
        e.db_link = required(elem, "db-link");
        check_db_link(elem, "db-link", e.db_link);
      }
    } else if (e.type == "FILE") {
      for (const char* attr : {"db-link", "jdbc-url", "username", "password", "is-pre-truncate",
                               "table"})
        if (elem.attribute(attr))
          error(attr_pos(elem, attr), tag(elem) + " of type " + raw + " takes no '" + attr + "'");
      // akkaflow 2.12: the link's file system (an HDFS link: its namenode and
      // user), looked up by the worker when the attempt runs.
      e.file_link = trim(elem.attribute("file-link").value());
      if (auto link = check_file_link(elem); link && link->type == "HDFS") {
        if (hdfs_type)
          error(attr_pos(elem, "file-link"), tag(elem) + " of type HDFS takes no 'file-link' "
                                             "(give it type=\"FILE\")");
        link_on_hdfs = true;
      }
    }
    if (is_target) {
      get_bool(elem, "is-pre-truncate", e.is_pre_truncate);
      if (legacy_db && e.is_pre_truncate)
        warning(attr_pos(elem, "is-pre-truncate"),
                "is-pre-truncate=\"true\": akkaflow 2.5.3 ... 2.8 did not empty the table (it "
                "built the DELETE and never ran it); cafflow empties it, as akkaflow 2.9 and "
                "later did");
      if (auto a = elem.attribute("task-num")) {
        int tasks = 1;
        get_int(elem, "task-num", tasks, 1, 1000);
        warning(attr_pos(elem, "task-num"),
                e.type == "FILE"
                  ? std::string("'task-num' has no effect on a FILE target (akkaflow wrote "
                                "files with one task too)")
                  : std::string("'task-num' is ignored: cafflow loads through one connection "
                                "in batches; the rows loaded are the same"));
      }
      if (e.type == "DB") {
        e.table = required(elem, "table");
      } else if (e.type == "FILE") {
        e.path = required(elem, "path");
        bool pre_delete = false;
        get_bool(elem, "is-pre-del", pre_delete);
        if (starts_with(to_lower(trim(e.path)), "hdfs://") && !e.hdfs)
          // akkaflow 2.8.7 ... 2.9: a path with hdfs: was written on HDFS.
          e.hdfs = hdfs_location{};
        if (lfs && !e.hdfs)
          // akkaflow 2.8 appended the rows to the file; is-pre-del deleted it
          // first. (An HDFS file link's target is replaced whatever this says.)
          e.append = !pre_delete;
        if (e.hdfs || link_on_hdfs) {
          if (elem.attribute("is-pre-del"))
            warning(attr_pos(elem, "is-pre-del"),
                    "'is-pre-del' has no effect on an HDFS target: the file is replaced, as "
                    "akkaflow's HDFS target replaced it");
        } else if (!lfs && elem.attribute("is-pre-del"))
          warning(attr_pos(elem, "is-pre-del"),
                  "'is-pre-del' has no effect on a FILE target: akkaflow 2.9 and later replaced "
                  "the file in any case, as cafflow does (type=\"LFS\" appended unless it was "
                  "true)");
      }
      bool pre_seen = false, after_seen = false;
      auto statements = [&](bool& seen, std::string& out, bool legacy_name) {
        return [&, legacy_name, this](pugi::xml_node c) {
          if (legacy_name && e.type != "DB")
            error(pos_of(c), tag(c) + " (akkaflow 2.8) holds SQL for a database target; this "
                                      "target is a file");
          if (once(c, seen))
            out = e.type == "FILE" ? akkaflow_script_code(text_only(c), false)
                                   : dedent(text_only(c));
        };
      };
      children(elem, {
        {"pre", statements(pre_seen, e.pre, false)},
        {"after", statements(after_seen, e.after, false)},
        {"pre-sql", statements(pre_seen, e.pre, true)},
        {"after-sql", statements(after_seen, e.after, true)},
      });
    } else {
      if (lfs || elem.attribute("path")) {
        // akkaflow 2.8's LFS source named its file with 'path'.
        if (!lfs)
          error(attr_pos(elem, "path"), "<source type=\"" + raw + "\"> takes its path as text "
                                        "('path' belongs to akkaflow 2.8's type=\"LFS\")");
        e.content = required(elem, "path");
        if (!trim(text_content(elem)).empty())
          warning(pos_of(elem), "the text of <source type=\"LFS\"> is ignored (akkaflow read "
                                "the file named by 'path')");
      } else {
        e.content = trim(text_content(elem));
        if (e.content.empty() && !raw.empty())
          error(pos_of(elem), e.type == "FILE" ? "<source type=\"FILE\"> needs a file path"
                                               : "<source type=\"DB\"> needs a table or a query");
      }
      if (e.type == "FILE" && !e.hdfs && starts_with(to_lower(e.content), "hdfs://"))
        e.hdfs = hdfs_location{};
    }
    if (e.hdfs || link_on_hdfs)
      hadoop_client_warning(elem, pos_of(elem));
    return e;
  }

  action_body parse_transfer(pugi::xml_node elem) {
    attrs(elem, {});
    transfer_action result;
    bool source_seen = false, target_seen = false, script_seen = false;
    children(elem, {
      {"source", [&](pugi::xml_node c) {
         if (once(c, source_seen))
           result.source = parse_endpoint(c, false);
       }},
      {"target", [&](pugi::xml_node c) {
         if (once(c, target_seen))
           result.target = parse_endpoint(c, true);
       }},
      {"script", [&](pugi::xml_node c) {
         if (!once(c, script_seen))
           return;
         bool elements = false;
         for (auto child : c.children())
           elements = elements || child.type() == pugi::node_element;
         if (elements) {
           auto body = std::get<script_action>(parse_script(c));
           result.script = body.code;
         } else {
           // akkaflow: the script is the element's text.
           attrs(c, {}, true);
           result.script = akkaflow_script_code(text_content(c), false);
           if (trim(result.script).empty())
             error(pos_of(c), "<script> in <transfer> needs the script to run");
         }
       }},
    });
    if (script_seen && (source_seen || target_seen))
      error(pos_of(elem), "<transfer> takes either <source> and <target>, or a <script>");
    else if (!script_seen && !(source_seen && target_seen))
      error(pos_of(elem), "<transfer> needs a <source> and a <target> (or a <script>)");
    return result;
  }

  /// `<source>`, `<min>`/`<min-threshold>`, `<max>`/`<max-threshold>` of a data monitor.
  /// `legacy` is set for akkaflow 2.6 ... 2.8.1's database types (MYSQL,
  /// ORACLE, HIVE with jdbc-url, username, password) and for a bound of type
  /// SQL with a jdbc-url: such a bound is read on the source's connection,
  /// as akkaflow read it.
  monitor_value parse_monitor_value(pugi::xml_node elem, bool is_source, bool* legacy = nullptr) {
    attrs(elem, {"type", "db-link", "jdbc-url", "username", "password"});
    monitor_value v;
    v.type = to_upper(is_source ? required(elem, "type") : optional(elem, "type", "NUM"));
    bool legacy_db = v.type == "MYSQL" || v.type == "ORACLE" || v.type == "HIVE";
    auto raw = v.type;
    if (legacy_db)
      v.type = "SQL";
    if (legacy != nullptr)
      *legacy = legacy_db;
    if (!v.type.empty() && v.type != "SQL" && v.type != "COMMAND" && v.type != "NUM")
      error(attr_pos(elem, "type"), tag(elem) + ": attribute 'type' expects SQL, COMMAND or NUM "
                                                "(or akkaflow 2.8's MYSQL, ORACLE, HIVE), got '"
                                      + v.type + "'");
    if (v.type == "SQL" && (legacy_db || has_inline_link(elem))) {
      if (elem.attribute("db-link"))
        error(attr_pos(elem, "db-link"), tag(elem) + " names a 'db-link' and has a 'jdbc-url'; "
                                                     "give one of them");
      if (is_source) {
        v.inline_link = parse_inline_link(elem, legacy_db ? raw : std::string{});
      } else {
        if (has_inline_link(elem))
          warning(attr_pos(elem, elem.attribute("jdbc-url") ? "jdbc-url" : "type"),
                  "akkaflow read " + tag(elem) + " on the <source>'s connection, not on the one "
                  "written here; so does cafflow");
        // The caller gives it the source's connection.
        if (legacy != nullptr)
          *legacy = true;
      }
    } else if (v.type == "SQL") {
      v.db_link = required(elem, "db-link");
      check_db_link(elem, "db-link", v.db_link);
    } else {
      for (const char* attr : {"db-link", "jdbc-url", "username", "password"})
        if (elem.attribute(attr))
          error(attr_pos(elem, attr), std::string("'") + attr + "' goes with type=\"SQL\" only");
    }
    // akkaflow also wrote the value in a nested <code>.
    bool code_seen = false;
    std::string code;
    for (auto child : elem.children())
      if (child.type() == pugi::node_element && std::string(child.name()) == "code") {
        if (once(child, code_seen))
          code = text_only(child);
      } else if (child.type() == pugi::node_element) {
        error(pos_of(child), "unexpected " + tag(child) + " inside " + tag(elem));
      }
    v.content = trim(code_seen ? code : text_of(elem));
    if (v.content.empty())
      error(pos_of(elem), tag(elem) + " needs a value (a query, a command or a number)");
    else if (v.type == "NUM") {
      char* end = nullptr;
      std::strtod(v.content.c_str(), &end);
      if (end == nullptr || *end != '\0')
        if (v.content.find("${") == std::string::npos)
          error(pos_of(elem), tag(elem) + " of type NUM expects a number, got '" + v.content + "'");
    }
    return v;
  }

  action_body parse_data_monitor(pugi::xml_node elem) {
    attrs(elem, {"recheck-interval", "category", "name", "is-saved", "source-name",
                 "is-exceed-error", "time-mark"});
    data_monitor_action result;
    get_int(elem, "recheck-interval", result.recheck_interval_s, 0, 86400);
    // category, name, source-name, time-mark labelled a row of akkaflow's
    // own monitoring table: they label the attempt's result here. The value
    // is kept with the attempt whatever is-saved says.
    result.category = optional(elem, "category");
    result.name = optional(elem, "name");
    result.source_name = optional(elem, "source-name");
    result.time_mark = optional(elem, "time-mark");
    get_bool(elem, "is-saved", result.is_saved);
    if (to_lower(trim(elem.attribute("is-saved").value())) == "false")
      warning(attr_pos(elem, "is-saved"),
              "is-saved=\"false\" has no effect: cafflow keeps the value with the attempt in "
              "any case (akkaflow left it out of its monitoring table)");
    get_bool(elem, "is-exceed-error", result.exceed_error);
    bool source_seen = false, min_seen = false, max_seen = false, warn_seen = false;
    std::vector<std::pair<pugi::xml_node, std::optional<monitor_value>*>> legacy_bounds;
    auto bound = [&](bool& seen, std::optional<monitor_value>& out) {
      return [&, this](pugi::xml_node c) {
        bool legacy = false;
        if (once(c, seen))
          out = parse_monitor_value(c, false, &legacy);
        if (legacy)
          legacy_bounds.emplace_back(c, &out);
      };
    };
    children(elem, {
      {"source", [&](pugi::xml_node c) {
         if (once(c, source_seen))
           result.source = parse_monitor_value(c, true);
       }},
      {"min", bound(min_seen, result.min)},
      {"min-threshold", bound(min_seen, result.min)},
      {"max", bound(max_seen, result.max)},
      {"max-threshold", bound(max_seen, result.max)},
      {"warn-msg", [&](pugi::xml_node c) {
         if (once(c, warn_seen))
           result.warn_msg = trim(text_only(c));
       }},
    });
    // A bound read on the source's connection (akkaflow <= 2.8.1's database
    // types, a jdbc-url on a bound of type SQL) connects where the source does.
    for (auto [c, out] : legacy_bounds) {
      auto type = to_upper(trim(c.attribute("type").value()));
      if (result.source.inline_link)
        (*out)->inline_link = result.source.inline_link;
      else if (source_seen && type == "SQL")
        error(pos_of(c), tag(c) + " has a jdbc-url, and akkaflow read it on the <source>'s "
                                  "connection, but the <source> has no jdbc-url; give "
                           + tag(c) + " a db-link instead");
      else if (source_seen)
        error(pos_of(c), tag(c) + " of type " + type
                           + " is read on the <source>'s connection, and the <source> has no "
                             "jdbc-url; give it type=\"SQL\" and a db-link");
    }
    if (!source_seen)
      error(pos_of(elem), "<data-monitor> needs a <source type=\"SQL|COMMAND|NUM\">");
    else if (!min_seen && !max_seen)
      warning(pos_of(elem), "<data-monitor> has neither <min> nor <max>; it checks nothing");
    return result;
  }

  action_body parse_file_monitor(pugi::xml_node elem) {
    attrs(elem, {"recheck-interval"});
    file_monitor_action result;
    get_int(elem, "recheck-interval", result.recheck_interval_s, 0, 86400);
    bool file_seen = false, warn_seen = false;
    children(elem, {
      {"file", [&](pugi::xml_node c) {
         if (!once(c, file_seen))
           return;
         attrs(c, {"min-num", "min-each-size", "num-threshold", "size-threshold", "file-link"});
         // akkaflow 2.12: the files are listed on the link's file system,
         // looked up by the worker when the attempt runs.
         result.file_link = trim(c.attribute("file-link").value());
         if (auto link = check_file_link(c); link && link->type == "HDFS")
           hadoop_client_warning(c, attr_pos(c, "file-link"));
         get_int(c, "min-num", result.min_num, 0, 100000000);
         get_int(c, "num-threshold", result.min_num, 0, 100000000);
         get_size(c, "min-each-size", result.min_each_size);
         get_size(c, "size-threshold", result.min_each_size);
         for (auto [a, b] : {std::pair{"min-num", "num-threshold"},
                             std::pair{"min-each-size", "size-threshold"}})
           if (c.attribute(a) && c.attribute(b))
             error(attr_pos(c, b), std::string("'") + b + "' is akkaflow's name for '" + a
                                     + "'; give only one of them");
         result.pattern = trim(text_content(c));
         if (result.pattern.empty())
           error(pos_of(c), "<file> needs a path or a pattern such as /data/in/orders_*.csv");
       }},
      {"warn-msg", [&](pugi::xml_node c) {
         if (once(c, warn_seen))
           result.warn_msg = trim(text_only(c));
       }},
    });
    if (!file_seen)
      error(pos_of(elem), "<file-monitor> needs a <file>pattern</file>");
    return result;
  }

  /// akkaflow <= 2.8.1's `<file-watcher>` (renamed file-monitor in 2.8.2):
  /// `<file dir num-threshold>NAME</file>` counts the entries of `dir`
  /// whose name matches NAME (`*` any text); `<size-warn-message enable
  /// size-threshold>` mails a warning for smaller files and succeeds.
  action_body parse_file_watcher(pugi::xml_node elem) {
    attrs(elem, {}, true);
    file_monitor_action result;
    result.recheck_interval_s = 0; // akkaflow looked once
    bool file_seen = false, warn_seen = false;
    children(elem, {
      {"file", [&](pugi::xml_node c) {
         if (!once(c, file_seen))
           return;
         attrs(c, {"dir", "num-threshold"}, true);
         result.dir = required(c, "dir");
         get_int(c, "num-threshold", result.min_num, 0, 100000000);
         result.pattern = trim(text_content(c));
         if (result.pattern.empty())
           error(pos_of(c), "<file> of <file-watcher> needs a file name such as orders_*.csv");
         else if (result.pattern.find('/') != std::string::npos)
           error(pos_of(c), "<file> of <file-watcher> holds a file name, matched in 'dir'; '"
                              + result.pattern + "' has a '/'");
       }},
      {"size-warn-message", [&](pugi::xml_node c) {
         if (!once(c, warn_seen))
           return;
         attrs(c, {"enable", "size-threshold"}, true);
         bool enable = false;
         if (!required(c, "enable").empty())
           get_bool(c, "enable", enable);
         if (!required(c, "size-threshold").empty())
           get_size(c, "size-threshold", result.min_each_size);
         result.warn_msg = trim(text_content(c));
         result.size_warn_only = true;
         if (!enable)
           result.min_each_size = 0;
       }},
    });
    if (!file_seen)
      error(pos_of(elem), "<file-watcher> needs a <file dir=\"...\">NAME</file>");
    if (!warn_seen)
      warning(pos_of(elem), "<file-watcher> without <size-warn-message>: akkaflow failed every "
                            "run of it (it read the missing size-threshold); cafflow counts the "
                            "files");
    return result;
  }

  // -- akkaflow's inline connections and file links ---------------------------

  static bool has_inline_link(pugi::xml_node elem) {
    return elem.attribute("jdbc-url") || elem.attribute("username") || elem.attribute("password")
           || (elem.attribute("type") && std::string(elem.name()) == "sql");
  }

  /// `type` (akkaflow's MYSQL, ORACLE, HIVE; empty = from the url),
  /// `jdbc-url`, `username`, `password`: an anonymous db link.
  inline_db_link parse_inline_link(pugi::xml_node elem, std::string declared) {
    inline_db_link link;
    auto url = required(elem, "jdbc-url");
    link.username = optional(elem, "username");
    link.password = optional(elem, "password");
    declared = to_upper(trim(declared));
    if (url.empty())
      return link;
    auto found = inline_jdbc_type(url);
    if (!found) {
      error(attr_pos(elem, "jdbc-url"), "attribute 'jdbc-url': " + found.error().message);
      return link;
    }
    if (!declared.empty() && declared != found->type)
      error(attr_pos(elem, "type"), "attribute 'type': " + declared + " does not match the "
                                      "jdbc-url, which is " + found->type);
    if (is_odbc_bridged(found->type))
      warning(attr_pos(elem, "jdbc-url"),
              tag(elem) + " connects to " + found->type + " through ODBC: the worker that runs "
                "it needs the ODBC driver named by " + odbc_driver_key(found->type)
                + " in cafflow.ini (docs/MIGRATING.md)");
    link.type = found->type;
    link.jdbc_url = found->url;
    return link;
  }

  /// An end or a <file> on HDFS: the worker needs the Hadoop client.
  void hadoop_client_warning(pugi::xml_node elem, source_pos pos) {
    warning(pos, tag(elem) + " is on HDFS: the worker that runs it needs the Hadoop client "
                             "named by hdfs.command in cafflow.ini");
  }

  /// akkaflow 2.12's file-link="NAME" (a link of conf/file_links.xml): a
  /// LOCAL link is the worker's own file system, an HDFS one is read and
  /// written through the worker's Hadoop client. Checked against the
  /// file_links.xml of the options, when there is one; the worker resolves
  /// the name again when the attempt runs (a name with a parameter only
  /// then, once the parameter is expanded). The link, when it is one.
  std::optional<file_link> check_file_link(pugi::xml_node elem) {
    auto a = elem.attribute("file-link");
    if (!a || !opts_.file_links)
      return std::nullopt;
    auto name = trim(a.value());
    if (name.find("${") != std::string::npos)
      return std::nullopt;
    auto link = opts_.file_links->resolve(name);
    if (!link) {
      error(attr_pos(elem, "file-link"), "attribute 'file-link': " + link.error().message);
      return std::nullopt;
    }
    return *link;
  }

  action_body parse_email(pugi::xml_node elem) {
    attrs(elem, {"to", "cc", "subject"});
    email_action result;
    result.to = optional(elem, "to");
    result.cc = optional(elem, "cc");
    result.subject = optional(elem, "subject");
    for (auto [attr, list] : {std::pair{"to", &result.to}, std::pair{"cc", &result.cc}})
      for (const auto& address : split_list(*list))
        if (address.find("${") == std::string::npos
            && (address.find('@') == std::string::npos || address.front() == '@'
                || address.back() == '@'))
          error(attr_pos(elem, attr), std::string("attribute '") + attr + "': '" + address
                                        + "' is not an e-mail address");
    // The HTML is <html>'s content, or everything but the attachments.
    pugi::xml_node html;
    std::string direct;
    struct writer : pugi::xml_writer {
      std::string* out;
      void write(const void* data, std::size_t size) override {
        out->append(static_cast<const char*>(data), size);
      }
    } w;
    w.out = &direct;
    for (auto child : elem.children()) {
      std::string name = child.type() == pugi::node_element ? child.name() : "";
      if (name == "attachment") {
        attrs(child, {"db-link", "name"});
        email_attachment a;
        a.content = trim(text_content(child));
        a.name = optional(child, "name");
        if (child.attribute("db-link")) {
          a.db_link = required(child, "db-link");
          check_db_link(child, "db-link", a.db_link);
        }
        if (a.content.empty())
          error(pos_of(child), a.db_link.empty()
                                 ? "<attachment> needs the path of the file to attach"
                                 : "<attachment db-link=...> needs the query whose rows to attach");
        result.attachments.push_back(std::move(a));
      } else if (name == "html") {
        if (html)
          error(pos_of(child), "more than one <html> in <email>");
        html = child;
      } else {
        if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata)
          remember(offset_of(child), child.value());
        child.print(w, "", pugi::format_raw);
      }
    }
    if (html) {
      if (!trim(direct).empty())
        error(pos_of(elem), "<email> has an <html> and more HTML beside it; put all of it in <html>");
      result.html = trim(inner_xml(html));
    } else {
      result.html = trim(direct);
    }
    if (result.html.empty())
      error(pos_of(elem), "<email> needs the HTML to send");
    // akkaflow sent such a mail to nobody and the node succeeded: so does
    // cafflow, said here.
    if (trim(result.to).empty() && mail_receivers_.empty())
      warning(pos_of(elem), "<email> has no receivers (no 'to', no 'mail-receivers' on the "
                            "<work-flow>): it sends nothing and the node succeeds, as in "
                            "akkaflow");
    return result;
  }

  action_body parse_metadata(pugi::xml_node elem) {
    attrs(elem, {"table", "db-link", "from"});
    metadata_action result;
    result.table = required(elem, "table");
    result.db_link = required(elem, "db-link");
    check_db_link(elem, "db-link", result.db_link);
    result.from = optional(elem, "from");
    bool table_comment_seen = false;
    children(elem, {
      {"column-comment", [&](pugi::xml_node c) {
         attrs(c, {"name"});
         auto name = required(c, "name");
         for (auto child : c.children())
           if (child.type() == pugi::node_element)
             error(pos_of(child), "unexpected " + tag(child) + " inside <column-comment>");
         result.column_comments.emplace_back(name, trim(text_of(c)));
       }},
      {"table-comment", [&](pugi::xml_node c) {
         if (once(c, table_comment_seen))
           result.table_comment = trim(text_only(c));
       }},
    });
    if (result.column_comments.empty() && !table_comment_seen && result.from.empty())
      error(pos_of(elem), "<metadata> needs a <table-comment>, a <column-comment> or a 'from' "
                          "table to copy comments from");
    return result;
  }

  action_body parse_sub_workflow(pugi::xml_node elem) {
    attrs(elem, {"name"});
    sub_workflow_action result;
    result.workflow = required(elem, "name");
    children(elem, {{"param", [&](pugi::xml_node c) {
                       attrs(c, {"name", "value"});
                       children(c, {});
                       auto name = required(c, "name");
                       if (!c.attribute("value"))
                         error(pos_of(c), "<param> needs the attribute 'value'");
                       result.params.emplace_back(name, optional(c, "value"));
                     }}});
    return result;
  }

  action_body parse_dependent(pugi::xml_node elem) {
    attrs(elem, {"on-failure", "wait-minutes"});
    dependent_action result;
    get_enum(elem, "on-failure", {"wait", "fail"}, result.on_failure);
    get_int(elem, "wait-minutes", result.wait_minutes, 0, 60 * 24 * 366);
    if (result.on_failure == "fail" && elem.attribute("wait-minutes"))
      warning(attr_pos(elem, "wait-minutes"), "'wait-minutes' has no effect with on-failure=\"fail\"");
    result.condition = parse_dependency_group(elem, dependency_expr::kind::all, true);
    if (result.condition.children.empty())
      error(pos_of(elem), "<dependent> needs at least one <workflow name=\"...\"/> (in <all> or <any>)");
    return result;
  }

  // -- dependencies and coordinators -------------------------------------------

  dependency_item parse_dependency_item(pugi::xml_node elem, bool windows_required) {
    // In a coordinator's <depend-list> the element is akkaflow's (which
    // ignored other attributes); in a <dependent> action it is cafflow's.
    attrs(elem, {"name", "cycle", "window", "node"}, !windows_required);
    children(elem, {});
    dependency_item item;
    item.pos = pos_of(elem);
    item.workflow = required(elem, "name");
    get_enum(elem, "cycle", dependency_cycles(), item.cycle);
    item.node = optional(elem, "node");
    auto window = optional(elem, "window");
    if (!window.empty() && item.cycle.empty() && !elem.attribute("cycle"))
      error(attr_pos(elem, "window"), "'window' needs a 'cycle' (hour, day, week or month)");
    if (!item.cycle.empty()) {
      const auto& allowed = windows_by_cycle().at(item.cycle);
      if (window.empty()) {
        error(pos_of(elem), "a dependency with cycle=\"" + item.cycle + "\" needs a 'window' ("
                              + join(allowed, ", ") + ")");
      } else if (std::find(allowed.begin(), allowed.end(), window) == allowed.end()) {
        std::string other;
        for (const auto& [cycle, names] : windows_by_cycle())
          if (std::find(names.begin(), names.end(), window) != names.end())
            other = cycle;
        auto hint = did_you_mean(window, allowed);
        error(attr_pos(elem, "window"),
              "window '" + window + "' "
                + (other.empty() ? "is unknown" : "belongs to cycle=\"" + other + "\"")
                + "; with cycle=\"" + item.cycle + "\" use " + join(allowed, ", ")
                + (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
      } else {
        item.window = window;
      }
    } else if (windows_required && !elem.attribute("cycle")) {
      // A <dependent> action needs a date window to know what to wait for.
      error(pos_of(elem), "a <workflow> in <dependent> needs a 'cycle' and a 'window'");
    } else if (!item.node.empty()) {
      // A flag dependency counts whole instances: a node needs a date window.
      error(attr_pos(elem, "node"), "'node' needs a 'cycle' and a 'window' (a dependency "
                                    "without a window waits for a whole instance)");
    }
    return item;
  }

  dependency_expr parse_dependency_group(pugi::xml_node elem, dependency_expr::kind kind,
                                         bool windows_required) {
    dependency_expr group;
    group.what = kind;
    auto nested = [&](dependency_expr::kind k) {
      return [&, k, this](pugi::xml_node c) {
        attrs(c, {});
        auto child = parse_dependency_group(c, k, windows_required);
        if (child.children.empty())
          error(pos_of(c), tag(c) + " needs at least one <workflow name=\"...\"/>");
        group.children.push_back(std::move(child));
      };
    };
    children(elem, {
      {"workflow", [&](pugi::xml_node c) {
         dependency_expr leaf;
         leaf.what = dependency_expr::kind::item;
         leaf.item = parse_dependency_item(c, windows_required);
         group.children.push_back(std::move(leaf));
       }},
      {"all", nested(dependency_expr::kind::all)},
      {"any", nested(dependency_expr::kind::any)},
    });
    return group;
  }

  /// Checks a cron attribute: an error when invalid, a warning when it may
  /// not mean what a reader expects (six akkaflow fields, an English phrase).
  void check_cron(pugi::xml_node elem, const char* attr, const std::string& cron) {
    if (auto problem = cron_problem(cron))
      error(attr_pos(elem, attr), "attribute '" + std::string(attr) + "': " + *problem);
    else if (auto note = cron_note(cron))
      warning(attr_pos(elem, attr), "attribute '" + std::string(attr) + "': " + *note);
  }

  /// `<param-list>` of a coordinator.
  void parse_param_list(pugi::xml_node c, coordinator_spec& spec) {
    attrs(c, {}, true);
    std::map<std::string, source_pos> names;
    children(c, {{"param", [&](pugi::xml_node p) {
                    attrs(p, {"name", "value"}, true);
                    children(p, {});
                    auto name = required(p, "name");
                    if (!p.attribute("value"))
                      error(pos_of(p), "<param> needs the attribute 'value'");
                    if (auto it = names.find(name); !name.empty() && it != names.end())
                      error(attr_pos(p, "name"), "parameter '" + name
                                                   + "' is already defined at line "
                                                   + std::to_string(it->second.line));
                    names.emplace(name, pos_of(p));
                    spec.params.emplace_back(name, p.attribute("value").value());
                    remember(attr_value_offset(p, "value"), p.attribute("value").value());
                  }}});
  }

  /// `is-enabled`: akkaflow took an empty value for true.
  void get_enabled(pugi::xml_node elem, bool& out) {
    if (auto a = elem.attribute("is-enabled"); a && trim(a.value()).empty())
      return;
    get_bool(elem, "is-enabled", out);
  }

  /// A start/end pair of local times; reports an end not after the start.
  void get_window(pugi::xml_node elem, const char* start, const char* end,
                  coordinator_spec& spec) {
    get_time(elem, start, spec.start_time);
    get_time(elem, end, spec.end_time);
    if (!spec.start_time.empty() && !spec.end_time.empty() && spec.end_time <= spec.start_time)
      error(attr_pos(elem, end), "'" + std::string(end) + "' " + spec.end_time
                                   + " is not after '" + start + "' " + spec.start_time);
  }

  void never_fires_warning(pugi::xml_node elem, const coordinator_spec& spec, bool v1) {
    if (spec.cron.empty() && dependency_workflows(spec.depends).empty() && spec.enabled)
      warning(pos_of(elem), std::string("the coordinator has neither a cron nor dependencies; it "
                                        "never fires")
                              + (v1 ? " (akkaflow fired it on every scan, 5 times a second)"
                                    : ""));
  }

  /// The coordinator attributes and children shared by the embedded and the
  /// standalone (akkaflow 2.6.4 ... 2.7) form; `trigger_list` is set for the
  /// standalone form.
  void parse_coordinator(pugi::xml_node elem, coordinator_spec& spec,
                         std::vector<std::string>* trigger_list) {
    if (trigger_list != nullptr)
      attrs(elem, {"name", "is-enabled", "start-time", "end-time", "catchup", "overlap", "dir",
                   "desc", "creator"},
            true);
    else
      attrs(elem, {"is-enabled", "start-time", "end-time", "catchup", "overlap"}, true);
    spec.pos = pos_of(elem);
    get_enabled(elem, spec.enabled);
    get_window(elem, "start-time", "end-time", spec);
    get_enum(elem, "catchup", {"none", "last", "all"}, spec.catchup);
    get_enum(elem, "overlap", {"queue", "skip"}, spec.overlap);
    bool depend_seen = false, params_seen = false, triggers_seen = false;
    std::vector<std::pair<std::string, handler>> handlers{
      {"depend-list", [&](pugi::xml_node c) {
         if (!once(c, depend_seen))
           return;
         attrs(c, {"cron", "on-failure", "wait-minutes"}, true);
         if (auto cron = c.attribute("cron")) {
           spec.cron = trim(cron.value());
           check_cron(c, "cron", spec.cron);
         }
         get_enum(c, "on-failure", {"wait", "fail"}, spec.on_failure);
         get_int(c, "wait-minutes", spec.wait_minutes, 0, 60 * 24 * 366);
         spec.depends = parse_dependency_group(c, dependency_expr::kind::all, false);
         if ((c.attribute("on-failure") || c.attribute("wait-minutes"))
             && !windowed_part(spec.depends))
           error(pos_of(c), "'on-failure' and 'wait-minutes' apply to items with a date window "
                            "(cycle, window); this <depend-list> has none");
         else if (spec.on_failure == "fail" && c.attribute("wait-minutes"))
           warning(attr_pos(c, "wait-minutes"),
                   "'wait-minutes' has no effect with on-failure=\"fail\"");
         if (trigger_list != nullptr && windowed_part(spec.depends))
           error(pos_of(c), "date windows (cycle, window) need a coordinator inside the "
                            "workflow: a standalone coordinator's <depend-list> takes "
                            "<workflow name=\"...\"/> without them");
         else if (mixes_windows_in_any(spec.depends))
           error(pos_of(c), "an <any> in a <depend-list> cannot mix items with a date window "
                            "and items without one (docs/SCHEDULING.md)");
       }},
      {"param-list", [&](pugi::xml_node c) {
         if (once(c, params_seen))
           parse_param_list(c, spec);
       }},
    };
    if (trigger_list != nullptr)
      handlers.emplace_back("trigger-list", [&](pugi::xml_node c) {
        if (!once(c, triggers_seen))
          return;
        attrs(c, {}, true);
        children(c, {{"workflow", [&](pugi::xml_node w) {
                        children(w, {});
                        // akkaflow 2.6.4 ... 2.7 read only 'name' here: a
                        // <workflow path=...> (the older <workflow-list>'s
                        // attribute) triggered nothing.
                        if (!w.attribute("name") && w.attribute("path")) {
                          warning(attr_pos(w, "path"),
                                  "<trigger-list> names a workflow by 'name'; akkaflow ignored "
                                  "this 'path' (it belongs to the older <workflow-list>) and "
                                  "triggered nothing for it: so does cafflow; write name=\""
                                    + std::string(w.attribute("path").value())
                                    + "\" to trigger it");
                          return;
                        }
                        attrs(w, {"name"}, true);
                        auto name = required(w, "name");
                        if (!name.empty())
                          trigger_list->push_back(name);
                      }}});
      });
    children(elem, handlers);
    if (trigger_list != nullptr && trigger_list->empty() && !triggers_seen)
      error(pos_of(elem), "a standalone <coordinator> needs a <trigger-list> with at least one "
                          "<workflow name=\"...\"/>");
    else if (trigger_list != nullptr && trigger_list->empty())
      warning(pos_of(elem), "this standalone <coordinator> triggers no workflow: it loads and "
                            "starts nothing, as in akkaflow");
    never_fires_warning(elem, spec, false);
    for (const auto& [name, value] : spec.params)
      defined_params_.push_back(name);
  }

  /// True when a standalone coordinator is written in akkaflow's first
  /// format (v1.0 ... 2.6.3).
  static bool is_v1_coordinator(pugi::xml_node root) {
    return root.attribute("start") || root.attribute("end") || root.child("trigger")
           || root.child("workflow-list");
  }

  /// akkaflow v1.0 ... 2.6.3 (Coordinator.pareseXmlNode): `start`/`end`
  /// (required before 2.6.3, then 1990-12-29 ... 2090-12-29 by default, which
  /// cafflow reads as unbounded), `<trigger><cron config/><depend-list><depend
  /// wf/></depend-list></trigger>`, `<workflow-list><workflow path/>` (path
  /// is the workflow's name), `<param-list>`.
  void parse_v1_coordinator(pugi::xml_node root, standalone_coordinator& c) {
    c.format = "1.0";
    // start-time/end-time are refused below with the reason.
    attrs(root, {"name", "is-enabled", "start", "end", "dir", "desc", "creator", "start-time",
                 "end-time"},
          true);
    for (const char* newer : {"start-time", "end-time"})
      if (root.attribute(newer))
        error(attr_pos(root, newer),
              std::string("attribute '") + newer + "' belongs to the coordinator format of "
                "akkaflow 2.6.4 and later, but this file uses the earlier one (start/end, "
                "<trigger>, <workflow-list>); use '" + (newer[0] == 's' ? "start" : "end")
                + "', or write the whole file in one format");
    c.name = required(root, "name");
    c.dir = optional(root, "dir", c.dir);
    c.desc = optional(root, "desc");
    c.creator = optional(root, "creator", c.creator);
    auto& spec = c.spec;
    spec.pos = pos_of(root);
    get_enabled(root, spec.enabled);
    get_window(root, "start", "end", spec);
    spec.depends.what = dependency_expr::kind::all;
    bool trigger_seen = false, list_seen = false, params_seen = false;
    children(root, {
      {"trigger", [&](pugi::xml_node t) {
         if (!once(t, trigger_seen))
           return;
         attrs(t, {}, true);
         bool cron_seen = false, depends_seen = false;
         children(t, {
           {"cron", [&](pugi::xml_node cron) {
              if (!once(cron, cron_seen))
                return;
              attrs(cron, {"config"}, true);
              children(cron, {});
              spec.cron = required(cron, "config");
              if (!spec.cron.empty())
                check_cron(cron, "config", spec.cron);
            }},
           {"depend-list", [&](pugi::xml_node list) {
              if (!once(list, depends_seen))
                return;
              attrs(list, {}, true);
              children(list, {{"depend", [&](pugi::xml_node d) {
                                 attrs(d, {"wf"}, true);
                                 children(d, {});
                                 dependency_expr leaf;
                                 leaf.what = dependency_expr::kind::item;
                                 leaf.item.pos = pos_of(d);
                                 leaf.item.workflow = required(d, "wf");
                                 if (!leaf.item.workflow.empty())
                                   spec.depends.children.push_back(std::move(leaf));
                               }}});
            }},
         });
       }},
      {"workflow-list", [&](pugi::xml_node list) {
         if (!once(list, list_seen))
           return;
         attrs(list, {}, true);
         children(list, {{"workflow", [&](pugi::xml_node w) {
                            attrs(w, {"path"}, true);
                            children(w, {});
                            auto name = required(w, "path");
                            if (!name.empty())
                              c.trigger_list.push_back(name);
                          }}});
       }},
      {"param-list", [&](pugi::xml_node p) {
         if (once(p, params_seen))
           parse_param_list(p, spec);
       }},
    });
    if (c.trigger_list.empty())
      error(pos_of(root), "this coordinator (akkaflow's first format) needs a <workflow-list> "
                          "with at least one <workflow path=\"WORKFLOW-NAME\"/>");
    never_fires_warning(root, spec, true);
    for (const auto& [name, value] : spec.params)
      defined_params_.push_back(name);
  }

  void parse_standalone_coordinator(pugi::xml_node root, standalone_coordinator& c) {
    if (is_v1_coordinator(root)) {
      parse_v1_coordinator(root, c);
      return;
    }
    c.name = required(root, "name");
    c.dir = optional(root, "dir", c.dir);
    c.desc = optional(root, "desc");
    c.creator = optional(root, "creator", c.creator);
    parse_coordinator(root, c.spec, &c.trigger_list);
  }

  // -- checks needing more than one element ------------------------------------

  void check_pool(pugi::xml_node elem, const std::string& name) {
    if (!elem.attribute("pool"))
      return;
    if (name.empty()) {
      error(attr_pos(elem, "pool"), "attribute 'pool' is empty (name a pool of [pools])");
      return;
    }
    if (!opts_.pools || opts_.pools->count(name) != 0)
      return;
    std::vector<std::string> known(opts_.pools->begin(), opts_.pools->end());
    auto hint = did_you_mean(name, known);
    error(attr_pos(elem, "pool"),
          "unknown pool '" + name + "'"
            + (hint.empty() ? (known.empty() ? std::string(" (the config's [pools] is empty)")
                                             : " (configured: " + join(known, ", ") + ")")
                            : " (did you mean '" + hint + "'?)"));
  }

  void check_db_link(pugi::xml_node elem, const char* attr, const std::string& name) {
    if (!opts_.db_links || name.empty() || name.find("${") != std::string::npos)
      return;
    if (opts_.db_links->count(name) != 0) {
      if (!opts_.db_link_types)
        return;
      auto it = opts_.db_link_types->find(name);
      const auto& supported = supported_db_link_types();
      if (it != opts_.db_link_types->end()
          && std::find(supported.begin(), supported.end(), it->second) == supported.end())
        error(attr_pos(elem, attr), "db link '" + name + "' has type " + it->second
                                      + ", which this build cannot connect to ("
                                      + join(supported, ", ") + ")");
      else if (it != opts_.db_link_types->end() && is_odbc_bridged(it->second))
        warning(attr_pos(elem, attr), "db link '" + name + "' (" + it->second
                                        + ") connects through ODBC: the worker that runs it "
                                          "needs the ODBC driver named by "
                                        + odbc_driver_key(it->second) + " in cafflow.ini");
      return;
    }
    std::vector<std::string> known(opts_.db_links->begin(), opts_.db_links->end());
    auto hint = did_you_mean(name, known);
    error(attr_pos(elem, attr),
          "unknown db-link '" + name + "'"
            + (hint.empty() ? (known.empty() ? std::string(" (no db links are configured)")
                                             : " (known: " + join(known, ", ") + ")")
                            : " (did you mean '" + hint + "'?)"));
  }

  /// The action kind's own verdict: refused when this build cannot run it,
  /// else the kind's load-time checks (e.g. the db-link types it can use).
  void check_kind(pugi::xml_node elem, const action_body& body) {
    const auto& kind = kind_of(body);
    if (!kind.not_supported.empty()) {
      error(pos_of(elem), "action type '" + kind.name + "' is not supported yet: "
                            + kind.not_supported);
      return;
    }
    if (!kind.check)
      return;
    kind_check_context ctx;
    ctx.link_types = opts_.db_link_types ? &*opts_.db_link_types : nullptr;
    ctx.workflow = workflow_name_;
    for (auto& message : kind.check(body, ctx))
      error(pos_of(elem), std::move(message));
  }

  /// Expression syntax in every remembered text; references to parameters
  /// that no param-list defines are warnings (a run may still pass them).
  void check_texts(const std::vector<std::string>& extra_defined) {
    std::set<std::string> defined(defined_params_.begin(), defined_params_.end());
    defined.insert(extra_defined.begin(), extra_defined.end());
    std::set<std::string> warned;
    for (const auto& t : texts_) {
      for (const auto& problem : expression_problems(t.text))
        error(offset_pos(t.offset + problem.first), problem.second);
      for (const auto& name : expression_params(t.text))
        if (defined.count(name) == 0 && warned.insert(name).second)
          warning(offset_pos(t.offset + t.text.find(name)),
                  "parameter '" + name + "' is not defined by the coordinator's <param-list>; "
                  "runs must pass it");
    }
  }

  void validate_workflow(workflow& wf) {
    check_texts({});
    // With broken elements the deeper graph rules would mostly report echoes.
    validate_graph(wf, file_, diags_, !has_errors(diags_));
  }


  struct text_ref {
    std::size_t offset;
    std::string text;
  };

  const std::string& xml_;
  std::string file_;
  const parse_options& opts_;
  pugi::xml_document doc_;
  std::vector<diagnostic> diags_;
  std::vector<text_ref> texts_;
  std::vector<std::string> defined_params_;
  /// The workflow's mail-receivers (an <email> without `to` sends to them).
  std::vector<std::string> mail_receivers_;
  /// The name of the workflow being parsed (the kinds' checks see it).
  std::string workflow_name_;
};

} // namespace

parse_result parse_definition(const std::string& xml, const std::string& file,
                              const parse_options& opts) {
  return parser(xml, file, opts).run();
}

parse_result parse_definition_file(const std::string& path, const parse_options& opts) {
  auto xml = read_file(path);
  if (!xml) {
    parse_result result;
    result.diagnostics.push_back(
      diagnostic{diagnostic::severity::error, path, {1, 1}, xml.error().message});
    return result;
  }
  return parse_definition(*xml, path, opts);
}

std::string dedent(const std::string& text) {
  auto lines = split_lines(text);
  auto blank = [](const std::string& line) { return trim(line).empty(); };
  while (!lines.empty() && blank(lines.front()))
    lines.erase(lines.begin());
  while (!lines.empty() && blank(lines.back()))
    lines.pop_back();
  std::size_t common = std::string::npos;
  for (const auto& line : lines) {
    if (blank(line))
      continue;
    auto indent = line.find_first_not_of(" \t");
    common = std::min(common, indent);
  }
  std::string result;
  for (const auto& line : lines) {
    if (!blank(line) && common != std::string::npos)
      result += line.substr(std::min(common, line.size()));
    result += '\n';
  }
  return result;
}

std::string akkaflow_script_code(const std::string& text, bool pick_interpreter) {
  std::vector<std::string> lines;
  for (auto& line : split_lines(text))
    if (!trim(line).empty())
      lines.push_back(line);
  if (lines.empty())
    return {};
  auto first = to_lower(lines.front());
  bool keep_indent = !pick_interpreter && first.find("python") != std::string::npos;
  std::string code;
  if (pick_interpreter && !starts_with(trim(lines.front()), "#!")) {
    if (first.find("perl") != std::string::npos)
      code = "#!/usr/bin/env perl\n";
    else if (first.find("python") != std::string::npos)
      code = "#!/usr/bin/env python\n";
  }
  for (const auto& line : lines)
    code += (keep_indent ? line : trim(line)) + "\n";
  return code;
}

bool parse_size(const std::string& text, std::int64_t& bytes) {
  auto t = trim(text);
  std::size_t i = 0;
  while (i < t.size() && (std::isdigit(static_cast<unsigned char>(t[i])) || t[i] == '.'))
    ++i;
  if (i == 0)
    return false;
  auto digits = t.substr(0, i); // strtod's end pointer points into it: keep it alive
  char* end = nullptr;
  auto number = std::strtod(digits.c_str(), &end);
  if (end == nullptr || *end != '\0' || number < 0)
    return false;
  auto unit = to_lower(trim(t.substr(i)));
  static const std::vector<std::pair<std::string, double>> units{
    {"", 1},      {"b", 1},          {"k", 1024.0},         {"kb", 1024.0},
    {"m", 1048576.0}, {"mb", 1048576.0}, {"g", 1073741824.0}, {"gb", 1073741824.0},
    {"t", 1099511627776.0}, {"tb", 1099511627776.0}};
  for (const auto& [name, factor] : units)
    if (unit == name) {
      bytes = static_cast<std::int64_t>(std::llround(number * factor));
      return true;
    }
  return false;
}

bool parse_duration(const std::string& text, std::int64_t& seconds) {
  auto t = to_lower(trim(text));
  if (t.empty())
    return false;
  std::int64_t total = 0;
  std::size_t i = 0;
  bool any_unit = false;
  while (i < t.size()) {
    std::size_t start = i;
    while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i])))
      ++i;
    if (i == start || i - start > 9)
      return false;
    std::int64_t number = std::stoll(t.substr(start, i - start));
    std::int64_t factor = 1;
    if (i < t.size()) {
      switch (t[i]) {
        case 's': factor = 1; break;
        case 'm': factor = 60; break;
        case 'h': factor = 3600; break;
        case 'd': factor = 86400; break;
        default: return false;
      }
      ++i;
      any_unit = true;
    } else if (any_unit) {
      return false; // "1h30" is ambiguous
    }
    total += number * factor;
  }
  if (total < 1)
    return false;
  seconds = total;
  return true;
}

} // namespace cafflow
