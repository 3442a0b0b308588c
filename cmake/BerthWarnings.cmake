# Compiler warnings and sanitizers for every target of ours.
#
#   berth_target_defaults(<target>)
#
# Turns on the project's warning set (-Wall -Wextra -Wpedantic and friends), -Werror when
# BERTH_WERROR is ON, and the sanitizers named in BERTH_SANITIZE. Called by every helper
# in BerthTargets.cmake, so a target made through them never needs it directly.

set(BERTH_WARNING_FLAGS
    -Wall -Wextra -Wpedantic -Wshadow=local -Wnon-virtual-dtor -Wcast-align
    -Wformat=2 -Wimplicit-fallthrough -Wmissing-declarations
    # Designated initializers ({.timeout = 1s}) name only the fields that differ.
    -Wno-missing-field-initializers)

function(berth_target_defaults target)
  target_compile_options(${target} PRIVATE
      $<$<COMPILE_LANGUAGE:CXX>:${BERTH_WARNING_FLAGS}>
      $<$<COMPILE_LANGUAGE:C>:-Wall -Wextra -Wpedantic>)
  if(BERTH_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(BERTH_SANITIZE)
    string(REPLACE "," ";" sanitizers "${BERTH_SANITIZE}")
    foreach(s IN LISTS sanitizers)
      target_compile_options(${target} PRIVATE -fsanitize=${s} -fno-omit-frame-pointer)
      target_link_options(${target} PRIVATE -fsanitize=${s})
    endforeach()
  endif()
endfunction()
