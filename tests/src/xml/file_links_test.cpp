#include "xml/file_links.hpp"

#include <doctest/doctest.h>

#include "fixtures.hpp"
#include "util/files.hpp"

using namespace cafflow;

namespace {

std::string diagnostics(const file_links_result& r) {
  std::string out;
  for (const auto& d : r.diagnostics)
    out += d.to_string() + "\n";
  return out;
}

} // namespace

TEST_SUITE_BEGIN("file_links");

TEST_CASE("file_links: akkaflow's file with LOCAL and SFTP and HDFS links") {
  // The shape of akkaflow 2.12.1's conf/file_links.xml.
  auto r = parse_file_links(
    "<file-links>\n"
    "  <link name=\"local\" type=\"LOCAL\" host=\"local\" port=\"-1\" username=\"root\" "
    "password=\"pw\" desc=\"local files\"/>\n"
    "  <link name=\"s1\" type=\"SFTP\" host=\"s1\" port=\"22\" username=\"root\" password=\"pw\"/>\n"
    "  <link name=\"hdfs\" type=\"HDFS\" host=\"s1\" port=\"8020\" username=\"hive\" "
    "password=\"hive\"/>\n"
    "  <link name=\"landing\" type=\"LOCAL\" host=\"local\" port=\"-1\" username=\"\" "
    "password=\"\" owner=\"ops\"/>\n"
    "</file-links>\n",
    "file_links.xml");
  CHECK(diagnostics(r)
        == "file_links.xml:3:3: error: file link 's1' is refused: type SFTP: cafflow's workers "
           "read and write their own file system only and have no SFTP client; mount the remote "
           "directory on the workers (sshfs, NFS) and use a LOCAL link, or copy the files in a "
           "script action\n"
           "file_links.xml:4:3: warning: file link 'hdfs' (HDFS) is read and written through "
           "the Hadoop client of the workers (hdfs.command in cafflow.ini)\n"
           "file_links.xml:5:3: warning: unknown attribute 'owner' on <link> is ignored, as "
           "akkaflow ignored it\n");
  CHECK(r.names() == std::set<std::string>{"local", "hdfs", "landing"});
  auto hdfs = r.resolve("hdfs");
  REQUIRE(hdfs);
  CHECK(hdfs->type == "HDFS");
  CHECK(hdfs->host == "s1");
  CHECK(hdfs->port == 8020);
  CHECK(hdfs->username == "hive");
  auto local = r.resolve("");
  REQUIRE(local);
  CHECK(local->name == "local");
  CHECK(local->desc == "local files");
  CHECK(local->pos.line == 2);
  auto landing = r.resolve(" landing ");
  REQUIRE(landing);
  CHECK(landing->type == "LOCAL");
  CHECK(landing->port == -1);
  auto sftp = r.resolve("s1");
  REQUIRE_FALSE(sftp);
  CHECK(sftp.error().message.find("file link 's1' cannot be used: type SFTP") == 0);
  auto typo = r.resolve("landin");
  REQUIRE_FALSE(typo);
  CHECK(typo.error().message == "unknown file link 'landin' (did you mean 'landing'?)");
  CHECK(r.resolve("elsewhere").error().message
        == "unknown file link 'elsewhere' (known: local, hdfs, landing)");
}

TEST_CASE("file_links: a missing file is the built-in local link") {
  test::temp_dir dir;
  auto r = load_file_links(dir.path() + "/file_links.xml");
  CHECK(r.diagnostics.empty());
  auto local = r.resolve("local");
  REQUIRE(local);
  CHECK(local->pos.line == 0);
  CHECK(r.names() == std::set<std::string>{"local"});
}

