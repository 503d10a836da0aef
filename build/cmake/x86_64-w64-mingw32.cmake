# Cross-compiling bitnative.dll for win-x64 with Debian's gcc-mingw-w64-x86-64.
#
#   cmake -S . -B artifacts/cmake/win-x64 -DCMAKE_TOOLCHAIN_FILE=build/cmake/x86_64-w64-mingw32.cmake \
#         -DBITNATIVE_BUILD_TESTS=OFF
#
# The DLL must load on a stock Windows: native/CMakeLists.txt links libgcc statically and the
# library uses Win32 threads (threadpool.c), so it depends only on KERNEL32 and the C runtime.
# Debian ships two flavours of the compiler: -win32 (Win32 thread model: C11 _Thread_local is
# emulated inside libgcc, no libwinpthread) and -posix (needs libwinpthread-1.dll). Use -win32.

set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR AMD64)

if(NOT BN_MINGW_PREFIX)
  set(BN_MINGW_PREFIX x86_64-w64-mingw32)
endif()
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES BN_MINGW_PREFIX)

find_program(BN_MINGW_CC NAMES ${BN_MINGW_PREFIX}-gcc-win32 ${BN_MINGW_PREFIX}-gcc REQUIRED)
set(CMAKE_C_COMPILER ${BN_MINGW_CC})
set(CMAKE_RC_COMPILER ${BN_MINGW_PREFIX}-windres)
set(CMAKE_AR ${BN_MINGW_PREFIX}-ar CACHE FILEPATH "archiver")
set(CMAKE_RANLIB ${BN_MINGW_PREFIX}-ranlib CACHE FILEPATH "ranlib")

set(CMAKE_FIND_ROOT_PATH /usr/${BN_MINGW_PREFIX})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Tests (if enabled) run under wine when it is installed.
# Debian installs the wine64 loader in /usr/lib/wine (the `wine` package adds /usr/bin wrappers).
find_program(BN_WINE NAMES wine64 wine PATHS /usr/lib/wine)
if(BN_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${BN_WINE})
endif()
