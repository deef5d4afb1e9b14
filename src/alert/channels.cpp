#include "alert/channels.hpp"

#include <algorithm>
#include <filesystem>

#include <Poco/Exception.h>
#include <Poco/URI.h>
#include <pugixml.hpp>

#include "util/files.hpp"
#include "util/strings.hpp"
#include "xml/positions.hpp"

namespace cafflow {

const std::vector<std::string>& webhook_templates() {
  static const std::vector<std::string> names{"generic", "slack", "dingtalk", "wecom", "feishu"};
  return names;
}

std::set<std::string> alert_channels_result::names() const {
  std::set<std::string> result;
  for (const auto& c : channels)
    result.insert(c.name);
  return result;
}

const alert_channel* alert_channels_result::find(const std::string& name) const {
  for (const auto& c : channels)
    if (c.name == name)
      return &c;
  return nullptr;
}

nlohmann::json alert_channel_to_json(const alert_channel& c) {
  return {{"name", c.name},         {"type", c.type},       {"to", c.to},
          {"url", c.url},           {"template", c.template_name},
          {"command", c.command},   {"timeout_s", c.timeout_s}, {"ca_file", c.ca_file}};
}

alert_channel alert_channel_from_json(const nlohmann::json& doc) {
  alert_channel c;
  c.name = doc.value("name", "");
  c.type = doc.value("type", "");
  c.to = doc.value("to", std::vector<std::string>{});
  c.url = doc.value("url", "");
  c.template_name = doc.value("template", "generic");
  c.command = doc.value("command", "");
  c.timeout_s = doc.value("timeout_s", 10);
  c.ca_file = doc.value("ca_file", "");
  return c;
}

std::optional<alert_channel> resolve_channel(const alert_channels_result& channels,
                                             const std::string& name, int mail_timeout_s) {
  if (const auto* c = channels.find(name))
    return *c;
  if (name.rfind("mail:", 0) == 0) {
    alert_channel c;
    c.name = name;
    c.type = "mail";
    c.to = split_list(name.substr(5));
    c.timeout_s = mail_timeout_s;
    if (!c.to.empty())
      return c;
  }
  return std::nullopt;
}

std::string receivers_channel(const std::vector<std::string>& receivers) {
  return receivers.empty() ? std::string{} : "mail:" + join(receivers, ",");
}

alert_channels_result parse_alert_channels(const std::string& xml, const std::string& file) {
  alert_channels_result result;
  xml_positions positions(xml);
  auto error = [&](source_pos pos, std::string msg) {
    result.diagnostics.push_back(
      diagnostic{diagnostic::severity::error, file, pos, std::move(msg)});
  };
  pugi::xml_document doc;
  auto status = doc.load_buffer(xml.data(), xml.size());
  if (!status) {
    error(positions.at(status.offset), std::string("malformed XML: ") + status.description());
    return result;
  }
  auto root = doc.document_element();
  if (std::string(root.name()) != "alerts") {
    error(positions.of(root),
          "expected <alerts> as the root element, got <" + std::string(root.name()) + ">");
    return result;
  }
  static const std::vector<std::string> known{"name",    "type",    "to",      "url", "template",
                                              "ca-file", "command", "timeout", "desc"};
  std::set<std::string> seen;
  for (auto child : root.children()) {
    if (child.type() != pugi::node_element)
      continue;
    if (std::string(child.name()) != "channel") {
      error(positions.of(child), "unknown element <" + std::string(child.name())
                             + "> in <alerts> (expected <channel>)");
      continue;
    }
    alert_channel c;
    c.pos = positions.of(child);
    for (auto attr : child.attributes()) {
      std::string name = attr.name();
      if (std::find(known.begin(), known.end(), name) == known.end()) {
        auto hint = did_you_mean(name, known);
        error(c.pos, "unknown attribute '" + name + "' on <channel>"
                       + (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
      }
    }
    c.name = trim(child.attribute("name").value());
    c.type = to_lower(trim(child.attribute("type").value()));
    if (c.name.empty()) {
      error(c.pos, "<channel> needs the attribute 'name'");
      continue;
    }
    if (c.name.find(':') != std::string::npos || c.name.find(',') != std::string::npos)
      error(c.pos, "channel '" + c.name + "': a name may not contain ':' or ','");
    if (!seen.insert(c.name).second)
      error(c.pos, "channel '" + c.name + "' is defined twice");
    if (auto t = child.attribute("timeout")) {
      std::string v = trim(t.value());
      bool digits = !v.empty() && v.size() < 6
                    && std::all_of(v.begin(), v.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
      if (!digits || std::stoi(v) < 1 || std::stoi(v) > 3600)
        error(c.pos, "channel '" + c.name + "': timeout '" + v
                       + "' is not a number of seconds from 1 to 3600");
      else
        c.timeout_s = std::stoi(v);
    }
    auto must_not = [&](std::initializer_list<const char*> attrs) {
      for (const char* a : attrs)
        if (child.attribute(a))
          error(c.pos, "channel '" + c.name + "': attribute '" + a + "' does not apply to type "
                         + c.type);
    };
    if (c.type == "mail") {
      must_not({"url", "template", "ca-file", "command"});
      c.to = split_list(child.attribute("to").value());
      if (c.to.empty())
        error(c.pos, "channel '" + c.name + "': a mail channel needs 'to' (comma list of addresses)");
      for (const auto& address : c.to)
        if (address.find('@') == std::string::npos || address.front() == '@'
            || address.back() == '@')
          error(c.pos, "channel '" + c.name + "': '" + address + "' is not an e-mail address");
    } else if (c.type == "webhook") {
      must_not({"to", "command"});
      c.url = trim(child.attribute("url").value());
      bool ok = false;
      try {
        Poco::URI uri(c.url);
        ok = (uri.getScheme() == "http" || uri.getScheme() == "https") && !uri.getHost().empty();
      } catch (const Poco::Exception&) {
        ok = false; // not a URI at all: reported below
      }
      if (!ok)
        error(c.pos, "channel '" + c.name + "': url '" + c.url
                       + "' is not an http:// or https:// URL with a host");
      if (auto t = child.attribute("template")) {
        c.template_name = to_lower(trim(t.value()));
        const auto& names = webhook_templates();
        if (std::find(names.begin(), names.end(), c.template_name) == names.end())
          error(c.pos, "channel '" + c.name + "': unknown template '" + c.template_name
                         + "' (expected " + join(names, ", ") + ")");
      }
      if (auto ca = child.attribute("ca-file")) {
        // Relative to the directory of alerts.xml.
        std::filesystem::path path = trim(ca.value());
        if (path.is_relative())
          path = std::filesystem::path(file).parent_path() / path;
        c.ca_file = path.string();
        std::error_code ec;
        if (!std::filesystem::is_regular_file(path, ec))
          error(c.pos, "channel '" + c.name + "': ca-file '" + c.ca_file + "' is not a file");
        else if (c.url.rfind("https://", 0) != 0)
          error(c.pos, "channel '" + c.name + "': ca-file applies to an https:// url only");
      }
    } else if (c.type == "command") {
      must_not({"to", "url", "template", "ca-file"});
      c.command = trim(child.attribute("command").value());
      if (c.command.empty())
        error(c.pos, "channel '" + c.name + "': a command channel needs 'command'");
    } else {
      error(c.pos, "channel '" + c.name + "': type '" + c.type
                     + "' is not mail, webhook or command");
    }
    result.channels.push_back(std::move(c));
  }
  return result;
}

alert_channels_result alert_channels_of(const expected<std::string>& text,
                                        const std::string& path) {
  if (text)
    return parse_alert_channels(*text, path);
  alert_channels_result result;
  std::error_code err;
  if (!path.empty() && std::filesystem::exists(path, err))
    result.diagnostics.push_back(
      diagnostic{diagnostic::severity::error, path, {1, 1}, text.error().message});
  return result;
}

alert_channels_result load_alert_channels(const std::string& path) {
  if (path.empty())
    return {};
  return alert_channels_of(read_file(path), path);
}

} // namespace cafflow
