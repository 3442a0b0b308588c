/* Berth plugin ABI: version numbers.
 *
 * Three axes, never merged:
 *  - The ABI major is part of the entry symbol's name (berth_plugin_entry_v1). A host
 *    looks only for its own major, so a plugin of another major is refused cleanly instead
 *    of being misread. It changes only when compatibility is broken on purpose.
 *  - The SDK minor grows with additive changes: new host services at the end of
 *    berth_host, new interface IDs, new payload fields. A plugin built with minor N loads
 *    in every host of the same major whose minor is N or newer; in an older host it loads
 *    only if it chooses an older minor during negotiation and then checks struct_size
 *    before using anything newer.
 *  - Interfaces carry a revision in their ID ("berth.isolator/1"). A released interface
 *    table is frozen; a changed contract gets a new ID.
 * A plugin's own product version (berth_plugin_descriptor.version) is informational.
 *
 * Minor history:
 *   1.0  the first release
 *   1.1  berth_plugin_descriptor.flags: plugins declare the agent flags they read
 *   1.2  BERTH_ISOLATOR_NO_HOLD, and LaunchRequest.hold: first processes exec without
 *        waiting for isolators that only learn their pid
 *   1.3  berth_host.watch_fd and unwatch_fd: a plugin waits for its descriptors in the
 *        host's event loop instead of on threads of its own */
#ifndef BERTH_VERSION_H
#define BERTH_VERSION_H

#define BERTH_ABI_MAJOR 1
#define BERTH_ABI_MINOR 3

#endif /* BERTH_VERSION_H */
