// berth-plugin-check: checks a plugin library against the Berth plugin contract.
//
//   berth-plugin-check PLUGIN.so [--json] [--config KEY=VALUE]... [--allow-needed LIB]...
//                      [--timeout SECONDS] [--seed N] [--in-process] [--only CHECK]
//
// Each check runs in its own child process with a time limit, so a crash or a hang is
// reported as that check's failure; --in-process runs them in this process, for a
// debugger. Exit status: 0 when every check passed or was skipped, 1 otherwise, 2 on bad
// usage.

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <iostream>
#include <string>

#include "checks.h"

namespace {

using berth::validator::Check;
using berth::validator::CheckResult;
using berth::validator::Options;
using Outcome = CheckResult::Outcome;

int usage(const std::string& problem) {
  std::cerr << "berth-plugin-check: " << problem << "\n"
            << "usage: berth-plugin-check PLUGIN.so [--json] [--config KEY=VALUE]...\n"
            << "         [--allow-needed LIB]... [--timeout SECONDS] [--seed N]\n"
            << "         [--in-process] [--only CHECK]\n";
  return 2;
}

// Runs `check` in a child process; a crash, a hang or an exit without a verdict fails it.
CheckResult isolated(const Check& check, const Options& options, std::chrono::seconds limit) {
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) return {Outcome::kFail, "pipe() failed"};
  const pid_t child = ::fork();
  if (child == 0) {
    ::close(pipe_fds[0]);
    const CheckResult result = check.run(options);
    const std::string verdict = std::to_string(static_cast<int>(result.outcome)) + result.message;
    (void)!::write(pipe_fds[1], verdict.data(), verdict.size());
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  std::string verdict;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  bool timed_out = false;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{pipe_fds[0], POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buffer[4096];
    const ssize_t n = ::read(pipe_fds[0], buffer, sizeof(buffer));
    if (n <= 0) break;
    verdict.append(buffer, static_cast<size_t>(n));
  }
  ::close(pipe_fds[0]);
  if (timed_out) ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  if (timed_out) {
    return {Outcome::kFail, "hung: killed after " + std::to_string(limit.count()) + " s"};
  }
  if (WIFSIGNALED(status)) {
    return {Outcome::kFail, std::string("crashed: ") + ::strsignal(WTERMSIG(status))};
  }
  if (verdict.empty()) return {Outcome::kFail, "exited without a verdict"};
  return {static_cast<Outcome>(verdict[0] - '0'), verdict.substr(1)};
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  bool json = false;
  bool in_process = false;
  std::string only;
  std::chrono::seconds limit(45);
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (arg == "--json") {
      json = true;
    } else if (arg == "--in-process") {
      in_process = true;
    } else if (arg == "--config") {
      const std::string kv = value();
      const size_t eq = kv.find('=');
      if (eq == std::string::npos) return usage("--config takes KEY=VALUE, got '" + kv + "'");
      options.config.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
    } else if (arg == "--allow-needed") {
      options.allowed_needed.push_back(value());
    } else if (arg == "--timeout") {
      const std::string v = value();
      const int seconds = std::atoi(v.c_str());
      if (seconds <= 0)
        return usage("--timeout takes a positive number of seconds, got '" + v + "'");
      limit = std::chrono::seconds(seconds);
    } else if (arg == "--seed") {
      options.seed = static_cast<uint32_t>(std::strtoul(value().c_str(), nullptr, 10));
    } else if (arg == "--only") {
      only = value();
    } else if (arg == "--help" || arg == "-h") {
      usage("checks a plugin against the Berth plugin contract");
      return 0;
    } else if (arg.starts_with("--")) {
      return usage("unknown option '" + arg + "'");
    } else if (options.path.empty()) {
      options.path = arg;
    } else {
      return usage("one plugin at a time");
    }
  }
  if (options.path.empty()) return usage("no plugin given");
  if (options.path.find('/') == std::string::npos) options.path = "./" + options.path;

  google::protobuf::Struct report;
  auto* results = (*report.mutable_fields())["checks"].mutable_list_value();
  int passed = 0;
  int failed = 0;
  int skipped = 0;
  for (const Check& check : berth::validator::allChecks()) {
    if (!only.empty() && only != check.name) continue;
    const CheckResult result = in_process ? check.run(options) : isolated(check, options, limit);
    const char* word = result.outcome == Outcome::kPass   ? "PASS"
                       : result.outcome == Outcome::kSkip ? "SKIP"
                                                          : "FAIL";
    (result.outcome == Outcome::kPass   ? passed
     : result.outcome == Outcome::kSkip ? skipped
                                        : failed)++;
    if (json) {
      google::protobuf::Struct entry;
      auto& fields = *entry.mutable_fields();
      fields["check"].set_string_value(check.name);
      fields["rules"].set_string_value(check.rules);
      fields["result"].set_string_value(word);
      fields["summary"].set_string_value(check.summary);
      fields["message"].set_string_value(result.message);
      *results->add_values()->mutable_struct_value() = std::move(entry);
    } else {
      std::cout << word << "  " << check.name << ": " << check.summary;
      if (result.outcome == Outcome::kFail) std::cout << " [" << check.rules << "]";
      if (!result.message.empty()) std::cout << " (" << result.message << ")";
      std::cout << "\n";
    }
  }
  if (json) {
    (*report.mutable_fields())["plugin"].set_string_value(options.path);
    (*report.mutable_fields())["failed"].set_number_value(failed);
    std::string text;
    google::protobuf::util::JsonPrintOptions print;
    print.add_whitespace = true;
    (void)google::protobuf::util::MessageToJsonString(report, &text, print);
    std::cout << text;
  } else {
    std::cout << "berth-plugin-check: " << options.path << ": " << passed << " checks passed, "
              << failed << " failed, " << skipped << " skipped\n";
  }
  return failed == 0 ? 0 : 1;
}
