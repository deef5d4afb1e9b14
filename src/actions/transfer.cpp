// <transfer>: copies rows DB->DB, DB->FILE or FILE->DB, streamed in batches
// (memory does not grow with the row count): a query or a table as source,
// delimited text (RFC 4180 quoting, optional header, UTF-8 or ISO-8859-1) on
// the file side; a missing target table is created from the source columns,
// with types mapped per dialect (src/db/dialect.hpp: the statements' text);
// is-pre-truncate, <pre> and <after> run in the load's transaction (Hive,
// without transactions, empties the table with TRUNCATE TABLE). Progress
// (rows, rows/s) goes to the task log every few seconds. <transfer><script>
// runs the script like a <script> action.
// A FILE target's <pre> and <after> (akkaflow 2.9+) are scripts run before
// and after the file is written; as in akkaflow, one that fails is logged and
// the transfer goes on. akkaflow 2.8's type="LFS" target appends to the file.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cstdlib>

#include <Poco/Data/MetaColumn.h>
#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Statement.h>
#include <Poco/DateTime.h>
#include <Poco/DateTimeFormatter.h>

#include "actions/exec.hpp"
#include "actions/kinds.hpp"
#include "db/connection.hpp"
#include "db/csv.hpp"
#include "db/dialect.hpp"
#include "defaults.hpp"
#include "util/strings.hpp"

#ifdef CAFFLOW_EXEC
#include <Poco/Data/PostgreSQL/SessionImpl.h>
#include <libpq-fe.h>
#endif

namespace cafflow {

namespace {

#ifdef CAFFLOW_EXEC

using Poco::Data::MetaColumn;
using clock = std::chrono::steady_clock;

/// Where rows go (a table or a file).
class row_sink {
public:
  virtual ~row_sink() = default;
  virtual void begin(const std::vector<load_column>& columns) = 0;
  virtual void write(const std::vector<csv_record>& rows) = 0;
  virtual void finish() = 0;
  virtual void abort() = 0;
};

std::string neutral_type(MetaColumn::ColumnDataType t) {
  switch (t) {
    case MetaColumn::FDT_BOOL:
    case MetaColumn::FDT_INT8:
    case MetaColumn::FDT_UINT8:
    case MetaColumn::FDT_INT16:
    case MetaColumn::FDT_UINT16:
    case MetaColumn::FDT_INT32:
    case MetaColumn::FDT_UINT32:
    case MetaColumn::FDT_INT64:
    case MetaColumn::FDT_UINT64: return "integer";
    case MetaColumn::FDT_FLOAT:
    case MetaColumn::FDT_DOUBLE: return "real";
    case MetaColumn::FDT_DATE: return "date";
    case MetaColumn::FDT_TIME: return "time";
    case MetaColumn::FDT_TIMESTAMP: return "timestamp";
    case MetaColumn::FDT_BLOB: return "blob";
    default: return "text";
  }
}

/// A value of a record set as text (dates as SQL writes them).
csv_field field_of(Poco::Data::RecordSet& rs, std::size_t col, std::size_t row,
                   MetaColumn::ColumnDataType type) {
  if (rs.isNull(col, row))
    return csv_field{"", true};
  const auto& v = rs.value(col, row);
  if (v.isEmpty())
    return csv_field{"", true};
  if (type == MetaColumn::FDT_TIMESTAMP)
    return csv_field{Poco::DateTimeFormatter::format(v.convert<Poco::DateTime>(),
                                                     "%Y-%m-%d %H:%M:%S"),
                     false};
  if (type == MetaColumn::FDT_DATE)
    return csv_field{Poco::DateTimeFormatter::format(v.convert<Poco::DateTime>(), "%Y-%m-%d"),
                     false};
  return csv_field{v.convert<std::string>(), false};
}

/// Counts rows and says how fast, every few seconds.
class progress {
public:
  explicit progress(const exec_context& ctx) : ctx_(ctx) {}
  void add(std::size_t rows) {
    rows_ += rows;
    auto now = clock::now();
    if (now - last_ >= std::chrono::seconds(defaults::actions::progress_interval_s)) {
      last_ = now;
      ctx_.log(line());
    }
  }
  std::string line() const {
    auto s = seconds();
    return std::to_string(rows_) + " rows, "
           + std::to_string(static_cast<long long>(s > 0 ? rows_ / s : 0)) + " rows/s";
  }
  double seconds() const {
    return std::chrono::duration<double>(clock::now() - start_).count();
  }
  std::size_t rows() const { return rows_; }

private:
  const exec_context& ctx_;
  std::size_t rows_ = 0;
  clock::time_point start_ = clock::now();
  clock::time_point last_ = clock::now();
};

// -- sinks ----------------------------------------------------------------------------

class table_sink : public row_sink {
public:
  table_sink(exec_context& ctx, db_connection& db, const nlohmann::json& target)
    : ctx_(ctx), db_(db), target_(target), table_(target.at("table").get<std::string>()) {}

