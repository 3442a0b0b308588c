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

struct ProcessStat {
  char state = 0;
  pid_t session = 0;
  unsigned long long start_time = 0;  // clock ticks after boot
};

// Fields of /proc/<pid>/stat; false if the process is gone.
bool statOf(pid_t pid, ProcessStat* out) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), {});
  // The command name may hold spaces and parentheses: fields resume after the last ')'.
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream fields(stat.substr(close + 1));
  std::string skip;
  pid_t ppid = 0;
  pid_t group = 0;
  fields >> out->state >> ppid >> group >> out->session;
  for (int field = 7; field < 22; ++field)
    fields >> skip;  // tty_nr ... itrealvalue
  fields >> out->start_time;
  return static_cast<bool>(fields);
}

std::string bootId() {
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string id;
  in >> id;
  return id;
}

}  // namespace

Sessions::Sessions(std::string runtime_dir) : runtime_dir_(std::move(runtime_dir)) {}

// Nothing to make: the supervisor starts a session, which the container inherits.
std::string Sessions::prepare(const std::string&, std::string* cgroup) const {
  cgroup->clear();
  return "";
}

// The record names the session and its leader's start time and boot: a session id is a
// pid, which Linux may hand out again once the session is empty, and a new leader of the
// same number must not be taken for the container.
std::string Sessions::add(const std::string& id, pid_t pid) const {
  const pid_t session = ::getsid(pid);
  if (session < 0) return "session of " + std::to_string(pid) + ": " + std::strerror(errno);
  ProcessStat leader;
  if (!statOf(session, &leader))
    return "the session leader " + std::to_string(session) + " is gone";
  std::ofstream out(record(id));
  out << session << " " << leader.start_time << " " << bootId() << "\n";
  out.flush();
  if (!out) return "write " + record(id) + ": " + std::strerror(errno);
  return "";
}

std::vector<pid_t> Sessions::pids(const std::string& id) const {
  std::vector<pid_t> found;
  std::ifstream in(record(id));
  pid_t leader = 0;
  unsigned long long start_time = 0;
  std::string boot;
  if (!(in >> leader >> start_time >> boot) || leader <= 0) return found;
  if (boot != bootId()) return found;  // that session ended with the last boot
  // A live process with the leader's pid that started at another time is a new one.
  if (ProcessStat now; statOf(leader, &now) && now.start_time != start_time) return found;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = std::stoi(name);
    ProcessStat stat;
    if (pid == leader || !statOf(pid, &stat)) continue;
    if (stat.session == leader && stat.state != 'Z') found.push_back(pid);
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

bool Sessions::releaseIfEmpty(const std::string&) const {
  // Finding a session's processes reads all of /proc: not for the plugin thread.
  return false;
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
