#include "process_tracker.h"

#include <signal.h>

#include <thread>

namespace linux_launcher {

std::string terminate(const std::string& container_id, int signal, std::chrono::nanoseconds grace,
                      const std::function<bool()>& empty,
                      const std::function<void(int)>& signal_all) {
  if (!empty() && signal != SIGKILL) {
    signal_all(signal);
    const auto deadline = std::chrono::steady_clock::now() + grace;
    while (!empty() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  for (int round = 0; !empty(); ++round) {
    if (round == 2000) return "processes of " + container_id + " survive SIGKILL";
    signal_all(SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return "";
}

}  // namespace linux_launcher
