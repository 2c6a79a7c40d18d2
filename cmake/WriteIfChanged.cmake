# write_if_changed(PATH TEXT): writes TEXT to PATH unless PATH already holds it, so that a
# generated source keeps its timestamp (and nothing recompiles) when its text is the same.
function(write_if_changed path text)
  set(old "")
  if(EXISTS "${path}")
    file(READ "${path}" old)
  endif()
  if(NOT old STREQUAL text)
    file(WRITE "${path}" "${text}")
  endif()
endfunction()
