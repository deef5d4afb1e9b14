#include "log.hpp"

#include <mutex>
#include <vector>

#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

namespace cafflow::log {

namespace {

std::mutex mtx;
std::vector<spdlog::sink_ptr> sinks;
spdlog::level::level_enum level = spdlog::level::info;

} // namespace

expected<void> init(const options& opts) {
  std::lock_guard<std::mutex> guard{mtx};
  sinks.clear();
  try {
    if (!opts.file.empty())
      sinks.push_back(std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
        opts.file, opts.max_file_bytes, static_cast<std::size_t>(opts.max_files)));
    if (opts.to_stderr || opts.file.empty())
      sinks.push_back(std::make_shared<spdlog::sinks::stderr_sink_mt>());
  } catch (const spdlog::spdlog_ex& e) {
    return make_error(ec::filesystem_error,
                      "cannot open log file '" + opts.file + "': " + e.what());
  }
  level = spdlog::level::from_str(opts.level);
  spdlog::drop_all();
  spdlog::flush_every(std::chrono::seconds(1));
  return {};
}

void shutdown() {
  spdlog::apply_all([](const std::shared_ptr<spdlog::logger>& l) { l->flush(); });
}

std::shared_ptr<spdlog::logger> get(const std::string& component) {
  std::lock_guard<std::mutex> guard{mtx};
  if (auto existing = spdlog::get(component))
    return existing;
  if (sinks.empty())
    sinks.push_back(std::make_shared<spdlog::sinks::stderr_sink_mt>());
  auto logger = std::make_shared<spdlog::logger>(component, sinks.begin(), sinks.end());
  logger->set_level(level);
  logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ [%n] %v");
  logger->flush_on(spdlog::level::warn);
  spdlog::register_logger(logger);
  return logger;
}

} // namespace cafflow::log
