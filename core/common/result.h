// The one error model of Berth's C++ side.
//
// Every fallible operation returns Result<T>: either a value or an Error (a stable code
// plus a human message). Errors gain context while they travel up, so the message a user
// finally reads names the whole path: "mount /dev/shm for 'c-42': Operation not
// permitted". Exceptions are not used for errors; invariants are asserted.
//
//   Result<int> parsePort(std::string_view text);
//
//   auto port = parsePort(value);
//   if (!port) return port.error().withContext("BERTH_AGENT_PORT");
//   listen(*port);
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace berth {

// Stable classification of an error. Callers branch on the code; people read the message.
enum class ErrorCode {
  kInvalidArgument,     // the input is wrong; retrying the same input fails again
  kNotFound,            // the named thing does not exist
  kAlreadyExists,       // the named thing exists already
  kFailedPrecondition,  // the system is not in a state that allows the operation
  kPermissionDenied,    // not allowed, by the OS or by policy
  kUnavailable,         // a peer or resource is unreachable; retrying may succeed
  kTimeout,             // a deadline passed
  kCancelled,           // the operation was cancelled by its caller
  kIo,                  // the OS failed an I/O operation
  kInternal,            // a bug or an impossible state elsewhere
};

class Error {
 public:
  Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // The same error with "context: " in front of the message.
  Error withContext(std::string_view context) const {
    return Error(code_, std::string(context) + ": " + message_);
  }

 private:
  ErrorCode code_;
  std::string message_;
};

// An error from a failed system call: the message is "<what>: <strerror(err)>" and the
// code follows errno (ENOENT -> kNotFound, EACCES/EPERM -> kPermissionDenied, ...).
Error errnoError(std::string_view what, int err);

template <typename T>
class [[nodiscard]] Result {
 public:
  static_assert(!std::is_same_v<std::decay_t<T>, Error>, "Result<Error> is ambiguous");

  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}      // NOLINT: implicit
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return checkedValue(); }
  const T& value() const& { return const_cast<Result*>(this)->checkedValue(); }
  T&& value() && { return std::move(checkedValue()); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(checkedValue()); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const {
    assert(!ok() && "error() on a successful Result");
    return std::get<1>(state_);
  }

 private:
  T& checkedValue() {
    assert(ok() && "value() on a failed Result");
    return std::get<0>(state_);
  }

  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), failed_(true) {}  // NOLINT: implicit

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }

  const Error& error() const {
    assert(failed_ && "error() on a successful Result");
    return error_;
  }

 private:
  Error error_{ErrorCode::kInternal, ""};
  bool failed_ = false;
};

using Status = Result<void>;

inline Status okStatus() {
  return {};
}

}  // namespace berth
