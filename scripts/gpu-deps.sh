#!/usr/bin/env bash
# Prepares, on this (Debian) machine, the C++ dependencies that the GPU machine lacks, for
# scripts/gpu-check.sh to use there: it has PyTorch (LibTorch 2.x with CUDA), CMake and
# ninja, but no apt and no network. Downloads the Debian packages below, unpacks them with
# dpkg -x into .gpu-deps/root (ignored by git; the device tool carries it: carry
# [".gpu-deps"]), and writes .gpu-deps/opencv/OpenCVConfig.cmake for OpenCV's core and
# imgproc alone: Debian's own OpenCV config insists on every module being present, and
# imgcodecs alone pulls in about 140 libraries, GDAL among them (depthguard reads images
# with libpng and libjpeg itself). Gloo's headers for LibTorch 2.x go to .gpu-deps/gloo, as
# make test gets them (scripts/torch2-env.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
out=.gpu-deps

PACKAGES=(
  libyaml-cpp-dev libyaml-cpp0.7
  libcli11-dev
  libspdlog-dev libspdlog1.10
  libfmt-dev libfmt9
  nlohmann-json3-dev
  libgtest-dev libgmock-dev
  libbenchmark-dev libbenchmark1debian
  libopencv-core-dev libopencv-core406 libopencv-imgproc-dev libopencv-imgproc406
  libtbb12 libglx0 libglvnd0 libblas3 liblapack3 libgfortran5 libquadmath0
  libpng-dev libpng16-16 libjpeg62-turbo-dev libjpeg62-turbo zlib1g-dev
  libprotobuf-dev libprotobuf-lite32 libprotobuf32
  libjs-chart.js
)

rm -rf "$out"
mkdir -p "$out/debs" "$out/root" "$out/opencv"
(cd "$out/debs" && apt-get download "${PACKAGES[@]}" >/dev/null 2>&1)
for deb in "$out"/debs/*.deb; do dpkg -x "$deb" "$out/root"; done
rm -rf "$out/debs" "$out/root/usr/share/doc" "$out/root/usr/share/man" "$out/root/usr/share/lintian"
# Static archives where a shared library is there too (GoogleTest ships only static ones).
find "$out/root" -name '*.a' ! -name 'libgtest*' ! -name 'libgmock*' ! -name 'libbenchmark*' -delete

# Debian's BLAS and LAPACK live in subfolders behind alternatives that dpkg -x does not
# create: link them where OpenCV's core looks.
lib="$out/root/usr/lib/x86_64-linux-gnu"
ln -sf blas/libblas.so.3 "$lib/libblas.so.3"
ln -sf lapack/liblapack.so.3 "$lib/liblapack.so.3"
# zlib1g-dev's link names this machine's zlib version; every machine has libz.so.1.
ln -sf /lib/x86_64-linux-gnu/libz.so.1 "$lib/libz.so"

cat >"$out/opencv/OpenCVConfig.cmake" <<'EOF'
# OpenCV's core and imgproc from the Debian packages unpacked by scripts/gpu-deps.sh.
get_filename_component(_opencv_root "${CMAKE_CURRENT_LIST_DIR}/../root" ABSOLUTE)
foreach(_module core imgproc)
  if(NOT TARGET opencv_${_module})
    add_library(opencv_${_module} SHARED IMPORTED)
    set_target_properties(opencv_${_module} PROPERTIES
      IMPORTED_LOCATION "${_opencv_root}/usr/lib/x86_64-linux-gnu/libopencv_${_module}.so.406"
      INTERFACE_INCLUDE_DIRECTORIES "${_opencv_root}/usr/include/opencv4")
  endif()
endforeach()
set(OpenCV_LIBS opencv_core opencv_imgproc)
set(OpenCV_VERSION 4.6.0)
set(OpenCV_FOUND TRUE)
EOF
scripts/torch2-env.sh "$out" --gloo-only >/dev/null
echo "gpu-deps: $(du -sh "$out" | cut -f1) in $out (carry [\"$out\"]; scripts/gpu-check.sh uses it)"
