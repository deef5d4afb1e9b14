#include "xml/file_links.hpp"

#include <algorithm>
#include <filesystem>

#include <pugixml.hpp>

#include "error.hpp"
#include "util/files.hpp"
#include "util/strings.hpp"
#include "xml/positions.hpp"

namespace cafflow {

namespace {

file_link builtin_local() {
  file_link link;
  link.name = default_file_link;
  link.host = "local";
  link.desc = "this worker's file system (built in)";
  return link;
}

/// Why cafflow cannot use a file system type.
std::string refusal(const std::string& type) {
  if (type == "SFTP")
    return "type SFTP: cafflow's workers read and write their own file system only and have no "
           "SFTP client; mount the remote directory on the workers (sshfs, NFS) and use a LOCAL "
           "link, or copy the files in a script action";
  return "unknown type '" + type + "' (expected LOCAL or HDFS; akkaflow also knew SFTP)";
}

} // namespace

std::set<std::string> file_links_result::names() const {
  std::set<std::string> result;
  for (const auto& link : links)
    result.insert(link.name);
  return result;
}

expected<file_link> file_links_result::resolve(const std::string& wanted) const {
  auto name = trim(wanted).empty() ? std::string(default_file_link) : trim(wanted);
  for (const auto& link : links)
    if (link.name == name)
      return link;
  for (const auto& [refused_name, why] : refused)
    if (refused_name == name)
      return make_error(ec::invalid_argument,
                        "file link '" + name + "' cannot be used: " + why);
  std::vector<std::string> known;
  for (const auto& link : links)
    known.push_back(link.name);
  auto hint = did_you_mean(name, known);
  return make_error(ec::invalid_argument,
                    "unknown file link '" + name + "'"
                      + (hint.empty() ? " (known: " + join(known, ", ") + ")"
                                      : " (did you mean '" + hint + "'?)"));
}

hdfs_location hdfs_location_of(const file_link& link) {
  hdfs_location where;
  where.default_fs =
    "hdfs://" + link.host + (link.port > 0 ? ":" + std::to_string(link.port) : "");
  where.user = link.username;
  return where;
}

file_links_result parse_file_links(const std::string& xml, const std::string& file) {
  file_links_result result;
  xml_positions positions(xml);
  auto error = [&](source_pos pos, std::string msg, std::string attribute = {}) {
    result.diagnostics.push_back(
      diagnostic{diagnostic::severity::error, file, pos, std::move(msg), std::move(attribute)});
  };
  auto warning = [&](source_pos pos, std::string msg) {
    result.diagnostics.push_back(
      diagnostic{diagnostic::severity::warning, file, pos, std::move(msg)});
  };
  auto finish = [&] {
    bool has_local = std::any_of(result.links.begin(), result.links.end(),
                                 [](const file_link& l) { return l.name == default_file_link; });
    bool refused_local =
      std::any_of(result.refused.begin(), result.refused.end(),
                  [](const auto& r) { return r.first == default_file_link; });
    if (!has_local && !refused_local)
      result.links.insert(result.links.begin(), builtin_local());
  };
  pugi::xml_document doc;
  auto status = doc.load_buffer(xml.data(), xml.size());
  if (!status) {
    error(positions.at(status.offset), std::string("malformed XML: ") + status.description());
    finish();
    return result;
  }
  auto root = doc.document_element();
  if (std::string(root.name()) != "file-links") {
    error(positions.of(root), "expected <file-links> as the root element, got <"
                          + std::string(root.name()) + ">");
    finish();
    return result;
  }
  std::set<std::string> seen;
  static const std::vector<std::string> known{"name",     "type",     "host", "port",
                                              "username", "password", "desc"};
  for (auto child : root.children()) {
    if (child.type() != pugi::node_element)
      continue;
    if (std::string(child.name()) != "link") {
      error(positions.of(child), "unknown element <" + std::string(child.name())
                             + "> in <file-links> (expected <link>)");
      continue;
    }
    file_link link;
    link.pos = positions.of(child);
    for (auto attr : child.attributes()) {
      std::string name = attr.name();
      if (std::find(known.begin(), known.end(), name) != known.end())
        continue;
      auto hint = did_you_mean(name, known);
      // akkaflow read only the attributes it knew.
      warning(link.pos, "unknown attribute '" + name + "' on <link> is ignored, as akkaflow "
                          "ignored it" + (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
    }
    link.name = trim(child.attribute("name").value());
    link.type = trim(child.attribute("type").value());
    link.host = trim(child.attribute("host").value());
    link.username = child.attribute("username").value();
    link.password = child.attribute("password").value();
    link.desc = child.attribute("desc").value();
    if (link.name.empty()) {
      error(link.pos, "<link> needs the attribute 'name'", "name");
      continue;
    }
    if (!seen.insert(link.name).second) {
      error(link.pos, "file link '" + link.name + "' is defined twice", "name");
      continue;
    }
    // akkaflow: FileSystemType.withName (exact, upper case), port.toInt.
    if (link.type != "LOCAL" && link.type != "HDFS") {
      auto why = link.type.empty() ? std::string("no 'type' (expected LOCAL or HDFS)")
                                   : refusal(link.type);
      error(link.pos, "file link '" + link.name + "' is refused: " + why, "type");
      result.refused.emplace_back(link.name, why);
      continue;
    }
    auto port_text = trim(child.attribute("port").value());
    long long port = -1;
    if (!port_text.empty() && (!parse_int(port_text, port) || port < -1 || port > 65535)) {
      auto why = "port '" + port_text + "' is not a port number (akkaflow wrote -1 for LOCAL)";
      error(link.pos, "file link '" + link.name + "': " + why, "port");
      result.refused.emplace_back(link.name, why);
      continue;
    }
    link.port = static_cast<int>(port);
    if (link.type == "HDFS") {
      if (link.host.empty()) {
        auto why = std::string("an HDFS link needs the namenode's 'host'");
        error(link.pos, "file link '" + link.name + "': " + why, "host");
        result.refused.emplace_back(link.name, why);
        continue;
      }
      warning(link.pos, "file link '" + link.name + "' (HDFS) is read and written through the "
                        "Hadoop client of the workers (hdfs.command in cafflow.ini)");
    }
    result.links.push_back(std::move(link));
  }
  finish();
  return result;
}

file_links_result file_links_of(const expected<std::string>& text, const std::string& path) {
  if (text)
    return parse_file_links(*text, path);
  auto result = parse_file_links("<file-links/>", path);
  std::error_code err;
  if (!path.empty() && std::filesystem::exists(path, err))
    result.diagnostics.push_back(
      diagnostic{diagnostic::severity::error, path, {1, 1}, text.error().message});
  return result;
}

file_links_result load_file_links(const std::string& path) {
  if (path.empty())
    return parse_file_links("<file-links/>", path);
  return file_links_of(read_file(path), path);
}

} // namespace cafflow
