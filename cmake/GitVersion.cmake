# Writes OUTPUT (a C++ source defining depthguard::build_version()) with the project version
# and the commit the tree is at ("0.1.0 (3f2a1bc, modified)"); run at every build, the file is
# only rewritten when that text changes, so a new commit recompiles one file.
execute_process(COMMAND git -C "${SOURCE_DIR}" rev-parse --short HEAD
                OUTPUT_VARIABLE commit OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE no_git)
if(no_git OR commit STREQUAL "")
  set(text "${VERSION} (not built from a git checkout)")
else()
  execute_process(COMMAND git -C "${SOURCE_DIR}" status --porcelain --untracked-files=no
                  OUTPUT_VARIABLE changes OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(changes STREQUAL "")
    set(text "${VERSION} (${commit})")
  else()
    set(text "${VERSION} (${commit}, modified)")
  endif()
endif()
set(source "#include \"depthguard/core/version.h\"\nconst char* depthguard::build_version() { return \"${text}\"; }\n")
include(${CMAKE_CURRENT_LIST_DIR}/WriteIfChanged.cmake)
write_if_changed("${OUTPUT}" "${source}")
