// Checkpoints in the layout the agent used before the journal (journal.h): one file per
// container, <meta>/containers/<id>/state, holding "BERTHCK1", the content's length (8
// bytes, little-endian), its CRC-32 (4 bytes) and the content. An agent upgraded in place
// reads them once into the journal, so that the containers it finds running stay its own.
#pragma once

#include <string>

#include "core/agent/state/journal.h"

namespace berth::agent {

// Moves every intact record under `meta_dir`/containers that `contents` (the journal just
// opened) lacks into `journal` and `contents.records`; damaged ones go to
// `contents.damaged` by container id. The old directory is then renamed
// containers.imported, kept for inspection. Nothing to do when it does not exist. Fails
// only when the journal cannot take a record or the directory cannot be renamed.
Status importLegacyCheckpoints(const std::string& meta_dir, Journal& journal,
                               Journal::Contents& contents);

}  // namespace berth::agent
