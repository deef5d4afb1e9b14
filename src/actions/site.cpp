// What the worker writes into an exec kind's spec file beside the kind's own
// spec, and where cafflow-exec is.
#include <filesystem>

#include "actions/exec.hpp"

namespace cafflow {

namespace fs = std::filesystem;

nlohmann::json site_to_json(const task_site& site) {
  const auto& m = site.mail;
  return {{"home", site.home},
          {"db_links", site.db_links},
          {"file_links", site.file_links},
          {"odbc", {{"oracle_driver", site.odbc_oracle_driver},
                    {"hive_driver", site.odbc_hive_driver}}},
          {"hdfs_command", site.hdfs_command},
          {"mail",
           {{"server", m.server},
            {"from", m.from},
            {"user", m.user},
            {"password", m.password},
            {"password_file", m.password_file},
            {"security", m.security},
            {"timeout_s", m.timeout_s},
            {"ca_file", m.ca_file},
            {"eml_dir", m.eml_dir}}}};
}

task_site site_from_json(const nlohmann::json& doc) {
  task_site site;
  site.home = doc.value("home", "");
  site.db_links = doc.value("db_links", "");
  site.file_links = doc.value("file_links", "");
  if (doc.contains("odbc") && doc["odbc"].is_object()) {
    site.odbc_oracle_driver = doc["odbc"].value("oracle_driver", "");
    site.odbc_hive_driver = doc["odbc"].value("hive_driver", "");
  }
  site.hdfs_command = doc.value("hdfs_command", "");
  if (doc.contains("mail")) {
    const auto& m = doc["mail"];
    site.mail.server = m.value("server", "");
    site.mail.from = m.value("from", "");
    site.mail.user = m.value("user", "");
    site.mail.password = m.value("password", "");
    site.mail.password_file = m.value("password_file", "");
    site.mail.security = m.value("security", "none");
    site.mail.timeout_s = m.value("timeout_s", 30);
    site.mail.ca_file = m.value("ca_file", "");
    site.mail.eml_dir = m.value("eml_dir", "");
  }
  return site;
}

std::string default_exec_program() {
  std::error_code err;
  auto self = fs::read_symlink("/proc/self/exe", err);
  if (err)
    return "cafflow-exec";
  return (self.parent_path() / "cafflow-exec").string();
}

} // namespace cafflow
