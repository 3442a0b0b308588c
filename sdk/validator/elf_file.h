// Just enough of an ELF64 reader for the validator: the dynamic symbols a library exports
// and the libraries it needs (DT_NEEDED), read from the file without loading it.
#pragma once

#include <string>
#include <vector>

namespace berth::validator {

struct ElfDynamicInfo {
  std::vector<std::string> exported;  // defined, global or weak, default visibility
  std::vector<std::string> needed;    // DT_NEEDED entries, in order
};

// False, with `error` set, when `path` is not a readable ELF64 shared object.
bool readElfDynamicInfo(const std::string& path, ElfDynamicInfo* info, std::string* error);

}  // namespace berth::validator