  void begin(const std::vector<load_column>& columns) override {
    columns_ = columns;
    db_.begin();
    if (auto pre = target_.value("pre", std::string{}); !trim(pre).empty())
      run_statements(ctx_, db_, pre, "pre: ");
    // After <pre>, which may create it.
    if (!table_exists()) {
      auto ddl = create_table_sql(db_.type(), table_, columns);
      ctx_.log("creating " + ddl);
      target_statement(ddl, "creating " + table_);
    }
    if (target_.value("is_pre_truncate", false)) {
      // DELETE in the load's transaction; Hive's TRUNCATE TABLE is not undone.
      auto empty = empty_table_sql(db_.type(), table_);
      ctx_.log("emptying " + table_ + ": " + empty);
      target_statement(empty, "emptying " + table_);
    }
    insert_ = insert_prefix_sql(db_.type(), table_, columns);
    copy_ = copy_from_stdin_sql(table_, columns);
  }

  void write(const std::vector<csv_record>& rows) override {
    if (db_.type() == "POSTGRESQL") {
      copy_rows(rows);
      return;
    }
    // Oracle (before 23c) takes one row per INSERT ... VALUES.
    bool one_per_row = db_.type() == "ORACLE";
    std::string sql = insert_;
    bool first = true;
    for (const auto& row : rows) {
      if (one_per_row && !first) {
        flush(sql);
        sql = insert_;
        first = true;
      }
      sql += first ? "(" : ", (";
      first = false;
      for (std::size_t i = 0; i < row.size(); ++i) {
        if (i)
          sql += ", ";
        sql += row[i].null ? "NULL" : db_.quote_literal(row[i].text);
      }
      sql += ")";
      if (sql.size() > (4u << 20)) { // keep statements well below max_allowed_packet
        flush(sql);
        sql = insert_;
        first = true;
      }
    }
    if (!first)
      flush(sql);
  }

  void finish() override {
    if (auto after = target_.value("after", std::string{}); !trim(after).empty())
      run_statements(ctx_, db_, after, "after: ");
    db_.commit();
  }

  void abort() override { db_.rollback(); }

private:
  /// PostgreSQL: the rows as CSV through COPY FROM STDIN (libpq), inside the
  /// load's transaction — an INSERT per batch is 15 times slower there.
  void copy_rows(const std::vector<csv_record>& rows) {
    std::ostringstream csv;
    for (const auto& row : rows)
      write_csv_record(csv, row, ",");
    auto data = csv.str();
    auto& handle =
      static_cast<Poco::Data::PostgreSQL::SessionImpl*>(db_.session().impl())->handle();
    PGconn* conn = handle;
    ctx_.cancel->set_hook(db_.canceller());
    auto fail = [&](const std::string& why) {
      ctx_.cancel->clear_hook();
      ctx_.cancel->check();
      throw std::runtime_error("loading " + table_ + " (COPY) failed: " + why);
    };
    PGresult* started = PQexec(conn, copy_.c_str());
    bool ok = PQresultStatus(started) == PGRES_COPY_IN;
    std::string why = ok ? "" : PQresultErrorMessage(started);
    PQclear(started);
    if (!ok)
      fail(trim(why));
    if (PQputCopyData(conn, data.data(), static_cast<int>(data.size())) != 1
        || PQputCopyEnd(conn, nullptr) != 1)
      fail(trim(PQerrorMessage(conn)));
    std::string error;
    while (PGresult* result = PQgetResult(conn)) {
      if (PQresultStatus(result) != PGRES_COMMAND_OK && error.empty())
        error = PQresultErrorMessage(result);
      PQclear(result);
    }
    if (!error.empty())
      fail(trim(error));
    ctx_.cancel->clear_hook();
  }

