#include "elf_file.h"

#include <elf.h>

#include <cstring>
#include <fstream>
#include <iterator>

namespace berth::validator {

namespace {

template <class T>
bool at(const std::string& data, size_t offset, T* out) {
  if (offset > data.size() || data.size() - offset < sizeof(T)) return false;
  std::memcpy(out, data.data() + offset, sizeof(T));
  return true;
}

std::string stringAt(const std::string& data, size_t table, size_t table_size, size_t offset) {
  if (offset >= table_size || table + offset >= data.size()) return {};
  const char* start = data.data() + table + offset;
  const size_t limit = std::min(table_size - offset, data.size() - table - offset);
  return std::string(start, strnlen(start, limit));
}

}  // namespace

bool readElfDynamicInfo(const std::string& path, ElfDynamicInfo* info, std::string* error) {
  std::ifstream file(path, std::ios::binary);
  const std::string data((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  Elf64_Ehdr header;
  if (!at(data, 0, &header) || std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0 ||
      header.e_ident[EI_CLASS] != ELFCLASS64) {
    *error = "not an ELF64 file";
    return false;
  }
  // Section headers: find .dynsym (with its string table) and .dynamic.
  for (size_t i = 0; i < header.e_shnum; ++i) {
    Elf64_Shdr section;
    if (!at(data, header.e_shoff + i * header.e_shentsize, &section)) break;
    if (section.sh_type != SHT_DYNSYM && section.sh_type != SHT_DYNAMIC) continue;
    Elf64_Shdr strings;
    if (!at(data, header.e_shoff + section.sh_link * header.e_shentsize, &strings)) continue;
    if (section.sh_type == SHT_DYNSYM) {
      for (size_t off = 0; off + sizeof(Elf64_Sym) <= section.sh_size; off += sizeof(Elf64_Sym)) {
        Elf64_Sym symbol;
        if (!at(data, section.sh_offset + off, &symbol)) break;
        const int binding = ELF64_ST_BIND(symbol.st_info);
        if (symbol.st_shndx == SHN_UNDEF || symbol.st_name == 0) continue;
        if (binding != STB_GLOBAL && binding != STB_WEAK) continue;
        if (ELF64_ST_VISIBILITY(symbol.st_other) != STV_DEFAULT) continue;
        info->exported.push_back(
            stringAt(data, strings.sh_offset, strings.sh_size, symbol.st_name));
      }
    } else {
      for (size_t off = 0; off + sizeof(Elf64_Dyn) <= section.sh_size; off += sizeof(Elf64_Dyn)) {
        Elf64_Dyn entry;
        if (!at(data, section.sh_offset + off, &entry) || entry.d_tag == DT_NULL) break;
        if (entry.d_tag == DT_NEEDED) {
          info->needed.push_back(
              stringAt(data, strings.sh_offset, strings.sh_size, entry.d_un.d_val));
        }
      }
    }
  }
  return true;
}

}  // namespace berth::validator
