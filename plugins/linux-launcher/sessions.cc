#include "sessions.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace linux_launcher {

namespace {

// Session and state of `pid` from /proc/<pid>/stat; false if it is gone.
bool sessionOf(pid_t pid, pid_t* session, char* state) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), {});
  // The command name may hold spaces and parentheses: fields resume after the last ')'.
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream fields(stat.substr(close + 1));
  pid_t ppid = 0;
  pid_t group = 0;
  fields >> *state >> ppid >> group >> *session;
  return static_cast<bool>(fields);
}

}  // namespace

Sessions::Sessions(std::string runtime_dir) : runtime_dir_(std::move(runtime_dir)) {}

std::string Sessions::add(const std::string& id, pid_t pid) const {
  const pid_t session = ::getsid(pid);
  if (session < 0) return "session of " + std::to_string(pid) + ": " + std::strerror(errno);
  std::ofstream out(record(id));
  out << session << "\n";
  out.flush();
  if (!out) return "write " + record(id) + ": " + std::strerror(errno);
  return "";
}

std::vector<pid_t> Sessions::pids(const std::string& id) const {
  std::vector<pid_t> found;
  std::ifstream in(record(id));
  pid_t leader = 0;
  if (!(in >> leader) || leader <= 0) return found;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = std::stoi(name);
    pid_t session = 0;
    char state = 0;
    if (pid == leader || !sessionOf(pid, &session, &state)) continue;
    if (session == leader && state != 'Z') found.push_back(pid);
  }
  return found;
}

std::vector<std::string> Sessions::containers() const {
  std::vector<std::string> ids;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(runtime_dir_, ec)) {
    if (std::filesystem::exists(entry.path() / "session", ec)) {
      ids.push_back(entry.path().filename().string());
    }
  }
  return ids;
}

std::string Sessions::destroy(const std::string& id, int signal,
                              std::chrono::nanoseconds grace) const {
  std::string error = terminate(
      id, signal, grace, [&] { return pids(id).empty(); },
      [&](int signo) {
        for (pid_t pid : pids(id))
          ::kill(pid, signo);
      });
  if (!error.empty()) return error;
  std::error_code ec;
  std::filesystem::remove(record(id), ec);
  return "";
}

}  // namespace linux_launcher
