#include "tests/support/subprocess.h"

#include <signal.h>
#include <sys/wait.h>

#include <boost/process/args.hpp>
#include <boost/process/child.hpp>
#include <boost/process/env.hpp>
#include <boost/process/environment.hpp>
#include <boost/process/io.hpp>
#include <boost/process/search_path.hpp>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/support/temp_dir.h"

namespace berth::testing {

namespace bp = boost::process;

namespace {
std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}
}  // namespace

namespace {

// Waits for `child` to exit, reaping it; false at `timeout`. Polled, because Boost.Process
// 1.74's wait_for() can sleep out its whole timeout after the child has died.
bool exitsWithin(bp::child& child, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::error_code ec;
  while (child.running(ec)) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

}  // namespace

bool haveProgram(const std::string& name) {
  return !bp::search_path(name).empty();
}

ProcessResult runProcess(const std::vector<std::string>& argv, const std::string& input,
                         std::chrono::milliseconds timeout,
                         const std::map<std::string, std::string>& env) {
  // Files, not pipes, carry the I/O: nothing can block on a full pipe.
  TempDir dir;
  const std::string in_file = dir.file("stdin");
  const std::string out_file = dir.file("stdout");
  const std::string err_file = dir.file("stderr");
  writeFile(in_file, input);

  bp::environment environment = boost::this_process::environment();
  for (const auto& [name, value] : env)
    environment[name] = value;

  const auto program = bp::search_path(argv.at(0));
  std::vector<std::string> args(argv.begin() + 1, argv.end());
  bp::child child(program.empty() ? boost::filesystem::path(argv[0]) : program, bp::args(args),
                  bp::std_in<in_file, bp::std_out> out_file, bp::std_err > err_file, environment);
  ProcessResult result;
  if (!exitsWithin(child, timeout)) {
    child.terminate();
    result.timed_out = true;
  } else {
    result.exit_code = child.exit_code();
  }
  result.out = slurp(out_file);
  result.err = slurp(err_file);
  return result;
}

}  // namespace berth::testing

namespace berth::testing {

struct BackgroundProcess::State {
  TempDir dir;
  bp::child child;
  std::optional<int> exit_code;
};

BackgroundProcess::BackgroundProcess(const std::vector<std::string>& argv,
                                     const std::map<std::string, std::string>& env)
    : state_(std::make_unique<State>()) {
  bp::environment environment = boost::this_process::environment();
  for (const auto& [name, value] : env)
    environment[name] = value;
  const auto program = bp::search_path(argv.at(0));
  std::vector<std::string> args(argv.begin() + 1, argv.end());
  state_->child =
      bp::child(program.empty() ? boost::filesystem::path(argv[0]) : program, bp::args(args),
                bp::std_in<bp::null, bp::std_out> state_->dir.file("stdout"),
                bp::std_err > state_->dir.file("stderr"), environment);
}

BackgroundProcess::~BackgroundProcess() {
  if (!state_->exit_code && state_->child.running()) {
    std::error_code ignored;
    state_->child.terminate(ignored);
  }
}

std::string BackgroundProcess::output() const {
  return slurp(state_->dir.file("stdout")) + slurp(state_->dir.file("stderr"));
}

int BackgroundProcess::pid() const {
  return state_->child.id();
}

std::optional<std::string> BackgroundProcess::waitForOutput(const std::string& text,
                                                            std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::string out = output();
    if (out.find(text) != std::string::npos) return out;
    if (!state_->child.running()) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return std::nullopt;
}

void BackgroundProcess::signal(int signo) {
  ::kill(state_->child.id(), signo);
}

std::optional<int> BackgroundProcess::wait(std::chrono::milliseconds timeout) {
  if (state_->exit_code) return state_->exit_code;
  if (!exitsWithin(state_->child, timeout)) return std::nullopt;
  // Boost.Process reports a signal death through native_exit_code().
  const int status = state_->child.native_exit_code();
  state_->exit_code = WIFSIGNALED(status) ? -WTERMSIG(status) : WEXITSTATUS(status);
  return state_->exit_code;
}

}  // namespace berth::testing
