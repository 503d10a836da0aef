using System.Runtime.InteropServices;

namespace BitNative.Interop;

/// <summary>What a path names, as far as opening it for reading is concerned.</summary>
internal enum PathKind
{
    /// <summary>The probe is not available on this system (not Linux/glibc): the caller falls back to .NET's checks.</summary>
    Unknown,
    RegularFile,
    Directory,
    Fifo,
    CharacterDevice,
    BlockDevice,
    Socket,
    Missing,
    SymbolicLinkLoop,
    AccessDenied,
    NameTooLong,
}

/// <summary>
/// The type of the file a path names (symbolic links followed), found without opening it: .NET has no API for it, and
/// opening a FIFO for reading blocks until a writer appears, so a model path that names one would hang the process.
/// Linux only, through glibc's <c>statx</c> (2.28+), whose buffer layout is the same on every architecture; elsewhere
/// (and where glibc is absent) the answer is <see cref="PathKind.Unknown"/>.
/// </summary>
internal static partial class FileTypeProbe
{
    private const string Glibc = "libc.so.6";
    private const int AtFdCwd = -100;   // <fcntl.h>: paths relative to the working directory
    private const uint StatxType = 0x1; // STATX_TYPE: only stx_mode's file type is wanted
    private const int StatxBytes = 256; // sizeof(struct statx)
    private const int ModeOffset = 28;  // offsetof(struct statx, stx_mode), a u16

    // errno values of Linux (asm-generic, the same on x86-64 and arm64).
    private const int Enoent = 2, Eacces = 13, Enotdir = 20, Enametoolong = 36, Eloop = 40;

    private static volatile bool s_unavailable = !OperatingSystem.IsLinux();

    [LibraryImport(Glibc, EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Statx(int dirfd, string path, int flags, uint mask, Span<byte> buffer);

    /// <summary>What <paramref name="path"/> names, following symbolic links.</summary>
    public static PathKind Probe(string path)
    {
        if (s_unavailable)
        {
            return PathKind.Unknown;
        }

        Span<byte> buffer = stackalloc byte[StatxBytes];
        int result;
        try
        {
            result = Statx(AtFdCwd, path, 0, StatxType, buffer);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            s_unavailable = true; // musl, or glibc before 2.28
            return PathKind.Unknown;
        }

        if (result != 0)
        {
            return Marshal.GetLastPInvokeError() switch
            {
                Enoent or Enotdir => PathKind.Missing,
                Eloop => PathKind.SymbolicLinkLoop,
                Eacces => PathKind.AccessDenied,
                Enametoolong => PathKind.NameTooLong,
                _ => PathKind.Unknown,
            };
        }

        int mode = BitConverter.ToUInt16(buffer.Slice(ModeOffset, 2)) & 0xF000; // S_IFMT
        return mode switch
        {
            0x8000 => PathKind.RegularFile,
            0x4000 => PathKind.Directory,
            0x1000 => PathKind.Fifo,
            0x2000 => PathKind.CharacterDevice,
            0x6000 => PathKind.BlockDevice,
            0xC000 => PathKind.Socket,
            _ => PathKind.Unknown,
        };
    }
}
