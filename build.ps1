<#
.SYNOPSIS
  BitNative build driver for Windows; mirrors build.sh.

.DESCRIPTION
    .\build.ps1            build the native library (win-x64) and the .NET solution
    .\build.ps1 run [...]  build, then run the `bitnative` CLI (default: generate text from the default model)
    .\build.ps1 test       build, then run ctest, the generated-bindings check (BindGen --check) and all xUnit tests
    .\build.ps1 pack       build, then produce NuGet packages in artifacts\nuget for the RIDs whose native libraries
                           are in artifacts\native\<rid>\ (default: win-x64 only; set BITNATIVE_PACK_RIDS, e.g.
                           "linux-x64 linux-arm64 win-x64", after placing the other libraries there)
    .\build.ps1 bench ...  build, then run the BenchmarkDotNet suite (arguments go to BenchmarkDotNet)
  Environment: CONFIGURATION (Release), CC (the C compiler), BITNATIVE_PACK_RIDS.

  Needs: the .NET SDK of global.json, CMake >= 3.20, and a GCC or Clang that targets MinGW-w64 (MSYS2's ucrt64,
  mingw64 or clang64 environments, WinLibs, llvm-mingw) with Ninja or mingw32-make. MSVC (cl.exe) and the MSVC-flavoured
  clang cannot build the library: native/ uses GCC-style per-file ISA flags (-mavx2, ...) and links libgcc
  statically. BindGen --check also needs libclang (LLVM for Windows; found in "$env:ProgramFiles\LLVM" or through
  BINDGEN_LIBCLANG).

  Not run on Windows by its author (there is no Windows or PowerShell machine where it was written): it was checked
  by reading, parsed by PowerShell 7, and run there on Linux, where the same code paths build with gcc and make.
  Release packages for all RIDs come from ./build.sh pack on Linux (cross-compilers) plus the macOS CI job; the
  package smoke test (build/nuget/smoke-test.sh) runs there too. Keep this script simple.
#>
#requires -Version 5.1
# No param() block on purpose: `.\build.ps1 run -p "Hello"` must pass -p through to the CLI, and a declared
# parameter set would try to bind it (or reject it as ambiguous) instead.
$Command = if ($args.Count -gt 0) { "$($args[0])" } else { 'build' }
# @(...) around the whole expression: assigning an `if` unwraps a one-element array into a scalar.
$Rest = @(if ($args.Count -gt 1) { $args[1..($args.Count - 1)] | ForEach-Object { "$_" } })
if ($Command -notin 'build', 'run', 'test', 'pack', 'bench', 'help', '-h', '--help') {
    Write-Error "unknown command '$Command' (try .\build.ps1 help)"
    exit 2
}

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

$Root = $PSScriptRoot
$Configuration = if ($env:CONFIGURATION) { $env:CONFIGURATION } else { 'Release' }
$Artifacts = Join-Path $Root 'artifacts'
$Jobs = [Environment]::ProcessorCount
$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
$env:DOTNET_NOLOGO = '1'
$env:DOTNET_SKIP_FIRST_TIME_EXPERIENCE = '1'

# Windows PowerShell 5.1 has no $IsWindows; RuntimeInformation works in both.
$RI = [System.Runtime.InteropServices.RuntimeInformation]
$OnWindows = $RI::IsOSPlatform([System.Runtime.InteropServices.OSPlatform]::Windows)

function Write-Step([string] $Message) { Write-Host "==> $Message" -ForegroundColor Cyan }

# Runs a program and stops the script when it fails (native programs do not throw on a non-zero exit code).
# Output goes to the host, so functions that call tools still return only their own values.
function Invoke-Tool([string] $Exe, [string[]] $Arguments) {
    & $Exe @Arguments | Out-Host
    if ($LASTEXITCODE -ne 0) { throw "$Exe $($Arguments -join ' ') failed (exit code $LASTEXITCODE)" }
}

function Test-Command([string] $Name) { return [bool](Get-Command $Name -ErrorAction SilentlyContinue) }