  void target_statement(const std::string& sql, const std::string& what) {
    try {
      db_.execute(sql);
    } catch (const std::exception& e) {
      throw std::runtime_error(what + " failed: " + db_error_text(e));
    }
  }

  void flush(const std::string& sql) {
    ctx_.cancel->set_hook(db_.canceller());
    try {
      db_.execute(sql);
    } catch (const std::exception& e) {
      ctx_.cancel->clear_hook();
      ctx_.cancel->check();
      throw std::runtime_error("inserting into " + table_ + " failed: " + db_error_text(e));
    }
    ctx_.cancel->clear_hook();
  }

  bool table_exists() {
    try {
      Poco::Data::Statement s(db_.session());
      const auto& t = db_.type();
      auto dot = table_.find('.');
      auto name = dot == std::string::npos ? table_ : table_.substr(dot + 1);
      auto schema = dot == std::string::npos ? std::string{} : table_.substr(0, dot);
      Poco::Int64 count = 0;
      if (t == "SQLITE")
        s << "SELECT COUNT(*) FROM sqlite_master WHERE type IN ('table', 'view') AND name = "
               + db_.quote_literal(name),
          Poco::Data::Keywords::into(count);
      else if (t == "MYSQL")
        s << "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = "
               + (schema.empty() ? "DATABASE()" : db_.quote_literal(schema))
               + " AND TABLE_NAME = " + db_.quote_literal(name),
          Poco::Data::Keywords::into(count);
      else if (t == "POSTGRESQL")
        s << "SELECT COUNT(*) FROM pg_catalog.pg_tables WHERE tablename = "
               + db_.quote_literal(name) + " AND schemaname = "
               + (schema.empty() ? "current_schema()" : db_.quote_literal(schema)),
          Poco::Data::Keywords::into(count);
      else
        s << "SELECT * FROM " + table_ + " WHERE 1 = 0";
      s.execute();
      return db_.via_odbc() || count > 0;
    } catch (const std::exception&) {
      return false;
    }
  }

  exec_context& ctx_;
  db_connection& db_;
  nlohmann::json target_;
  std::string table_;
  std::vector<load_column> columns_;
  std::string insert_;
  std::string copy_;
};

/// A FILE target's <pre> or <after>: a script run in the work directory (its
/// #! line, else bash), its output in the task log. Like akkaflow, a failure
/// is logged and the transfer goes on.
void run_file_hook(exec_context& ctx, const std::string& code, const std::string& what) {
  if (trim(code).empty())
    return;
  auto script = (std::filesystem::path(ctx.work_dir) / (what + ".script")).string();
  {
    std::ofstream out(script, std::ios::binary | std::ios::trunc);
    out << code;
    if (!out)
      throw std::runtime_error("cannot write " + script);
  }
  ::chmod(script.c_str(), 0700);
  ctx.log(what + ": running the target's <" + what + "> script");
  auto argv = starts_with(code, "#!") ? std::vector<std::string>{script}
                                      : std::vector<std::string>{"bash", script};
  auto done = run_logged(ctx, argv, {}, what + ": ");
  if (done.status.exit_code != 0)
    ctx.log("WARN " + what + ": the script exited with status "
            + std::to_string(done.status.exit_code) + "; the transfer goes on, as in akkaflow");
}

class file_sink : public row_sink {
public:
  file_sink(exec_context& ctx, const nlohmann::json& target)
    : path_(resolve_worker_path(ctx, target.at("path").get<std::string>())),
      delimiter_(target.value("delimited", std::string("\t"))),
      header_(target.value("header", false)),
      latin1_(target.value("encoding", std::string("UTF-8")) == "ISO-8859-1"),
      append_(target.value("append", false)) {
    // Written beside the target and renamed at the end: nobody sees half a file.
    temp_ = path_ + ".part";
  }

