// C++ helper: protobuf-c payloads. Decodes requests into the generated C structs and
// encodes results, with RAII for the decoded message.
//
//   berth::cpp::Decoded<Berth__V1__PrepareRequest> request(
//       &berth__v1__prepare_request__descriptor, bytes);
//   if (!request) return op.fail(BERTH_ERROR_INVALID_ARGUMENT, "bad PrepareRequest");
//   Berth__V1__PrepareResult result = BERTH__V1__PREPARE_RESULT__INIT;
//   op.succeed(berth::cpp::encode(&result.base));
#ifndef BERTH_CPP_PAYLOAD_H
#define BERTH_CPP_PAYLOAD_H

#include <protobuf-c/protobuf-c.h>

#include <cstdint>
#include <vector>

#include "berth/bytes.h"

namespace berth::cpp {

// A message decoded from wire bytes; empty (false) when the bytes are not a valid message
// of that type (including missing required fields).
template <class Message>
class Decoded {
 public:
  Decoded(const ProtobufCMessageDescriptor* descriptor, berth_bytes bytes)
      : message_(reinterpret_cast<Message*>(
            protobuf_c_message_unpack(descriptor, nullptr, bytes.size, bytes.data))) {}
  ~Decoded() {
    if (message_ != nullptr) protobuf_c_message_free_unpacked(&message_->base, nullptr);
  }
  Decoded(const Decoded&) = delete;
  Decoded& operator=(const Decoded&) = delete;

  explicit operator bool() const { return message_ != nullptr; }
  const Message& operator*() const { return *message_; }
  const Message* operator->() const { return message_; }

 private:
  Message* message_;
};

// The wire bytes of `message`.
inline std::vector<uint8_t> encode(const ProtobufCMessage* message) {
  std::vector<uint8_t> bytes(protobuf_c_message_get_packed_size(message));
  if (!bytes.empty()) protobuf_c_message_pack(message, bytes.data());
  return bytes;
}

}  // namespace berth::cpp

#endif  // BERTH_CPP_PAYLOAD_H
