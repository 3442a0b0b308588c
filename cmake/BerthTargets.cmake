# Small helpers that give every target of ours the same defaults.
#
#   berth_add_library(<name> SOURCES <src>... [DEPS <target>...] [PUBLIC_DEPS <target>...])
#     A static library. Its include root is the repository root, so headers are included
#     by their path from there ("core/net/http_server.h"). DEPS link privately,
#     PUBLIC_DEPS are part of the library's interface.
#
#   berth_add_executable(<name> SOURCES <src>... [DEPS <target>...])
#     A program; lands in ${CMAKE_BINARY_DIR}/bin.
#
#   berth_add_test(<name> SOURCES <src>... [DEPS <target>...] [LABELS <label>...])
#     A GoogleTest program linked with gtest_main; each TEST becomes one CTest test
#     (gtest_discover_tests), so `ctest -R` and `ctest -j` work per test case. Tests
#     named ROOT_* are expected to GTEST_SKIP() themselves when not run as root.

include(GoogleTest)

function(berth_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PUBLIC_DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${CMAKE_SOURCE_DIR})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} PUBLIC ${ARG_PUBLIC_DEPS})
  berth_target_defaults(${name})
endfunction()

function(berth_add_executable name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  berth_target_defaults(${name})
endfunction()

function(berth_add_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gmock GTest::gtest_main)
  berth_target_defaults(${name})
  set(properties TIMEOUT 300)
  if(ARG_LABELS)
    list(APPEND properties LABELS "${ARG_LABELS}")
  endif()
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST PROPERTIES ${properties})
endfunction()