  void begin(const std::vector<load_column>& columns) override {
    std::error_code err;
    std::filesystem::create_directories(std::filesystem::path(path_).parent_path(), err);
    if (append_ && std::filesystem::exists(path_, err)) {
      // akkaflow 2.8 (type="LFS"): the rows go after what the file holds.
      std::filesystem::copy_file(path_, temp_, std::filesystem::copy_options::overwrite_existing,
                                 err);
      if (err)
        throw std::runtime_error("cannot copy " + path_ + " to append to it: " + err.message());
      out_.open(temp_, std::ios::binary | std::ios::app);
    } else {
      out_.open(temp_, std::ios::binary | std::ios::trunc);
    }
    if (!out_)
      throw std::runtime_error("cannot write " + temp_);
    if (header_) {
      csv_record names;
      for (const auto& c : columns)
        names.push_back(csv_field{c.name, false});
      put(names);
    }
  }

  void write(const std::vector<csv_record>& rows) override {
    for (const auto& row : rows)
      put(row);
    if (!out_)
      throw std::runtime_error("cannot write " + temp_ + " (disk full?)");
  }

  void finish() override {
    out_.close();
    if (!out_)
      throw std::runtime_error("cannot write " + temp_);
    std::error_code err;
    std::filesystem::rename(temp_, path_, err);
    if (err)
      throw std::runtime_error("cannot rename " + temp_ + " to " + path_ + ": " + err.message());
  }

  void abort() override {
    out_.close();
    std::error_code err;
    std::filesystem::remove(temp_, err);
  }

private:
  void put(csv_record row) {
    if (latin1_)
      for (auto& f : row)
        f.text = utf8_to_latin1(f.text);
    write_csv_record(out_, row, delimiter_);
  }

