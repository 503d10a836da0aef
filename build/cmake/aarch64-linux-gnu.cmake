# Cross-compiling BitNative for linux-arm64 with Debian's gcc-aarch64-linux-gnu; the C tests run
# under qemu-user (CMAKE_CROSSCOMPILING_EMULATOR, used by try_run and by any add_test whose command
# is a target; native/tests registers explicit qemu runs with -cpu max and -cpu cortex-a53).
#
#   cmake -S . -B artifacts/cmake/linux-arm64 -DCMAKE_TOOLCHAIN_FILE=build/cmake/aarch64-linux-gnu.cmake \
#         -DCMAKE_BUILD_TYPE=Release
#
# Override the triplet prefix or sysroot with -DBN_CROSS_PREFIX=... / -DBN_SYSROOT=....

set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

if(NOT BN_CROSS_PREFIX)
  set(BN_CROSS_PREFIX aarch64-linux-gnu)
endif()
if(NOT BN_SYSROOT)
  set(BN_SYSROOT /usr/aarch64-linux-gnu)
endif()
# try_compile projects get a fresh cache: pass these through so they see the same values.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES BN_CROSS_PREFIX BN_SYSROOT)

set(CMAKE_C_COMPILER ${BN_CROSS_PREFIX}-gcc)
set(CMAKE_CXX_COMPILER ${BN_CROSS_PREFIX}-g++)
set(CMAKE_AR ${BN_CROSS_PREFIX}-ar CACHE FILEPATH "archiver")
set(CMAKE_RANLIB ${BN_CROSS_PREFIX}-ranlib CACHE FILEPATH "ranlib")
set(CMAKE_STRIP ${BN_CROSS_PREFIX}-strip CACHE FILEPATH "strip")

# Libraries and headers come from the target sysroot only; programs (qemu, cmake tools) from the host.
set(CMAKE_FIND_ROOT_PATH ${BN_SYSROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# -L points qemu's dynamic loader at the target's libc.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -L ${BN_SYSROOT})