function Get-HostRid {
    $arch = $RI::OSArchitecture.ToString()
    if ($OnWindows) {
        if ($arch -eq 'X64') { return 'win-x64' }
        throw "unsupported Windows architecture $arch (BitNative builds win-x64 only)"
    }
    # Other systems: only so the script can be exercised there; build.sh is the driver on Linux and macOS.
    $os = if ($RI::IsOSPlatform([System.Runtime.InteropServices.OSPlatform]::OSX)) { 'osx' } else { 'linux' }
    switch ($arch) {
        'X64' { return "$os-x64" }
        'Arm64' { return "$os-arm64" }
        default { throw "unsupported architecture $arch" }
    }
}

function Get-LibName([string] $Rid) {
    if ($Rid.StartsWith('win-')) { return 'bitnative.dll' }
    if ($Rid.StartsWith('osx-')) { return 'libbitnative.dylib' }
    return 'libbitnative.so'
}

# CMake arguments that choose a MinGW-w64 GCC or Clang and a generator on Windows (first configure only: an
# existing build folder keeps its generator and compiler).
function Get-WindowsToolchainArgs([string] $BuildDir) {
    if (Test-Path (Join-Path $BuildDir 'CMakeCache.txt')) { return @() }
    $cc = $env:CC
    if (-not $cc) {
        foreach ($candidate in 'gcc', 'clang') { if (Test-Command $candidate) { $cc = $candidate; break } }
    }
    if (-not $cc) { throw 'no C compiler: install a MinGW-w64 GCC or Clang (e.g. MSYS2 ucrt64) and put it on PATH, or set CC' }
    $target = (& $cc -dumpmachine) -join ''
    if ($target -notmatch 'mingw|windows-gnu') {
        throw "$cc targets '$target'; BitNative needs a compiler for MinGW-w64 (x86_64-w64-mingw32 / windows-gnu)"
    }
    $generatorArgs = if (Test-Command 'ninja') { @('-G', 'Ninja') }
                     elseif (Test-Command 'mingw32-make') { @('-G', 'MinGW Makefiles') }
                     else { throw 'CMake needs ninja or mingw32-make on PATH' }
    return $generatorArgs + @("-DCMAKE_C_COMPILER=$cc")
}

# Configures, builds and stages libbitnative for the host, like build_native in build.sh.
function Build-Native {
    $rid = Get-HostRid
    $dir = Join-Path $Artifacts "cmake/$rid"
    Write-Step "native $rid"
    $cmakeArgs = @('-S', $Root, '-B', $dir, '-DCMAKE_BUILD_TYPE=Release')
    if ($OnWindows) {
        $cmakeArgs += Get-WindowsToolchainArgs $dir
        # --no-insert-timestamp: no link time in the PE header, so the DLL is the same bytes every build (as build.sh's
        # mingw build). -static: MSYS2's and most native MinGW GCCs use the posix thread model, whose TLS emulation
        # would make the DLL need libwinpthread-1.dll; linking it (and libgcc) in leaves only system DLLs to import.
        $cmakeArgs += '-DCMAKE_SHARED_LINKER_FLAGS=-Wl,--no-insert-timestamp -static'
    }
    Invoke-Tool cmake $cmakeArgs
    Invoke-Tool cmake @('--build', $dir, '-j', "$Jobs")
    $staged = Join-Path $Artifacts "native/$rid"
    New-Item -ItemType Directory -Force -Path $staged | Out-Null
    Copy-Item (Join-Path $dir "native/$(Get-LibName $rid)") $staged -Force
    return $rid
}

function Build-All {
    $rid = Build-Native
    Write-Step "dotnet build ($Configuration)"
    Invoke-Tool dotnet @('build', (Join-Path $Root 'BitNative.sln'), '-c', $Configuration, '-nologo', '-v', 'quiet')
    return $rid
}

