// A fuzz target for the definition parser (libFuzzer's LLVMFuzzerTestOneInput).
//
// In CI (g++, no libFuzzer) it is built with its own main(): it runs every
// corpus file it is given (files or directories, recursively) and a fixed,
// seeded set of mutations of each — truncations, byte flips, inserted markup —
// so every run checks the same tens of thousands of inputs. With clang,
// `cmake -DCAFFLOW_LIBFUZZER=ON` builds a real libFuzzer binary instead (see
// docs/DEVELOPMENT.md).
//
// Beyond "does not crash", every input must keep the parser's promises: a
// definition is returned exactly when there is no error, and every diagnostic
// points inside the input.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "util/files.hpp"
#include "util/strings.hpp"
#include "xml/workflow_parser.hpp"

namespace {

void fail(const std::string& input, const std::string& why) {
  std::fprintf(stderr, "parser promise broken: %s\n--- input (%zu bytes) ---\n%s\n", why.c_str(),
               input.size(), input.c_str());
  std::abort();
}

void check_one(const std::string& input) {
  cafflow::parse_options opts;
  opts.db_links = std::set<std::string>{"local_mysql", "warehouse"};
  auto result = cafflow::parse_definition(input, "fuzz.xml", opts);
  bool errors = cafflow::has_errors(result.diagnostics);
  bool defined = result.wf.has_value() || result.coordinator.has_value();
  if (errors == defined)
    fail(input, errors ? "a definition despite errors" : "no definition and no error");
  if (result.wf && result.coordinator)
    fail(input, "both a workflow and a coordinator");
  auto lines = static_cast<int>(std::count(input.begin(), input.end(), '\n')) + 1;
  for (const auto& d : result.diagnostics) {
    if (d.message.empty())
      fail(input, "an empty message");
    if (d.pos.line < 1 || d.pos.column < 1 || d.pos.line > lines)
      fail(input, "position " + std::to_string(d.pos.line) + ":" + std::to_string(d.pos.column)
                    + " outside the input: " + d.message);
  }
  if (result.wf) {
    const auto& wf = *result.wf;
    if (wf.start >= wf.nodes.size())
      fail(input, "a workflow without a linked start");
    for (const auto& n : wf.nodes)
      for (const auto& e : n.out)
        if (e.target >= wf.nodes.size())
          fail(input, "an edge to nowhere");
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  check_one(std::string(reinterpret_cast<const char*>(data), size));
  return 0;
}

#ifndef CAFFLOW_LIBFUZZER

namespace {

/// Deterministic variations of one input.
std::vector<std::string> mutations(const std::string& input, std::mt19937& rng, int count) {
  static const std::vector<std::string> snippets{
    "<", ">", "/>", "</action>", "<fork name=\"f\">", "\"", "'", "&", "&amp;", "<![CDATA[",
    "]]>", "${", "${param:", "${time.today|", "}", "<!--", "-->", "\xff\xfe", "\0", "\n",
    "<start name=\"s\" to=\"s\"/>", "<end name=\"e\"/>", "to=\"", "name=\"\"", "<join name=\"j\" to=\"",
    "<decision name=\"d\"><case to=\"e\">", "cron=\"", "*/0", "<coordinator>"};
  std::vector<std::string> result;
  if (input.empty())
    return result;
  std::uniform_int_distribution<std::size_t> position(0, input.size());
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<std::size_t> pick(0, snippets.size() - 1);
  for (int i = 0; i < count; ++i) {
    auto s = input;
    switch (i % 5) {
      case 0: s.resize(position(rng)); break;                       // truncate
      case 1: s[position(rng) % s.size()] = static_cast<char>(byte(rng)); break; // flip
      case 2: s.insert(position(rng), snippets[pick(rng)]); break;  // insert markup
      case 3: {                                                     // delete a span
        auto at = position(rng) % s.size();
        s.erase(at, std::min<std::size_t>(s.size() - at, 1 + position(rng) % 40));
        break;
      }
      case 4: {                                                     // duplicate a span
        auto at = position(rng) % s.size();
        auto len = std::min<std::size_t>(s.size() - at, 1 + position(rng) % 200);
        s.insert(position(rng) % s.size(), s.substr(at, len));
        break;
      }
    }
    result.push_back(std::move(s));
  }
  return result;
}

} // namespace

/// fuzz_workflow_parser [--mutations N] PATH...
int main(int argc, char** argv) {
  int per_file = 200;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--mutations" && i + 1 < argc) {
      per_file = std::atoi(argv[++i]);
      continue;
    }
    if (std::filesystem::is_directory(arg)) {
      for (const auto& e : std::filesystem::recursive_directory_iterator(arg))
        if (e.is_regular_file() && e.path().extension() == ".xml")
          files.push_back(e.path().string());
    } else {
      files.push_back(arg);
    }
  }
  std::sort(files.begin(), files.end());
  std::mt19937 rng(20261121);
  std::size_t inputs = 0;
  for (const auto& file : files) {
    auto text = cafflow::read_file(file);
    if (!text) {
      std::fprintf(stderr, "%s\n", text.error().message.c_str());
      return 2;
    }
    check_one(*text);
    ++inputs;
    for (const auto& m : mutations(*text, rng, per_file)) {
      check_one(m);
      ++inputs;
    }
  }
  std::printf("%zu corpus files, %zu inputs checked\n", files.size(), inputs);
  return files.empty() ? 2 : 0;
}

#endif
