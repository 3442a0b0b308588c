// The launcher's side of the supervisor zygote (`berth-supervisor --serve`, zygote.c): a
// process started once that forks each container's supervisor, so that a launch costs a
// fork instead of an exec of berth-supervisor and its libraries; and that offers a spare
// supervisor, forked and readied ahead, to which a launch hands its request directly.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <mutex>
#include <optional>
#include <string>

namespace linux_launcher {

class ZygoteClient {
 public:
  static constexpr std::chrono::seconds kTimeout{10};

  // `supervisor`: the path of berth-supervisor. Nothing starts until start() or fork().
  explicit ZygoteClient(std::string supervisor);
  // Closes the socket, which ends the zygote; the supervisors it forked live on.
  ~ZygoteClient();
  ZygoteClient(const ZygoteClient&) = delete;
  ZygoteClient& operator=(const ZygoteClient&) = delete;

  // Starts the zygote if it is not running. Returns an error text or "".
  std::string start();

  struct Supervisor {
    pid_t pid = -1;
    int pidfd = -1;  // owned by the caller; -1 when the kernel has no pidfds
  };
  // Hands the request of the container whose runtime directory is `dir`, its first process
  // to be born into `cgroup` ("" for none), with the four descriptors it starts with
  // (supervisor.h, in that order; they stay the caller's to close), to the spare the zygote
  // offered, without waiting for anything: cheap enough for the plugin's main thread.
  // nullopt when there is no spare (launches closer together than the zygote readies them),
  // it died, or another thread is busy with the zygote: fork() then. Thread-safe.
  std::optional<Supervisor> handToSpare(const std::string& dir, const std::string& cgroup,
                                        const int fds[4]);

  // Tells the zygote that the spare was taken, so that it readies the next, if one was since
  // the last call; starts a new zygote if it is gone. Thread-safe; may wait for a fork() in
  // progress.
  void replenish();

  // replenish() without waiting: does nothing while another thread is busy with the zygote
  // or when the zygote is gone, which replenish() then deals with. Cheap enough for the
  // plugin's main thread. Thread-safe.
  void tryReplenish();

  // Forks a supervisor for the container, as handToSpare() describes it. A zygote found
  // dead is started again, once; one that dies or stays silent (kTimeout) after taking the
  // request is replaced but not asked again, since it may have forked already. Thread-safe.
  // Returns nullopt and sets *error naming the problem.
  std::optional<Supervisor> fork(const std::string& dir, const std::string& cgroup,
                                 const int fds[4], std::string* error);

 private:
  struct Spare {
    pid_t pid = -1;
    int pidfd = -1;
    int link = -1;  // our end of the spare's socket
  };
  std::string startLocked();
  void stopLocked();
  // Keeps the spare a ZYGOTE_SPARE message brought (descriptors `fds`, `count` of them).
  void keepOffer(pid_t pid, const int* fds, int count);
  // Takes the offers waiting on the socket, without blocking.
  void collectOffersLocked();
  // Sends ZYGOTE_SPARE_TAKEN if a spare was taken since it was last sent, without
  // blocking: false when the send failed (errno says why).
  bool tellTakenLocked();
  enum class Exchange { kForked, kRefused, kNotSent, kNoAnswer };
  Exchange exchange(const std::string& message, const int fds[4], Supervisor* supervisor,
                    std::string* error);

  const std::string supervisor_;
  std::mutex mutex_;
  int socket_ = -1;
  pid_t pid_ = -1;
  Spare spare_;         // offered by the zygote, not yet handed a request
  bool taken_ = false;  // a spare was taken (or an offer lost), the zygote not yet told
};

}  // namespace linux_launcher
