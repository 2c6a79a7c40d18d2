# debian_header_first(TARGET NAME DEBIAN_INCLUDE_DIR): the torch Python package (LibTorch 2.x)
# ships headers of libraries that Debian's builds of them also provide: fmt 12 (Debian's
# spdlog was built with fmt 9) and, in some versions, a protobuf older than Debian's
# libprotobuf-lite (2.10: `PROTOBUF_LONGLONG was not declared`). Where the wheel has NAME,
# Debian's copy is put first for TARGET (and what links it) through a directory of links of
# its own, BUILD/debian-first (c10d's headers use nothing the Debian versions lack).
function(debian_header_first target name debian_include_dir)
  if(EXISTS "${TORCH_INSTALL_PREFIX}/include/${name}")
    set(link ${CMAKE_BINARY_DIR}/debian-first/${name})
    get_filename_component(link_parent ${link} DIRECTORY)
    file(MAKE_DIRECTORY ${link_parent})
    file(CREATE_LINK "${debian_include_dir}/${name}" ${link} SYMBOLIC)
    target_include_directories(${target} BEFORE PUBLIC ${CMAKE_BINARY_DIR}/debian-first)
  endif()
endfunction()
