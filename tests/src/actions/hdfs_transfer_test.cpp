// HDFS ends of a transfer (akkaflow 2.8's type="HDFS", 2.8.7 ... 2.9's
// hdfs:// paths, 2.12's HDFS file links) and a file-monitor on an HDFS file
// link, run as a worker runs them.
//
// Real Hadoop is not packaged in Debian, so these tests put a stand-in
// `hdfs` script on the task's PATH: it records every argv (and
// HADOOP_USER_NAME) it is run with and acts on a local directory as if it
// were HDFS. What they check is the commands cafflow issues (hdfs dfs -get,
// -mkdir -p, -put -f, -ls, with -D fs.defaultFS of a file link) and what it
// does with their results and failures — not Hadoop itself.
#include <filesystem>

#include "action_harness.hpp"
#include "util/strings.hpp"

using namespace cafflow;
using namespace cafflow::test;

namespace {

/// A runner whose task PATH starts with a stand-in `hdfs` over <dir>/hdfs-root.
struct hdfs_runner : action_runner {
  hdfs_runner() {
    auto bin = dir / "bin";
    write_file(bin + "/hdfs", R"SH(#!/bin/sh
# Stand-in for Hadoop's hdfs client (tests only): records its argv, then acts
# on a local directory as HDFS.
root=')SH" + (dir / "hdfs-root") + R"SH('
echo "user=${HADOOP_USER_NAME:-} $*" >> ')SH" + (dir / "hdfs-calls") + R"SH('
[ "$1" = dfs ] || { echo "unknown command $1" >&2; exit 1; }
shift
[ "$1" = -D ] && shift 2
map() {
  case "$1" in
    hdfs://*) echo "$root/${1#hdfs://*/}" ;;
    /*) echo "$root$1" ;;
    *) echo "$root/user/${HADOOP_USER_NAME:-nobody}/$1" ;;
  esac
}
cmd=$1; shift
case "$cmd" in
  -get) src=$(map "$1")
        [ -f "$src" ] || { echo "get: \`$1': No such file or directory" >&2; exit 1; }
        [ -e "$2" ] && { echo "get: \`$2': File exists" >&2; exit 1; }
        cp "$src" "$2" ;;
  -mkdir) [ "$1" = -p ] && shift; mkdir -p "$(map "$1")" ;;
  -ls) found=0
       for f in $(map "$1"); do
         [ -e "$f" ] || continue
         found=1
         if [ -d "$f" ]; then kind=d; else kind=-; fi
         echo "${kind}rw-r--r--   3 etl supergroup $(wc -c < "$f" 2>/dev/null || echo 0) 2026-09-21 10:00 /${f#$root/}"
       done
       [ $found = 1 ] || { echo "ls: \`$1': No such file or directory" >&2; exit 1; } ;;
  -put) [ "$1" = -f ] && shift; dst=$(map "$2")
        [ -d "$(dirname "$dst")" ] || { echo "put: \`$2': No such file or directory" >&2; exit 1; }
        cp "$1" "$dst" ;;
  *) echo "-$cmd: Unknown command" >&2; exit 1 ;;
esac
)SH");
    std::filesystem::permissions(bin + "/hdfs", std::filesystem::perms::owner_all);
    env = {"PATH=" + bin + ":/usr/bin:/bin"};
    std::filesystem::create_directories(dir / "hdfs-root");
  }

  std::string calls() { return read_file(dir / "hdfs-calls"); }
};

} // namespace

TEST_SUITE_BEGIN("hdfs_transfer");

TEST_CASE("hdfs paths are fetched with dfs -get and written with dfs -put -f") {
  hdfs_runner r;
  write_file(r.dir / "hdfs-root/in/orders.txt", "1\tapple\n2\tpear\n");
  auto load = r.run(R"(<transfer><source type="FILE">hdfs://nn1:8020/in/orders.txt</source>
      <target type="DB" jdbc-url="jdbc:sqlite:w.db" table="orders"/></transfer>)");
  CAPTURE(load.log);
  REQUIRE(load.exit_code == 0);
  CHECK(sqlite_value(r.dir / "w.db", "SELECT group_concat(c2, ',') FROM orders") == "apple,pear");
  CHECK(r.calls().find("user= dfs -get hdfs://nn1:8020/in/orders.txt " + (r.dir / "work/i1/a.1/")
                       + "hdfs-source-orders.txt\n")
        != std::string::npos);
  auto dump = r.run(R"(<transfer><source type="DB" jdbc-url="jdbc:sqlite:w.db">SELECT c1, c2 FROM orders ORDER BY c1</source>
      <target type="FILE" path="hdfs://nn1:8020/out/day=${param:day}/orders.csv" delimited=","/></transfer>)",
                    {{"day", "2026-09-21"}});
  CAPTURE(dump.log);
  REQUIRE(dump.exit_code == 0);
  CHECK(read_file(r.dir / "hdfs-root/out/day=2026-09-21/orders.csv") == "1,apple\n2,pear\n");
  auto calls = r.calls();
  CAPTURE(calls);
  CHECK(calls.find("user= dfs -mkdir -p hdfs://nn1:8020/out/day=2026-09-21\n") != std::string::npos);
  CHECK(calls.find("user= dfs -put -f " + (r.dir / "work/i2/a.1/hdfs-target-orders.csv")
                   + " hdfs://nn1:8020/out/day=2026-09-21/orders.csv\n")
        != std::string::npos);
  CHECK(dump.log.find("hdfs: hdfs dfs -put -f") != std::string::npos);
}

TEST_CASE("an HDFS file link sets fs.defaultFS and the user for transfers and file-monitors") {
  hdfs_runner r;
  r.file_links = R"(<file-links><link name="hadoop" type="HDFS" host="nn1" port="8020" username="etl"/></file-links>)";
  // The link's user replaces the one the worker has.
  r.env.push_back("HADOOP_USER_NAME=worker");
  write_file(r.dir / "hdfs-root/user/etl/in.txt", "a|1\nb|2\n");
  auto out = r.run(R"(<transfer><source type="FILE" file-link="hadoop" delimited="|">in.txt</source>
      <target type="FILE" file-link="hadoop" path="/warehouse/copy.txt" delimited="|"/></transfer>)");
  CAPTURE(out.log);
  REQUIRE(out.exit_code == 0);
  CHECK(read_file(r.dir / "hdfs-root/warehouse/copy.txt") == "a|1\nb|2\n");
  auto calls = r.calls();
  CAPTURE(calls);
  CHECK(calls.find("user=etl dfs -D fs.defaultFS=hdfs://nn1:8020 -get in.txt ") != std::string::npos);
  CHECK(calls.find("user=etl dfs -D fs.defaultFS=hdfs://nn1:8020 -mkdir -p /warehouse\n")
        != std::string::npos);
  CHECK(calls.find("user=etl dfs -D fs.defaultFS=hdfs://nn1:8020 -put -f ") != std::string::npos);
  // akkaflow 2.8's type="HDFS" (an LFS end on HDFS): the path attribute.
  auto legacy = r.run(R"(<transfer><source type="HDFS" path="/warehouse/copy.txt" delimited="|"/>
      <target type="LFS" path="local.txt" delimited=","/></transfer>)");
  CAPTURE(legacy.log);
  REQUIRE(legacy.exit_code == 0);
  CHECK(read_file(r.dir / "local.txt") == "a,1\nb,2\n");
  // A file-monitor on an HDFS link lists the files with hdfs dfs -ls.
  const std::string monitor = R"(<file-monitor recheck-interval="0"><file file-link="hadoop" min-num="2" min-each-size="4">/warehouse/*.txt</file></file-monitor>)";
  CHECK(r.load_errors(monitor).find("warning: <file> is on HDFS") != std::string::npos);
  write_file(r.dir / "hdfs-root/warehouse/more.txt", "c|3\n");
  auto counted = r.run(monitor);
  CAPTURE(counted.log);
  CHECK(counted.exit_code == 0);
  CHECK(counted.log.find("matched /warehouse/copy.txt (8 bytes)") != std::string::npos);
  CHECK(counted.log.find("matched /warehouse/more.txt (4 bytes)") != std::string::npos);
  CHECK(r.calls().find("user=etl dfs -D fs.defaultFS=hdfs://nn1:8020 -ls /warehouse/*.txt\n")
        != std::string::npos);
  auto none = r.run(R"(<file-monitor recheck-interval="0"><file file-link="hadoop">/nowhere/*.csv</file></file-monitor>)");
  CAPTURE(none.log);
  CHECK(none.exit_code == 1);
  CHECK(none.result.error == "0 files match /nowhere/*.csv, min-num is 1");
}

TEST_CASE("a missing hdfs client or a failing hdfs command fails the attempt naming the command") {
  hdfs_runner r;
  const std::string action = R"(<transfer><source type="FILE">hdfs://nn1:8020/in/none.txt</source>
      <target type="LFS" path="x.txt"/></transfer>)";
  auto loaded = r.load_errors(action);
  CHECK(loaded.find("warning: <source> is on HDFS: the worker that runs it needs the Hadoop "
                    "client named by hdfs.command")
        != std::string::npos);
  auto missing_file = r.run(action);
  CAPTURE(missing_file.log);
  CHECK(missing_file.exit_code == 1);
  CHECK(missing_file.result.error.find("hdfs dfs -get hdfs://nn1:8020/in/none.txt ")
        != std::string::npos);
  CHECK(missing_file.result.error.find("failed (exit status 1): get: `hdfs://nn1:8020/in/none.txt': "
                                       "No such file or directory")
        != std::string::npos);
  // No Hadoop client on the worker: the attempt fails and says what to do.
  r.env = {"PATH=/usr/bin:/bin"};
  auto no_client = r.run(action);
  CAPTURE(no_client.log);
  CHECK(no_client.exit_code == 1);
  CHECK(no_client.result.error
        == "the Hadoop client 'hdfs' is not on this worker's PATH: install a Hadoop client on the "
           "worker, or set [hdfs] command in cafflow.ini to its path (hdfs.command)");
  // The command from the config, by path.
  r.site.hdfs_command = r.dir / "bin/hdfs";
  write_file(r.dir / "hdfs-root/in/none.txt", "x\n");
  auto by_path = r.run(action);
  CAPTURE(by_path.log);
  CHECK(by_path.exit_code == 0);
  CHECK(read_file(r.dir / "x.txt") == "x\n");
}

TEST_CASE("a file link is resolved by the worker when the attempt runs: also after a parse without file_links.xml") {
  hdfs_runner r;
  // The workflow is parsed without the file links (the master's parse of a
  // stored version for a rerun or after a restart); the worker has them.
  write_file(r.site.file_links, R"(<file-links><link name="hadoop" type="HDFS" host="nn1" port="8020" username="etl"/></file-links>)");
  write_file(r.dir / "hdfs-root/w/a.txt", "a|1\n");
  const std::string monitor = R"(<file-monitor recheck-interval="0"><file file-link="hadoop">/w/*.txt</file></file-monitor>)";
  auto listed = r.run(monitor);
  CAPTURE(listed.log);
  CHECK(listed.exit_code == 0);
  CHECK(listed.log.find("file link 'hadoop': HDFS hdfs://nn1:8020 as etl") != std::string::npos);
  CHECK(r.calls().find("user=etl dfs -D fs.defaultFS=hdfs://nn1:8020 -ls /w/*.txt\n") != std::string::npos);
  auto copied = r.run(R"(<transfer><source type="FILE" file-link="hadoop" delimited="|">/w/a.txt</source>
      <target type="FILE" path="local.txt" delimited=","/></transfer>)");
  CAPTURE(copied.log);
  REQUIRE(copied.exit_code == 0);
  CHECK(read_file(r.dir / "local.txt") == "a,1\n");
  CHECK(r.calls().find("user=etl dfs -D fs.defaultFS=hdfs://nn1:8020 -get /w/a.txt ") != std::string::npos);
  // The link as the worker defines it when the attempt runs.
  write_file(r.site.file_links, R"(<file-links><link name="hadoop" type="HDFS" host="nn2" username="etl2"/></file-links>)");
  auto moved = r.run(monitor);
  CAPTURE(moved.log);
  CHECK(moved.exit_code == 0);
  CHECK(r.calls().find("user=etl2 dfs -D fs.defaultFS=hdfs://nn2 -ls /w/*.txt\n") != std::string::npos);
  // A link the worker does not have fails the attempt naming it; it never
  // falls back to the worker's own disk.
  write_file(r.site.file_links, "<file-links/>");
  auto lost = r.run(monitor);
  CAPTURE(lost.log);
  CHECK(lost.exit_code == 1);
  CHECK(lost.result.error == "unknown file link 'hadoop' (known: local) in this worker's file links ("
                               + r.site.file_links + "): the workflow names it with file-link=\"hadoop\"");
}

TEST_CASE("file-link may be a parameter: expanded for the attempt and resolved by the worker") {
  hdfs_runner r;
  r.file_links = R"(<file-links><link name="hadoop" type="HDFS" host="nn1" port="8020" username="etl"/><link name="disk" type="LOCAL"/></file-links>)";
  write_file(r.dir / "hdfs-root/user/etl/w/a.txt", "a|1\n");
  write_file(r.dir / "w/b.txt", "b|2\n");
  const std::string monitor = R"(<file-monitor recheck-interval="0"><file file-link="${param:fs}">w/*.txt</file></file-monitor>)";
  CHECK(r.load_errors(monitor).find("error") == std::string::npos);
  auto on_hdfs = r.run(monitor, {{"fs", "hadoop"}});
  CAPTURE(on_hdfs.log);
  CHECK(on_hdfs.exit_code == 0);
  CHECK(r.calls().find("user=etl dfs -D fs.defaultFS=hdfs://nn1:8020 -ls w/*.txt\n") != std::string::npos);
  CHECK(on_hdfs.log.find("matched /user/etl/w/a.txt (4 bytes)") != std::string::npos);
  auto on_disk = r.run(monitor, {{"fs", "disk"}});
  CAPTURE(on_disk.log);
  CHECK(on_disk.exit_code == 0);
  CHECK(on_disk.log.find("matched " + (r.dir / "w/b.txt") + " (4 bytes)") != std::string::npos);
  auto unknown = r.run(monitor, {{"fs", "nope"}});
  CHECK(unknown.exit_code == 1);
  CHECK(unknown.result.error.find("unknown file link 'nope'") == 0);
}