TEST_CASE("file_links: the text already read is parsed and a read error is reported once") {
  // The master's watcher reads the file once per scan for its hash and its links.
  test::temp_dir dir;
  auto path = dir.path() + "/file_links.xml";
  test::write_file(path, "<file-links><link name=\"nas\" type=\"LOCAL\"/></file-links>");
  // The text given is what counts, not what the file holds now.
  auto given = file_links_of(std::string("<file-links><link name=\"hdfs1\" type=\"HDFS\" "
                                         "host=\"nn\"/></file-links>"),
                             path);
  CHECK(given.names() == std::set<std::string>{"hdfs1", "local"});
  CHECK(load_file_links(path).names() == std::set<std::string>{"local", "nas"});
  // Could not be read: missing is the built-in link, another reason an error.
  auto missing = file_links_of(read_file(dir.path() + "/none.xml"), dir.path() + "/none.xml");
  CHECK(missing.diagnostics.empty());
  CHECK(missing.names() == std::set<std::string>{"local"});
  auto unreadable = file_links_of(make_error(ec::filesystem_error, "cannot read it"), path);
  CHECK(diagnostics(unreadable) == path + ":1:1: error: cannot read it\n");
  CHECK(unreadable.names() == std::set<std::string>{"local"});
}

TEST_CASE("file_links: bad definitions are refused with file and line") {
  auto r = parse_file_links("<file-links>\n<link type=\"LOCAL\"/>\n<link name=\"a\" "
                            "type=\"local\"/>\n<link name=\"b\" type=\"LOCAL\" port=\"x\"/>\n"
                            "<link name=\"b\" type=\"LOCAL\"/>\n<disk/>\n</file-links>",
                            "f.xml");
  CHECK(diagnostics(r)
        == "f.xml:2:1: error: <link> needs the attribute 'name'\n"
           "f.xml:3:1: error: file link 'a' is refused: unknown type 'local' (expected LOCAL or "
           "HDFS; akkaflow also knew SFTP)\n"
           "f.xml:4:1: error: file link 'b': port 'x' is not a port number (akkaflow wrote -1 "
           "for LOCAL)\n"
           "f.xml:5:1: error: file link 'b' is defined twice\n"
           "f.xml:6:1: error: unknown element <disk> in <file-links> (expected <link>)\n");
  CHECK(r.names() == std::set<std::string>{"local"});
  CHECK(parse_file_links("<db-links/>", "f.xml").diagnostics.front().message
        == "expected <file-links> as the root element, got <db-links>");
}

TEST_CASE("file_links: an error names the attribute at fault") {
  // Names that hold the words of other attributes: the attribute comes from
  // the parser, not from the text of the message.
  auto r = parse_file_links("<file-links>\n<link type=\"LOCAL\"/>\n"
                            "<link name=\"report\" type=\"HDFS\"/>\n"
                            "<link name=\"hostname\" type=\"LOCAL\" port=\"x\"/>\n"
                            "<link name=\"typeset\" type=\"FTP\"/>\n"
                            "<link name=\"report\" type=\"LOCAL\"/>\n"
                            "<link name=\"hdfs\" type=\"HDFS\" host=\"nn\"/>\n<disk/>\n"
                            "</file-links>",
                            "f.xml");
  REQUIRE(r.diagnostics.size() == 7);
  std::vector<std::pair<std::string, std::string>> got;
  for (const auto& d : r.diagnostics)
    got.emplace_back(d.level == diagnostic::severity::error ? "error" : "warning", d.attribute);
  CHECK(got == std::vector<std::pair<std::string, std::string>>{{"error", "name"},
                                                                {"error", "host"},
                                                                {"error", "port"},
                                                                {"error", "type"},
                                                                {"error", "name"},
                                                                {"warning", ""},
                                                                {"error", ""}});
  CHECK(r.diagnostics[1].message == "file link 'report': an HDFS link needs the namenode's 'host'");
}

TEST_CASE("file_links: the shipped conf/file_links.xml loads cleanly") {
  auto r = load_file_links(std::string(CAFFLOW_SOURCE_DIR) + "/conf/file_links.xml");
  CHECK(diagnostics(r) == "");
  CHECK(r.names() == std::set<std::string>{"local"});
}

TEST_SUITE_END();