function Invoke-Test {
    $rid = Build-All
    Write-Step "ctest $rid"
    Invoke-Tool ctest @('--test-dir', (Join-Path $Artifacts "cmake/$rid"), '--output-on-failure', '-j', "$Jobs")

    Write-Step 'bindings are up to date (BindGen --check)'
    $llvm = if ($env:ProgramFiles) { Join-Path $env:ProgramFiles 'LLVM' } else { $null }
    if ($OnWindows -and -not $env:BINDGEN_LIBCLANG -and $llvm -and (Test-Path (Join-Path $llvm 'bin/libclang.dll'))) {
        $env:BINDGEN_LIBCLANG = Join-Path $llvm 'bin/libclang.dll'
        # LLVM for Windows keeps clang's headers in lib\clang\<version>, not next to libclang.dll.
        $clang = Join-Path $llvm 'bin/clang.exe'
        if (-not $env:BINDGEN_CLANG_RESOURCE_DIR -and (Test-Path $clang)) {
            $env:BINDGEN_CLANG_RESOURCE_DIR = (& $clang -print-resource-dir) -join ''
        }
    }
    Invoke-Tool dotnet @('run', '--project', (Join-Path $Root 'build/BindGen'), '-c', $Configuration, '--no-build', '--', '--check')

    # The test data script is bash: Git for Windows' bash by preference (a bare `bash` on Windows may be WSL's, which
    # would not see this Windows toolchain); without bash the tests that need the data skip.
    $fetch = Join-Path $Root 'build/fetch-test-data.sh'
    $bash = if ($OnWindows -and $env:ProgramFiles -and (Test-Path (Join-Path $env:ProgramFiles 'Git/bin/bash.exe'))) {
        Join-Path $env:ProgramFiles 'Git/bin/bash.exe'
    } elseif (Test-Command 'bash') { 'bash' } else { $null }
    if ((Test-Path $fetch) -and $bash) {
        Write-Step 'test data'
        Invoke-Tool $bash @($fetch)
    }

    Write-Step 'dotnet test'
    Invoke-Tool dotnet @('test', (Join-Path $Root 'BitNative.sln'), '-c', $Configuration, '--no-build', '-nologo')
}

