#include "actions/exec.hpp"

#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <pthread.h>
#include <thread>

#include <Poco/Exception.h>

#include "actions/kind.hpp"
#include "actions/kinds.hpp"
#include "alert/deliver.hpp"
#include "db/connection.hpp"
#include "defaults.hpp"
#include "exec/child.hpp"
#include "util/files.hpp"
#include "util/time.hpp"
#include "version.hpp"

namespace cafflow {

namespace fs = std::filesystem;

// -- cancel_token -------------------------------------------------------------------

void cancel_token::cancel() {
  std::function<void()> hook;
  {
    std::lock_guard<std::mutex> guard(mutex_);
    cancelled_ = true;
    hook = hook_;
  }
  cv_.notify_all();
  if (hook)
    hook();
}

void cancel_token::check() const {
  if (cancelled_)
    throw cancelled_error{};
}

void cancel_token::set_hook(std::function<void()> hook) {
  {
    std::lock_guard<std::mutex> guard(mutex_);
    hook_ = hook;
  }
  if (cancelled_ && hook)
    hook();
}

void cancel_token::clear_hook() {
  std::lock_guard<std::mutex> guard(mutex_);
  hook_ = nullptr;
}

void cancel_token::sleep_for(std::chrono::milliseconds duration) {
  std::unique_lock<std::mutex> lock(mutex_);
  cv_.wait_for(lock, duration, [this] { return cancelled_.load(); });
  if (cancelled_)
    throw cancelled_error{};
}

// -- programs an attempt runs --------------------------------------------------------

child_output run_logged(exec_context& ctx, const std::vector<std::string>& argv,
                        const std::vector<std::string>& env, const std::string& prefix,
                        std::size_t keep) {
  child_options options;
  options.env = env;
  options.work_dir = ctx.work_dir;
  options.own_group = false;
  options.max_output = keep;
  options.on_line = [&](const std::string& line) { ctx.log(prefix + line); };
  options.stop = [&] { return ctx.cancel != nullptr && ctx.cancel->cancelled(); };
  auto done = run_child(argv, options);
  if (!done)
    throw std::runtime_error("cannot run " + (argv.empty() ? std::string("a program") : argv[0])
                             + ": " + done.error().message);
  if (ctx.cancel != nullptr)
    ctx.cancel->check();
  return std::move(*done);
}

// -- exec_context -------------------------------------------------------------------

void exec_context::log(const std::string& line) const {
  auto now = to_iso8601(now_ms());
  *out << now.substr(11, 12) << ' ' << redact(line) << std::endl;
}

std::string exec_context::redact(std::string text) const {
  for (const auto& secret : secrets) {
    if (secret.size() < 3)
      continue; // too short to find without blanking unrelated text
    for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at + 3))
      text.replace(at, secret.size(), "***");
  }
  return text;
}

// -- main -----------------------------------------------------------------------------

namespace {

void write_result(const std::string& work_dir, const nlohmann::json& result,
                  const std::string& error) {
  nlohmann::json doc{{"result", result}};
  if (!error.empty())
    doc["error"] = error;
  std::ofstream out((fs::path(work_dir) / "result.json").string(), std::ios::trunc);
  out << doc.dump() << '\n';
}

} // namespace

int exec_main(int argc, char** argv) {
  // NAME PATH HOME [ORACLE_DRIVER HIVE_DRIVER]
  if ((argc == 5 || argc == 7) && std::string(argv[1]) == "db-link-test")
    return db_link_check(argv[3], argv[4], argv[2],
                         argc == 7 ? odbc_drivers{argv[5], argv[6]}
                                   : odbc_drivers{defaults::odbc::oracle_driver,
                                                  defaults::odbc::hive_driver},
                         std::cout, std::cerr);
  if (argc == 2 && std::string(argv[1]) == "alert-send")
    return alert_send_main(std::cin, std::cout); // the request on stdin (src/alert/deliver.hpp)
  if (argc == 2 && std::string(argv[1]) == "--version") {
    std::cout << "cafflow-exec " << version << '\n';
    return 0;
  }
  if (argc == 2 && (std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h")) {
    std::cout << "cafflow-exec " << version
              << " — runs one attempt of an sql, transfer, data-monitor, file-monitor, email or\n"
                 "metadata action; a cafflow worker starts it, never a person.\n"
                 "usage: cafflow-exec KIND SPECFILE\n"
                 "       cafflow-exec db-link-test NAME DB_LINKS_FILE HOME [ORACLE_DRIVER "
                 "HIVE_DRIVER]\n"
                 "       cafflow-exec alert-send   (an alert delivery, the request on stdin)\n"
                 "       cafflow-exec --version | --help\n";
    return 0;
  }
  if (argc != 3) {
    std::cerr << "usage: cafflow-exec KIND SPECFILE (started by a cafflow worker, see "
                 "docs/DESIGN.md; --help)\n";
    return 64;
  }
  std::string kind_name = argv[1];
  std::string spec_path = argv[2];
  // SIGTERM (a kill or a timeout) cancels what runs, then we exit.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  cancel_token cancel;
  std::thread([&cancel, signals] {
    int sig = 0;
    while (sigwait(&signals, &sig) != 0) {
    }
    cancel.cancel();
  }).detach();
  exec_context ctx;
  ctx.out = &std::cout;
  ctx.cancel = &cancel;
  ctx.work_dir = fs::path(spec_path).parent_path().string();
  std::string error;
  try {
    auto text = read_file(spec_path);
    if (!text)
      throw std::runtime_error(text.error().message);
    auto doc = nlohmann::json::parse(*text);
    auto run = find_runner(kind_name);
    if (run == nullptr)
      throw std::runtime_error("cafflow-exec cannot run actions of type '" + kind_name + "'");
    if (doc.value("kind", "") != kind_name)
      throw std::runtime_error("the spec file is for '" + doc.value("kind", "") + "', not '"
                               + kind_name + "'");
    const auto& a = doc.at("attempt");
    ctx.attempt.instance_id = a.value("instance_id", "");
    ctx.attempt.workflow = a.value("workflow", "");
    ctx.attempt.node = a.value("node", "");
    ctx.attempt.attempt = a.value("attempt", 1);
    ctx.attempt.logical_time = a.value("logical_time", timestamp{0});
    ctx.attempt.params = a.value("params", param_map{});
    ctx.spec = doc.at("spec");
    ctx.site = site_from_json(doc.value("site", nlohmann::json::object()));
    if (!ctx.site.mail.password.empty())
      ctx.secrets.push_back(ctx.site.mail.password);
    run(ctx);
    cancel.check();
  } catch (const cancelled_error& e) {
    error = e.what();
  } catch (const Poco::Exception& e) {
    error = cancel.cancelled() ? cancelled_error{}.what() : ctx.redact(e.displayText());
  } catch (const std::exception& e) {
    error = cancel.cancelled() ? cancelled_error{}.what() : ctx.redact(e.what());
  }
  write_result(ctx.work_dir, ctx.result, error);
  std::cout.flush();
  if (!error.empty()) {
    std::cerr << "error: " << error << std::endl;
    return cancel.cancelled() ? 128 + SIGTERM : 1;
  }
  return 0;
}

} // namespace cafflow
