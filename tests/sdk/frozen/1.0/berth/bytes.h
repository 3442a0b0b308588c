/* Berth plugin ABI: byte buffers.
 *
 * Rich payloads (container configs, launch plans, usage, checkpoints) cross the ABI as
 * protobuf wire bytes of the messages in the SDK's proto/berth/v1 schemas. Which message a
 * buffer holds is fixed by the function that passes it. Decode them with any protobuf
 * runtime linked privately into the plugin (the SDK provides protobuf-c code); never with
 * the host's. */
#ifndef BERTH_BYTES_H
#define BERTH_BYTES_H

#include <stddef.h>
#include <stdint.h>

/* A borrowed view of bytes. `data` may be NULL when `size` is 0. The owner and the
 * lifetime are stated by every function that takes or returns one. */
typedef struct berth_bytes {
  const uint8_t* data;
  size_t size;
} berth_bytes;

#endif /* BERTH_BYTES_H */
