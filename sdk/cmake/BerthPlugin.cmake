# berth_add_plugin(NAME <name> SOURCES <src>... [DEPS <target>...] [OUTPUT_DIRECTORY <dir>])
#
# Builds a Berth plugin the way the ABI requires, for in-tree plugins and vendors alike:
#   - berth_plugin_<name>_lib: a static library of every source except plugin.c/plugin.cc,
#     the plugin's logic, for unit tests without dlopen (only when there are such sources);
#   - berth_plugin_<name>: the MODULE library berth-<name>.so built from plugin.c/.cc and
#     the logic library, with hidden visibility, a version script exporting only
#     berth_plugin_entry_v1, and -z defs (no undefined symbols left for the host to fill).
# The module lands in OUTPUT_DIRECTORY (default ${CMAKE_BINARY_DIR}/plugins). DEPS are
# linked into both; link only C libraries with stable sonames (libcap, libmnl) or static
# PIC code: a plugin must never need the host's C++ libraries.
#
# Needs the targets BerthSDK::sdk and BerthSDK::payloads (find_package(BerthSDK), or the
# SDK's own build).

set(_BERTH_PLUGIN_DIR "${CMAKE_CURRENT_LIST_DIR}")

function(berth_add_plugin)
  cmake_parse_arguments(ARG "" "NAME;OUTPUT_DIRECTORY" "SOURCES;DEPS" ${ARGN})
  if(NOT ARG_NAME)
    message(FATAL_ERROR "berth_add_plugin: NAME is required")
  endif()
  if(NOT ARG_OUTPUT_DIRECTORY)
    set(ARG_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/plugins")
  endif()

  set(entry_sources "")
  set(logic_sources "")
  foreach(source IN LISTS ARG_SOURCES)
    get_filename_component(file "${source}" NAME)
    if(file STREQUAL "plugin.c" OR file STREQUAL "plugin.cc")
      list(APPEND entry_sources "${source}")
    else()
      list(APPEND logic_sources "${source}")
    endif()
  endforeach()
  if(NOT entry_sources)
    message(FATAL_ERROR "berth_add_plugin(${ARG_NAME}): no plugin.c or plugin.cc in SOURCES")
  endif()

  set(module berth_plugin_${ARG_NAME})
  add_library(${module} MODULE ${entry_sources})
  if(logic_sources)
    set(lib berth_plugin_${ARG_NAME}_lib)
    add_library(${lib} STATIC ${logic_sources})
    set_target_properties(${lib} PROPERTIES
      POSITION_INDEPENDENT_CODE ON
      C_VISIBILITY_PRESET hidden CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
    target_include_directories(${lib} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
    target_link_libraries(${lib} PUBLIC BerthSDK::sdk BerthSDK::payloads ${ARG_DEPS})
    target_link_libraries(${module} PRIVATE ${lib})
  else()
    target_link_libraries(${module} PRIVATE BerthSDK::sdk BerthSDK::payloads ${ARG_DEPS})
  endif()

  set(version_script "${CMAKE_CURRENT_BINARY_DIR}/${module}.map")
  file(WRITE "${version_script}" "{\n  global: berth_plugin_entry_v1;\n  local: *;\n};\n")
  set_target_properties(${module} PROPERTIES
    PREFIX ""
    OUTPUT_NAME "berth-${ARG_NAME}"
    LIBRARY_OUTPUT_DIRECTORY "${ARG_OUTPUT_DIRECTORY}"
    C_VISIBILITY_PRESET hidden CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON
    LINK_DEPENDS "${version_script}")
  target_link_options(${module} PRIVATE
    "-Wl,--version-script=${version_script}" "-Wl,-z,defs")
endfunction()
