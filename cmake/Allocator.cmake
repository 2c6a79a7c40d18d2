# The malloc of every depthguard program. glibc's malloc hands each large tensor back to the
# kernel and maps it again, zero-filled, on the next step; gperftools' tcmalloc (Debian
# libgoogle-perftools-dev) keeps the memory. Measured side by side with jemalloc in
# docs/training.md ("Speed"). Sanitizer builds bring their own allocator: there it stays
# glibc's. DEPTHGUARD_ALLOCATOR_LINKED tells the tests what was linked.

set(DEPTHGUARD_ALLOCATOR "tcmalloc" CACHE STRING "malloc of depthguard's programs: tcmalloc or system")
set_property(CACHE DEPTHGUARD_ALLOCATOR PROPERTY STRINGS tcmalloc system)
find_library(TCMALLOC_MINIMAL_LIBRARY tcmalloc_minimal)

set(DEPTHGUARD_ALLOCATOR_LINKED "glibc")
if(CMAKE_CXX_FLAGS MATCHES "-fsanitize=")
  message(STATUS "malloc: glibc (sanitizer build)")
elseif(DEPTHGUARD_ALLOCATOR STREQUAL "tcmalloc")
  if(TCMALLOC_MINIMAL_LIBRARY)
    set(DEPTHGUARD_ALLOCATOR_LINKED "tcmalloc")
    message(STATUS "malloc: tcmalloc (${TCMALLOC_MINIMAL_LIBRARY})")
  else()
    message(WARNING "tcmalloc not found (Debian: libgoogle-perftools-dev, installed by scripts/install-deps.sh); "
                    "using glibc's malloc, which makes training several times slower")
  endif()
endif()

# Links the chosen malloc into an executable. Nothing calls tcmalloc by name, so the linker
# is told to keep it even where it drops unreferenced libraries (--as-needed).
function(depthguard_link_allocator target)
  if(DEPTHGUARD_ALLOCATOR_LINKED STREQUAL "tcmalloc")
    target_link_libraries(${target} PRIVATE "-Wl,--push-state,--no-as-needed" ${TCMALLOC_MINIMAL_LIBRARY}
                          "-Wl,--pop-state")
  endif()
endfunction()
