#include "xml/link_edit.hpp"

#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>

#include <pugixml.hpp>

#include "util/files.hpp"
#include "util/strings.hpp"
#include "xml/db_links.hpp"
#include "xml/file_links.hpp"

namespace cafflow {

namespace {

namespace fs = std::filesystem;

/// One change at a time in this process: two requests must not both read
/// the old file and each write it without the other's link.
std::mutex link_edit_mutex;

const char* root_name(link_file_kind kind) {
  return kind == link_file_kind::db ? "db-links" : "file-links";
}

const char* link_word(link_file_kind kind) {
  return kind == link_file_kind::db ? "db link" : "file link";
}

link_edit_result edit_failure(int status, std::string message, std::string attribute = {}) {
  link_edit_result r;
  r.status = status;
  r.message = std::move(message);
  r.attribute = std::move(attribute);
  return r;
}

/// The errors and warnings the file's parser reports for `text`.
std::vector<diagnostic> link_file_diagnostics(link_file_kind kind, const std::string& text,
                                              const std::string& path) {
  return kind == link_file_kind::db ? parse_db_links(text, path).diagnostics
                                    : parse_file_links(text, path).diagnostics;
}

/// The messages of the errors, without their positions (which move when a
/// link is added or removed).
std::multiset<std::string> error_messages(const std::vector<diagnostic>& diagnostics) {
  std::multiset<std::string> errors;
  for (const auto& d : diagnostics)
    if (d.level == diagnostic::severity::error)
      errors.insert(d.message);
  return errors;
}

/// The file's text, or an empty document of its kind when it does not exist.
std::optional<std::string> read_link_file(const std::string& path, link_file_kind kind,
                                          std::string& error) {
  std::error_code err;
  if (!fs::exists(path, err))
    return "<" + std::string(root_name(kind)) + ">\n</" + root_name(kind) + ">\n";
  auto text = read_file(path);
  if (!text) {
    error = text.error().message;
    return std::nullopt;
  }
  return *text;
}

/// The <link> named `name`, or an empty node.
pugi::xml_node find_link_node(pugi::xml_node root, const std::string& name) {
  for (auto child : root.children("link"))
    if (trim(child.attribute("name").value()) == name)
      return child;
  return {};
}

/// The blank text before the first <link> (the file's indentation), or "\n  ".
std::string link_indent(pugi::xml_node root) {
  for (auto child : root.children("link")) {
    auto before = child.previous_sibling();
    if (before.type() == pugi::node_pcdata && trim(before.value()).empty())
      return before.value();
  }
  return "\n  ";
}

/// Parses the file for a change; the error says why it cannot be changed.
bool load_link_doc(pugi::xml_document& doc, const std::string& text, const std::string& path,
                   link_file_kind kind, std::string& error) {
  auto status =
    doc.load_buffer(text.data(), text.size(), pugi::parse_full | pugi::parse_ws_pcdata);
  if (!status) {
    error = path + " is not well-formed XML (" + status.description()
            + "); fix it by hand first";
    return false;
  }
  if (std::string(doc.document_element().name()) != root_name(kind)) {
    error = path + " has no <" + root_name(kind) + "> root element; fix it by hand first";
    return false;
  }
  return true;
}

/// The new text of the file: what stood before and after the root element
/// in `old_text` (declaration, comments, blank lines: pugixml drops the
/// blanks outside the root), with the edited root between.
std::string file_text(const std::string& old_text, const pugi::xml_document& doc,
                      link_file_kind kind) {
  auto root = doc.document_element();
  std::ostringstream body;
  root.print(body, "", pugi::format_raw);
  // offset_debug() is the offset of the element's name, after its '<'.
  auto name_at = root.offset_debug();
  auto start = name_at > 0 ? static_cast<std::size_t>(name_at - 1) : old_text.size();
  std::string prefix, suffix = "\n";
  if (start < old_text.size() && old_text[start] == '<') {
    prefix = old_text.substr(0, start);
    auto close = old_text.rfind("</" + std::string(root_name(kind)));
    auto end = close != std::string::npos ? old_text.find('>', close)
                                          : old_text.find("/>", start);
    if (end != std::string::npos)
      suffix = old_text.substr(end + (close != std::string::npos ? 1 : 2));
  }
  return prefix + body.str() + suffix;
}

/// Writes the edited document when it brings no new error.
link_edit_result commit_edit(const std::string& path, link_file_kind kind,
                             const std::string& old_text, const pugi::xml_document& doc,
                             const std::string& name) {
  auto text = file_text(old_text, doc, kind);
  auto before = error_messages(link_file_diagnostics(kind, old_text, path));
  auto diagnostics = link_file_diagnostics(kind, text, path);
  auto after = error_messages(diagnostics);
  std::vector<std::string> warnings;
  for (const auto& d : diagnostics) {
    if (d.level != diagnostic::severity::error) {
      warnings.push_back(d.message);
      continue;
    }
    // A new error: the parser names the attribute at fault.
    if (before.count(d.message) < after.count(d.message))
      return edit_failure(400, d.message, d.attribute);
  }
  // A new file is 0600: it may hold passwords; an existing one keeps its mode.
  if (auto replaced = replace_file(path, text); !replaced)
    return edit_failure(500, replaced.error().message);
  link_edit_result r;
  auto quoted = "'" + name + "'";
  for (const auto& w : warnings)
    if (w.find(quoted) != std::string::npos)
      r.warnings.push_back(w);
  return r;
}

/// Reads and parses the link file at `path` for an edit into `text` and
/// `doc`; the failure when it cannot be read (500) or parsed (409).
std::optional<link_edit_result> open_for_edit(const std::string& path, link_file_kind kind,
                                              std::string& text, pugi::xml_document& doc) {
  std::string error;
  auto read = read_link_file(path, kind, error);
  if (!read)
    return edit_failure(500, error);
  text = std::move(*read);
  if (!load_link_doc(doc, text, path, kind, error))
    return edit_failure(409, error);
  return std::nullopt;
}

} // namespace

link_edit_result put_link(const std::string& path, link_file_kind kind, const std::string& name,
                          const link_attributes& attributes,
                          const std::optional<std::map<std::string, std::string>>& properties,
                          bool must_exist, bool replace_existing) {
  std::lock_guard<std::mutex> guard(link_edit_mutex);
  if (path.empty())
    return edit_failure(501, std::string("no ") + link_word(kind) + "s file is configured");
  std::string old_text;
  pugi::xml_document doc;
  if (auto failure = open_for_edit(path, kind, old_text, doc))
    return std::move(*failure);
  auto root = doc.document_element();
  auto old = find_link_node(root, name);
  if (!old && must_exist)
    return edit_failure(404, std::string("no ") + link_word(kind) + " named '" + name + "' in "
                               + path + " (add it with action=add)",
                        "name");
  if (old && !replace_existing)
    return edit_failure(409, std::string("a ") + link_word(kind) + " named '" + name
                               + "' is already in " + path,
                        "name");
  pugi::xml_node link;
  if (old) {
    link = root.insert_child_after("link", old);
  } else {
    // Before the blank text that ends the root, with the file's indentation.
    auto indent = link_indent(root);
    auto last = root.last_child();
    if (last.type() == pugi::node_pcdata && trim(last.value()).empty()) {
      root.insert_child_before(pugi::node_pcdata, last).set_value(indent.c_str());
      link = root.insert_child_before("link", last);
    } else {
      root.append_child(pugi::node_pcdata).set_value(indent.c_str());
      link = root.append_child("link");
      root.append_child(pugi::node_pcdata).set_value("\n");
    }
  }
  link.append_attribute("name").set_value(name.c_str());
  for (const auto& [attr, value] : attributes) {
    if (value) {
      if (!value->empty())
        link.append_attribute(attr.c_str()).set_value(value->c_str());
    } else if (old && old.attribute(attr.c_str())) {
      link.append_attribute(attr.c_str()).set_value(old.attribute(attr.c_str()).value());
    }
  }
  // password-file / password-env of the old link stay unless a password is given.
  bool password_given = false;
  for (const auto& [attr, value] : attributes)
    password_given = password_given || (attr == "password" && value);
  if (old && !password_given)
    for (const char* a : {"password-file", "password-env"})
      if (old.attribute(a))
        link.append_attribute(a).set_value(old.attribute(a).value());
  if (kind == link_file_kind::db) {
    if (properties) {
      if (!properties->empty()) {
        auto props = link.append_child("properties");
        for (const auto& [k, v] : *properties) {
          auto p = props.append_child("property");
          p.append_attribute("name").set_value(k.c_str());
          p.text().set(v.c_str());
        }
      }
    } else if (old) {
      for (auto child : old.children())
        link.append_copy(child);
    }
  }
  bool replaced = static_cast<bool>(old);
  if (old)
    root.remove_child(old);
  auto r = commit_edit(path, kind, old_text, doc, name);
  r.replaced = replaced;
  return r;
}

link_edit_result remove_link(const std::string& path, link_file_kind kind,
                             const std::string& name) {
  std::lock_guard<std::mutex> guard(link_edit_mutex);
  if (path.empty())
    return edit_failure(501, std::string("no ") + link_word(kind) + "s file is configured");
  std::error_code err;
  if (!fs::exists(path, err))
    return edit_failure(404, std::string("no ") + link_word(kind) + " named '" + name + "': "
                               + path + " does not exist",
                        "name");
  std::string old_text;
  pugi::xml_document doc;
  if (auto failure = open_for_edit(path, kind, old_text, doc))
    return std::move(*failure);
  auto root = doc.document_element();
  auto link = find_link_node(root, name);
  if (!link)
    return edit_failure(404, std::string("no ") + link_word(kind) + " named '" + name + "' in "
                               + path,
                        "name");
  // Its line goes with it: the blank text before it.
  auto before = link.previous_sibling();
  if (before.type() == pugi::node_pcdata && trim(before.value()).empty())
    root.remove_child(before);
  root.remove_child(link);
  return commit_edit(path, kind, old_text, doc, name);
}

std::optional<std::string> list_links(const std::string& path, link_file_kind kind,
                                      const std::string& only, nlohmann::ordered_json& out) {
  out = nlohmann::ordered_json::array();
  std::error_code err;
  if (path.empty() || !fs::exists(path, err))
    return std::nullopt;
  auto text = read_file(path);
  if (!text)
    return text.error().message;
  pugi::xml_document doc;
  std::string error;
  if (!load_link_doc(doc, *text, path, kind, error))
    return error;
  for (auto link : doc.document_element().children("link")) {
    std::string name = trim(link.attribute("name").value());
    if (!only.empty() && name != only)
      continue;
    auto value = [&](const char* a) { return std::string(link.attribute(a).value()); };
    std::string password = link.attribute("password")        ? "value"
                           : link.attribute("password-file") ? "file"
                           : link.attribute("password-env")  ? "env"
                                                             : "";
    nlohmann::ordered_json item;
    if (kind == link_file_kind::db) {
      nlohmann::ordered_json props = nlohmann::ordered_json::object();
      for (auto p : link.child("properties").children("property"))
        props[p.attribute("name").value()] = p.attribute("value")
                                                ? std::string(p.attribute("value").value())
                                                : trim(p.text().get());
      item = {{"name", name},         {"dbtype", trim(value("type"))},
              {"jdbcUrl", trim(value("jdbc-url"))},
              {"username", value("username")}, {"desc", value("desc")},
              {"properties", props},  {"password", password}};
    } else {
      item = {{"name", name},         {"fstype", trim(value("type"))},
              {"host", trim(value("host"))}, {"port", trim(value("port"))},
              {"username", value("username")}, {"desc", value("desc")},
              {"password", password}};
    }
    out.push_back(std::move(item));
  }
  return std::nullopt;
}

} // namespace cafflow
