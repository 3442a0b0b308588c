#include "cgroups.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace linux_launcher {

namespace {

bool writeFile(const std::string& path, const std::string& value, std::string* error) {
  std::ofstream out(path);
  out << value;
  out.flush();
  if (!out) {
    *error = "write '" + value + "' to " + path + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

Cgroups::Cgroups(std::string root, std::string parent) {
  std::error_code ec;
  if (!root.empty()) {
    base_ = root + "/" + parent;
    v2_ = std::filesystem::exists(root + "/cgroup.controllers", ec);
  } else if (std::filesystem::exists("/sys/fs/cgroup/cgroup.controllers", ec)) {
    base_ = "/sys/fs/cgroup/" + parent;
    v2_ = true;
  } else if (std::filesystem::exists("/sys/fs/cgroup/freezer/freezer.state", ec) ||
             std::filesystem::exists("/sys/fs/cgroup/freezer/cgroup.procs", ec)) {
    base_ = "/sys/fs/cgroup/freezer/" + parent;
  } else {
    error_ = "neither a cgroup v2 hierarchy nor a cgroup v1 freezer is mounted";
    return;
  }
  std::filesystem::create_directories(base_, ec);
  if (ec) {
    error_ = "create " + base_ + ": " + ec.message();
    base_.clear();
  }
}

std::string Cgroups::prepare(const std::string& id, std::string* cgroup) const {
  if (base_.empty()) return error_;
  if (::mkdir(path(id).c_str(), 0755) != 0 && errno != EEXIST) {
    return "create " + path(id) + ": " + std::strerror(errno);
  }
  *cgroup = path(id);
  return "";
}

std::string Cgroups::add(const std::string&, pid_t) const {
  return "";
}

std::vector<pid_t> Cgroups::pids(const std::string& id) const {
  std::vector<pid_t> list;
  std::istringstream in(readFile(path(id) + "/cgroup.procs"));
  pid_t pid = 0;
  while (in >> pid)
    list.push_back(pid);
  return list;
}

std::vector<std::string> Cgroups::containers() const {
  std::vector<std::string> ids;
  std::error_code ec;
  if (base_.empty()) return ids;
  for (const auto& entry : std::filesystem::directory_iterator(base_, ec)) {
    if (entry.is_directory()) ids.push_back(entry.path().filename().string());
  }
  return ids;
}

void Cgroups::signalAll(const std::string& id, int signal) const {
  std::string ignored;
  // v1: freezing first means no process can fork a new one we would miss.
  const bool freeze = !v2_;
  if (freeze) {
    writeFile(path(id) + "/freezer.state", "FROZEN", &ignored);
    for (int i = 0; i < 100 && readFile(path(id) + "/freezer.state").rfind("FROZEN", 0) != 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  } else if (signal == SIGKILL && writeFile(path(id) + "/cgroup.kill", "1", &ignored)) {
    return;
  }
  for (pid_t pid : pids(id))
    ::kill(pid, signal);
  if (freeze) writeFile(path(id) + "/freezer.state", "THAWED", &ignored);
}

bool Cgroups::releaseIfEmpty(const std::string& id) const {
  // The kernel refuses (EBUSY) to remove a cgroup that still holds a process.
  return !base_.empty() && (::rmdir(path(id).c_str()) == 0 || errno == ENOENT);
}

std::string Cgroups::destroy(const std::string& id, int signal,
                             std::chrono::nanoseconds grace) const {
  if (base_.empty()) return error_;
  // The usual case, after the first process's exit: an empty cgroup, or none.
  if (releaseIfEmpty(id)) return "";
  std::string error = terminate(
      id, signal, grace, [&] { return pids(id).empty(); },
      [&](int signo) { signalAll(id, signo); });
  if (!error.empty()) return error;
  // Exited processes may linger in cgroup.procs for a moment after SIGKILL.
  for (int i = 0; i < 200; ++i) {
    if (::rmdir(path(id).c_str()) == 0 || errno == ENOENT) return "";
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return "remove " + path(id) + ": " + std::strerror(errno);
}

}  // namespace linux_launcher
