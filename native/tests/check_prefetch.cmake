# Every kernel whose source asks for software prefetches must still contain prefetch instructions once
# compiled: GCC once proved a static prefetch helper "const" and deleted every call (the Q8_0 head then
# streamed at 12 instead of 18 GB/s with all tests green). Run by ctest as
#   cmake -DOBJDUMP=... -DPATTERN=<instruction regex> -DSOURCE_ROOT=<native/src> -DOBJECTS=<a;b;...> -P check_prefetch.cmake
set(checked 0)
set(missing "")
foreach(obj ${OBJECTS})
  # CMake names objects <source path relative to the target>.o: .../src/kernels/x86/foo.c.o
  string(REGEX MATCH "kernels/[a-z0-9]+/[^/]+\\.c" rel "${obj}")
  if(NOT rel)
    continue()
  endif()
  file(READ "${SOURCE_ROOT}/${rel}" source)
  # (the dense float kernels prefetch through the tile walk of the dense-float-avx* header they include, the
  # 4-bit and k-quant kernels through kq_prefetch_slot of kquant-x86.h / kquant-arm.h)
  if(NOT source MATCHES "_mm_prefetch|__builtin_prefetch|BN_LUT_PREFETCH|bn_prefetch_bytes|dense-float-avx|kq_prefetch_slot")
    continue()
  endif()
  execute_process(COMMAND ${OBJDUMP} -d "${obj}" OUTPUT_VARIABLE disassembly RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${OBJDUMP} -d ${obj} failed")
  endif()
  math(EXPR checked "${checked} + 1")
  if(NOT disassembly MATCHES "${PATTERN}")
    list(APPEND missing "${rel}")
  endif()
endforeach()
if(missing)
  message(FATAL_ERROR "software prefetches compiled out of: ${missing}")
endif()
if(checked EQUAL 0)
  message(FATAL_ERROR "no kernel object with prefetches found among the objects given")
endif()
message(STATUS "prefetch instructions present in all ${checked} kernels that ask for them")
