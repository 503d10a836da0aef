# Compiler flags shared by the library and its tests.
#
# -ffp-contract=off: no fused multiply-add unless a kernel writes one, so the scalar reference
#   and every SIMD variant evaluate the same float expressions and agree bit for bit.
# -fno-fast-math (the default, stated): nearest-even rounding and IEEE semantics are part of the spec.

function(bn_configure_target target)
  target_compile_features(${target} PRIVATE c_std_11)
  set_target_properties(${target} PROPERTIES C_STANDARD 11 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF)
  target_include_directories(${target} PRIVATE
    ${PROJECT_SOURCE_DIR}/native/include
    ${PROJECT_SOURCE_DIR}/native/src/core
    ${PROJECT_SOURCE_DIR}/native/src)
  target_compile_definitions(${target} PRIVATE BN_BUILDING_LIBRARY _GNU_SOURCE)
  if(BN_ARCH STREQUAL "x86")
    target_compile_definitions(${target} PRIVATE BN_ARCH_X86)
  elseif(BN_ARCH STREQUAL "arm64")
    target_compile_definitions(${target} PRIVATE BN_ARCH_ARM64)
  endif()
  if(CMAKE_C_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wshadow -Wno-unused-parameter
      -ffp-contract=off -fno-fast-math -fvisibility=hidden)
  endif()
  # MinGW-w64 GCC cannot realign the stack beyond 16 bytes on Win64 (GCC bug 54412), so a spilled
  # __m256/__m512 written with an aligned move (vmovaps/vmovdqa to the stack) faults on Windows
  # although it works on Linux. The assembler option emits unaligned moves instead, which cost the
  # same on aligned data (binutils >= 2.38).
  if(MINGW AND BN_ARCH STREQUAL "x86" AND BN_HAS_UNALIGNED_VECTOR_MOVE)
    target_compile_options(${target} PRIVATE -Wa,-muse-unaligned-vector-move)
  endif()
endfunction()

if(MINGW)
  include(CheckCCompilerFlag)
  check_c_compiler_flag(-Wa,-muse-unaligned-vector-move BN_HAS_UNALIGNED_VECTOR_MOVE)
  if(NOT BN_HAS_UNALIGNED_VECTOR_MOVE)
    message(WARNING "bitnative: the assembler lacks -muse-unaligned-vector-move (binutils < 2.38); "
                    "AVX kernels may fault on Windows if GCC spills vectors with aligned moves")
  endif()
endif()

# Per-file ISA flags from the file name: <op>-<wtype>-<atype>-<isa>.c
function(bn_set_isa_flags sources)
  foreach(src IN LISTS sources)
    get_filename_component(name ${src} NAME_WE)
    set(flags "")
    if(name MATCHES "-avx2$")
      set(flags "-mavx2 -mfma -mf16c")
    elseif(name MATCHES "-avx512vbmi$")
      set(flags "-mavx2 -mfma -mf16c -mavx512f -mavx512bw -mavx512vl -mavx512vnni -mavx512vbmi")
    elseif(name MATCHES "-avx512(vnni)?$")
      set(flags "-mavx2 -mfma -mf16c -mavx512f -mavx512bw -mavx512vl -mavx512vnni")
    elseif(name MATCHES "-neondot$")
      set(flags "-march=armv8.2-a+dotprod")
    elseif(name MATCHES "-neon$")
      set(flags "-march=armv8-a")
    endif()
    if(flags)
      set_source_files_properties(${src} PROPERTIES COMPILE_FLAGS "${flags}")
    endif()
  endforeach()
endfunction()

function(bn_link_system_libraries target)
  if(NOT WIN32)
    set(THREADS_PREFER_PTHREAD_FLAG ON)
    find_package(Threads REQUIRED)
    target_link_libraries(${target} PRIVATE Threads::Threads m)
  endif()
endfunction()