  std::string path_;
  std::string temp_;
  std::string delimiter_;
  bool header_;
  bool latin1_;
  bool append_;
  std::ofstream out_;
};

// -- sources ----------------------------------------------------------------------------

/// The rows of a query (or a table), batch by batch: PostgreSQL through a
/// cursor (libpq would hold the whole result), the others through
/// Poco::Data's limit, which fetches as it goes.
void read_db(exec_context& ctx, db_connection& db, const std::string& source, row_sink& sink,
             progress& done) {
  auto query = source.find_first_of(" \t\r\n") == std::string::npos ? "SELECT * FROM " + source
                                                                     : source;
  const auto batch = static_cast<std::size_t>(defaults::actions::batch_rows);
  bool pg = db.type() == "POSTGRESQL";
  auto hook = [&] { ctx.cancel->set_hook(db.canceller()); };
  try {
    if (pg) {
      db.begin();
      db.execute("DECLARE cafflow_transfer NO SCROLL CURSOR FOR " + query);
    }
    bool started = false;
    std::vector<MetaColumn::ColumnDataType> types;
    // One batch of rows: to the sink; the first also says the columns.
    auto take = [&](Poco::Data::RecordSet& rs) {
      if (!started) {
        std::vector<load_column> columns;
        for (std::size_t c = 0; c < rs.columnCount(); ++c) {
          types.push_back(rs.columnType(c));
          columns.push_back(load_column{rs.columnName(c), neutral_type(rs.columnType(c))});
        }
        sink.begin(columns);
        started = true;
      }
      std::vector<csv_record> rows;
      rows.reserve(rs.rowCount());
      for (std::size_t r = 0; r < rs.rowCount(); ++r) {
        csv_record row;
        row.reserve(types.size());
        for (std::size_t c = 0; c < types.size(); ++c)
          row.push_back(field_of(rs, c, r, types[c]));
        rows.push_back(std::move(row));
      }
      if (!rows.empty())
        sink.write(rows);
      done.add(rows.size());
      return rs.rowCount();
    };
    if (pg) {
      while (true) {
        ctx.cancel->check();
        Poco::Data::Statement fetch(db.session());
        fetch << "FETCH FORWARD " + std::to_string(batch) + " FROM cafflow_transfer";
        hook();
        fetch.execute();
        ctx.cancel->clear_hook();
        Poco::Data::RecordSet rs(fetch);
        if (take(rs) < batch)
          break;
      }
    } else {
      Poco::Data::Statement select(db.session());
      select << query, Poco::Data::Keywords::limit(batch);
      do {
        ctx.cancel->check();
        hook();
        select.execute();
        ctx.cancel->clear_hook();
        Poco::Data::RecordSet rs(select);
        take(rs);
      } while (!select.done());
    }
    if (pg) {
      db.execute("CLOSE cafflow_transfer");
      db.commit();
    }
  } catch (const cancelled_error&) {
    throw;
  } catch (const std::runtime_error&) {
    throw;
  } catch (const std::exception& e) {
    ctx.cancel->clear_hook();
    ctx.cancel->check();
    throw std::runtime_error("reading the source failed: " + db_error_text(e));
  }
}

void read_file_source(exec_context& ctx, const nlohmann::json& source, row_sink& sink,
                      progress& done) {
  auto path = resolve_worker_path(ctx, source.at("content").get<std::string>());
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw std::runtime_error("cannot read the source file " + path + ": no such file or not "
                                                                     "readable");
  bool latin1 = source.value("encoding", std::string("UTF-8")) == "ISO-8859-1";
  csv_reader reader(in, source.value("delimited", std::string("\t")));
  const auto batch = static_cast<std::size_t>(defaults::actions::batch_rows);
  std::vector<csv_record> rows;
  std::size_t width = 0;
  bool started = false;
  auto start = [&](const csv_record& first, bool is_header) {
    std::vector<load_column> columns;
    for (std::size_t i = 0; i < first.size(); ++i)
      columns.push_back(load_column{is_header ? first[i].text : "c" + std::to_string(i + 1), "text"});
    width = columns.size();
    sink.begin(columns);
    started = true;
  };
  try {
    while (auto record = reader.next()) {
      if (latin1)
        for (auto& f : *record)
          f.text = latin1_to_utf8(f.text);
      if (!started) {
        bool header = source.value("header", false);
        start(*record, header);
        if (header)
          continue;
      }
      if (record->size() != width)
        throw std::runtime_error(path + ":" + std::to_string(reader.line()) + ": the row has "
                                 + std::to_string(record->size()) + " fields, the "
                                 + (source.value("header", false) ? "header" : "first row")
                                 + " has " + std::to_string(width));
      rows.push_back(std::move(*record));
      if (rows.size() == batch) {
        ctx.cancel->check();
        sink.write(rows);
        done.add(rows.size());
        rows.clear();
      }
    }
  } catch (const std::runtime_error& e) {
    std::string what = e.what();
    if (starts_with(what, "line "))
      throw std::runtime_error(path + ":" + what.substr(5));
    throw;
  }
  if (!started)
    throw std::runtime_error("the source file " + path + " is empty");
  if (!rows.empty()) {
    sink.write(rows);
    done.add(rows.size());
  }
}

// -- HDFS ends ---------------------------------------------------------------------

/// A file of the work directory for an HDFS end's local copy.
std::string hdfs_local_copy(const exec_context& ctx, const std::string& hdfs_path,
                            const std::string& what) {
  auto name = std::filesystem::path(hdfs_path).filename().string();
  return (std::filesystem::path(ctx.work_dir) / ("hdfs-" + what + "-" + (name.empty() ? "data" : name)))
    .string();
}

#endif // CAFFLOW_EXEC

#ifndef CAFFLOW_EXEC

nlohmann::json endpoint_json(const transfer_endpoint& e) {
  return {{"type", e.type},         {"db_link", e.db_link},   {"content", e.content},
          {"delimited", e.delimited}, {"header", e.header},     {"encoding", e.encoding},
          {"table", e.table},       {"path", e.path},         {"is_pre_truncate", e.is_pre_truncate},
          {"pre", e.pre},           {"after", e.after},       {"append", e.append},
          {"inline_link", inline_link_json(e.inline_link)},
          {"hdfs", e.hdfs ? nlohmann::json{{"default_fs", e.hdfs->default_fs},
                                           {"user", e.hdfs->user}}
                          : nlohmann::json(nullptr)},
          {"file_link", e.file_link}};
}

expected<transfer_endpoint> expand_endpoint(const attempt_context& ctx, transfer_endpoint e) {
  for (auto* text :
       {&e.db_link, &e.content, &e.table, &e.path, &e.pre, &e.after, &e.file_link}) {
    auto expanded = expand_for(ctx, *text);
    if (!expanded)
      return expanded.error();
    *text = std::move(*expanded);
  }
  return e;
}

#endif // !CAFFLOW_EXEC

} // namespace

#ifndef CAFFLOW_EXEC

action_kind transfer_kind() {
  action_kind kind;
  kind.name = "transfer";
  kind.prepare = [](const action_body& body, const attempt_context& ctx,
                    attempt_spec& spec) -> expected<void> {
    const auto& t = body_as<transfer_action>(body);
    if (!t.script.empty()) {
      auto code = expand_for(ctx, t.script);
      if (!code)
        return code.error();
      spec.payload = nlohmann::json{{"script", *code}}.dump();
      return {};
    }
    auto source = expand_endpoint(ctx, t.source);
    if (!source)
      return source.error();
    auto target = expand_endpoint(ctx, t.target);
    if (!target)
      return target.error();
    spec.payload =
      nlohmann::json{{"source", endpoint_json(*source)}, {"target", endpoint_json(*target)}}.dump();
    return {};
  };
  kind.command = [](const attempt_spec& spec, const std::string& work_dir,
                    const task_site& site) -> expected<std::vector<std::string>> {
    // <transfer><script>: a script like any other.
    auto doc = nlohmann::json::parse(spec.payload, nullptr, false);
    if (doc.is_object() && doc.contains("script"))
      return script_command(doc["script"].get<std::string>(), "", work_dir);
    return exec_command(spec, work_dir, site);
  };
  kind.exec = true;
  kind.check = [](const action_body& body, const kind_check_context& ctx) {
    const auto& t = body_as<transfer_action>(body);
    std::vector<std::string> problems;
    (void) ctx;
    if (t.script.empty() && t.target.type == "DB" && t.target.table.empty())
      problems.push_back("<target type=\"DB\"> needs a 'table'");
    return problems;
  };
  return kind;
}

#endif // !CAFFLOW_EXEC

#ifdef CAFFLOW_EXEC

// -- the Hadoop client (also a file-monitor's, src/actions/file_monitor.cpp) --------

namespace {

/// `command` found as the shell would: a path, or a name on PATH.
std::string find_executable(const std::string& command) {
  if (command.find('/') != std::string::npos)
    return ::access(command.c_str(), X_OK) == 0 ? command : std::string{};
  const char* path = std::getenv("PATH");
  for (const auto& dir : split(path != nullptr ? path : "/usr/bin:/bin", ':')) {
    auto candidate = (std::filesystem::path(dir.empty() ? "." : dir) / command).string();
    if (::access(candidate.c_str(), X_OK) == 0 && !std::filesystem::is_directory(candidate))
      return candidate;
  }
  return {};
}

} // namespace

std::string run_hdfs(exec_context& ctx, const nlohmann::json& where,
                     const std::vector<std::string>& args, int* status_out) {
  auto command = ctx.site.hdfs_command.empty() ? std::string(defaults::hdfs::command)
                                               : ctx.site.hdfs_command;
  auto program = find_executable(command);
  if (program.empty())
    throw std::runtime_error("the Hadoop client '" + command + "' is not "
                             + (command.find('/') != std::string::npos
                                  ? std::string("an executable file")
                                  : "on this worker's PATH")
                             + ": install a Hadoop client on the worker, or set [hdfs] command "
                               "in cafflow.ini to its path (hdfs.command)");
  std::vector<std::string> argv{program, "dfs"};
  auto default_fs = where.value("default_fs", std::string{});
  if (!default_fs.empty()) {
    argv.push_back("-D");
    argv.push_back("fs.defaultFS=" + default_fs);
  }
  argv.insert(argv.end(), args.begin(), args.end());
  std::string shown = command;
  for (std::size_t i = 1; i < argv.size(); ++i)
    shown += " " + argv[i];
  ctx.log("hdfs: " + shown);
  std::vector<std::string> env;
  if (auto user = where.value("user", std::string{}); !user.empty())
    env.push_back("HADOOP_USER_NAME=" + user);
  // All of it: -ls lists every file that matched.
  auto done = run_logged(ctx, argv, env, "hdfs: ", std::string::npos);
  int code = done.status.exit_code;
  if (status_out != nullptr) {
    *status_out = code;
  } else if (code != 0) {
    std::string last;
    for (const auto& line : split_lines(done.output))
      if (!trim(line).empty())
        last = trim(line);
    throw std::runtime_error(shown + " failed (exit status " + std::to_string(code)
                             + (last.empty() ? std::string(")") : "): " + last));
  }
  return done.output;
}

#endif // CAFFLOW_EXEC

#ifdef CAFFLOW_EXEC

void transfer_runner(exec_context& ctx) {
  const auto& source = ctx.spec.at("source");
  const auto& target = ctx.spec.at("target");
  std::unique_ptr<db_connection> from, to;
  std::unique_ptr<row_sink> sink;
  // An HDFS target is written to the work directory, then put on HDFS
  // (replacing the file, as akkaflow's HDFS target did).
  auto target_hdfs =
    target.value("type", "") != "DB" ? file_location(ctx, target) : nlohmann::json();
  auto source_hdfs =
    source.value("type", "") != "DB" ? file_location(ctx, source) : nlohmann::json();
  bool hdfs_target = target_hdfs.is_object();
  auto hdfs_target_path = hdfs_target ? target.at("path").get<std::string>() : std::string{};
  auto local_target = target;
  if (hdfs_target) {
    local_target["path"] = hdfs_local_copy(ctx, hdfs_target_path, "target");
    local_target["append"] = false;
  }
  if (target.value("type", "") == "DB") {
    to = connect_spec_link(ctx, target);
    sink = std::make_unique<table_sink>(ctx, *to, target);
  } else {
    run_file_hook(ctx, target.value("pre", std::string{}), "pre");
    sink = std::make_unique<file_sink>(ctx, local_target);
  }
  progress done(ctx);
  try {
    if (source.value("type", "") == "DB") {
      from = connect_spec_link(ctx, source);
      read_db(ctx, *from, source.at("content").get<std::string>(), *sink, done);
    } else if (source_hdfs.is_object()) {
      // An HDFS source is fetched into the work directory, then read.
      auto hdfs_path = source.at("content").get<std::string>();
      auto local = source;
      local["content"] = hdfs_local_copy(ctx, hdfs_path, "source");
      run_hdfs(ctx, source_hdfs, {"-get", hdfs_path, local["content"].get<std::string>()});
      read_file_source(ctx, local, *sink, done);
    } else {
      read_file_source(ctx, source, *sink, done);
    }
    sink->finish();
    if (hdfs_target) {
      // Its folder first, unless that is a root ("/", "hdfs://nn:8020") or
      // the user's home (a bare file name).
      auto parent = std::filesystem::path(hdfs_target_path).parent_path().string();
      auto scheme = parent.find("://");
      bool root = parent.empty() || parent == "/"
                  || (scheme != std::string::npos
                      && parent.find('/', scheme + 3) == std::string::npos);
      if (!root)
        run_hdfs(ctx, target_hdfs, {"-mkdir", "-p", parent});
      run_hdfs(ctx, target_hdfs,
               {"-put", "-f", local_target.at("path").get<std::string>(), hdfs_target_path});
    }
    if (target.value("type", "") != "DB")
      run_file_hook(ctx, target.value("after", std::string{}), "after");
  } catch (...) {
    sink->abort();
    if (from)
      from->rollback();
    ctx.log("stopped after " + done.line() + "; nothing of it is kept");
    throw;
  }
  // Peak memory of this process: streamed, it does not grow with the rows.
  struct rusage usage {};
  ::getrusage(RUSAGE_SELF, &usage);
  ctx.log("done: " + done.line() + ", peak memory " + std::to_string(usage.ru_maxrss / 1024)
          + " MiB");
  ctx.result = {{"rows", done.rows()},
                {"seconds", done.seconds()},
                {"rows_per_s", done.seconds() > 0 ? done.rows() / done.seconds() : 0.0},
                {"peak_rss_kb", usage.ru_maxrss}};
}

#endif // CAFFLOW_EXEC

} // namespace cafflow