# The same steps as build/nuget/pack.sh (read it for the why), without its binary checks.
function Invoke-Pack {
    Build-Native | Out-Null
    $ridList = if ($env:BITNATIVE_PACK_RIDS) { $env:BITNATIVE_PACK_RIDS } else { Get-HostRid }
    $rids = @($ridList -split '\s+' | Where-Object { $_ })
    $feed = Join-Path $Artifacts 'nuget'
    $work = Join-Path $Artifacts 'pack'
    foreach ($path in $feed, (Join-Path $work 'native'), (Join-Path $work 'packages')) {
        if (Test-Path $path) { Remove-Item -Recurse -Force $path }
    }
    New-Item -ItemType Directory -Force -Path $feed | Out-Null

    if (-not $env:SOURCE_DATE_EPOCH) {
        $epoch = if (Test-Command 'git') { (& git -C $Root log -1 --format=%ct 2>$null) -join '' } else { '' }
        $env:SOURCE_DATE_EPOCH = if ($LASTEXITCODE -eq 0 -and $epoch) { $epoch } else { '315532800' }
    }

    $strip = @('strip', 'llvm-strip') | Where-Object { Test-Command $_ } | Select-Object -First 1
    foreach ($rid in $rids) {
        $lib = Get-LibName $rid
        $source = Join-Path $Artifacts "native/$rid/$lib"
        if (-not (Test-Path $source)) { throw "no native library for $rid at $source" }
        $stagedDir = Join-Path $work "native/$rid"
        New-Item -ItemType Directory -Force -Path $stagedDir | Out-Null
        Copy-Item $source $stagedDir -Force
        $staged = Join-Path $stagedDir $lib
        # Only the host's own format is stripped here; libraries built elsewhere arrive stripped (pack.sh, ci.yml).
        if ($rid -eq (Get-HostRid) -and -not $rid.StartsWith('osx-')) {
            if (-not $strip) { throw 'strip (binutils) or llvm-strip is needed to strip the native library' }
            $mode = if ($rid.StartsWith('win-')) { '--strip-all' } else { '--strip-unneeded' }
            Invoke-Tool $strip @($mode, $staged)
        }
        # A stock Windows has KERNEL32 and the C runtime, nothing from a MinGW installation.
        if ($rid.StartsWith('win-') -and (Test-Command 'objdump')) {
            $imports = @(& objdump -p $staged | Select-String 'DLL Name:\s*(\S+)' | ForEach-Object { $_.Matches[0].Groups[1].Value.ToLowerInvariant() })
            $foreign = @($imports | Where-Object { $_ -notmatch '^(kernel32|msvcrt|ucrtbase|api-ms-win-crt-.*)\.dll$' })
            if ($foreign.Count -gt 0) { throw "$lib imports $($foreign -join ', '), which a stock Windows does not have" }
        }
    }

    $common = @('-c', $Configuration, '-o', $feed, '-nologo', '-v', 'quiet',
        "-p:ArtifactsPath=$work/", '-p:ContinuousIntegrationBuild=true', "-p:RestorePackagesPath=$work/packages")
    $bitnative = Join-Path $Root 'src/BitNative/BitNative.csproj'
    $version = (& dotnet msbuild $bitnative -nologo -getProperty:PackageVersion) -join ''
    Write-Step "packing BitNative $version for $($rids -join ' ')"
    foreach ($rid in $rids) {
        Invoke-Tool dotnet (@('pack', (Join-Path $Root 'build/nuget/BitNative.Runtime.csproj')) + $common +
            @("-p:BitNativeRid=$rid", "-p:BitNativeNativeFile=$(Join-Path $work "native/$rid/$(Get-LibName $rid)")"))
    }
    foreach ($project in 'src/BitNative/BitNative.csproj', 'src/BitNative.Cli/BitNative.Cli.csproj') {
        # The RID list is space-separated: MSBuild would split a -p: value at ';' or ','.
        Invoke-Tool dotnet (@('pack', (Join-Path $Root $project)) + $common +
            @("-p:BitNativePackRuntimeRids=$($rids -join ' ')", "-p:RestoreAdditionalProjectSources=$feed"))
    }
    Write-Step "packages in $feed"
    Get-ChildItem $feed -Filter '*.*nupkg' | ForEach-Object { Write-Host ('  {0,8}  {1}' -f $_.Length, $_.Name) }
}

switch ($Command) {
    'build' { Build-All | Out-Null }
    'run' {
        Build-All | Out-Null
        $cliArgs = @(if ($Rest.Count -gt 0) { $Rest } else { 'run', '-p', 'The little boat sailed' })
        $dll = Join-Path $Artifacts "bin/BitNative.Cli/$($Configuration.ToLowerInvariant())/BitNative.Cli.dll"
        # The CLI falls back to artifacts/models/tiny.gguf when the bundled models/default.gguf is absent; make it once.
        $demo = Join-Path $Artifacts 'models/tiny.gguf'
        if (-not (Test-Path (Join-Path $Root 'models/default.gguf')) -and -not (Test-Path $demo)) {
            Write-Step 'synthetic demo model (artifacts/models/tiny.gguf)'
            Invoke-Tool dotnet @($dll, 'make-model', '--shape', 'tiny', '--seed', '1', '-o', $demo)
        }
        Invoke-Tool dotnet (@($dll) + $cliArgs)
    }
    'test' { Invoke-Test }
    'pack' { Invoke-Pack }
    'bench' {
        Build-All | Out-Null
        Invoke-Tool dotnet (@('run', '--project', (Join-Path $Root 'tests/BitNative.Benchmarks'), '-c', 'Release', '--no-build', '--') + $Rest)
    }
    { $_ -in 'help', '-h', '--help' } { Get-Help $PSCommandPath -Detailed }
}
