using BitNative.Formats;
using Xunit;

namespace BitNative.Tests.Formats;

/// <summary>
/// Outputs replace their target only when complete: a failure at any point leaves the old file and no temporary file.
/// (The same on a really full disk: tests/reliability/full-disk.sh.)
/// </summary>
public sealed class AtomicFileTests : TempFolderTests
{
    [Fact]
    public void AFailedWriteKeepsTheExistingFileAndLeavesNoTemporaryFile()
    {
        string path = Folder.Write("model.gguf", "old contents"u8.ToArray());
        var e = Assert.Throws<OutputFileException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write(new byte[100_000]);
            throw new IOException("No space left on device : '" + path + "'");
        }));
        Assert.Equal($"{path}: cannot write it: no space left on device; the existing file is unchanged.", e.Message);
        Assert.Equal("old contents", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(Folder.Path));

        // A bug in the writer (not an I/O error) propagates as it is, with the same guarantee.
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, _ => throw new InvalidOperationException()));
        Assert.Equal("old contents", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(Folder.Path));
    }

    [Fact]
    public void AWriteReplacesTheFileKeepsItsModeAndCreatesMissingFolders()
    {
        string path = Folder.Write("out.f32", "old"u8.ToArray());
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        AtomicFile.WriteAllText(path, "new");
        Assert.Equal("new", File.ReadAllText(path));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }

        string nested = Folder.File(Path.Combine("a", "b", "c.bin"));
        AtomicFile.WriteAllBytes(nested, new byte[] { 1, 2, 3 });
        Assert.Equal(new byte[] { 1, 2, 3 }, File.ReadAllBytes(nested));
        Assert.Equal([path], Directory.GetFiles(Folder.Path));
    }

    [Fact]
    public void ASymlinkTargetIsReplacedAndTheLinkKept()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "symbolic links as on Linux");
        string real = Folder.Write("real.gguf", "old"u8.ToArray());
        string link = Folder.File("link.gguf");
        File.CreateSymbolicLink(link, real);
        AtomicFile.WriteAllText(link, "new");
        Assert.Equal("new", File.ReadAllText(real));
        Assert.Equal(real, new FileInfo(link).LinkTarget);
    }

    [Fact]
    public void ADirectoryOrASpecialFileIsNeverReplaced()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "FIFOs are made with mkfifo on Linux");
        Assert.Equal($"{Folder.Path}: is a directory; give a file name.",
            Assert.Throws<OutputFileException>(() => AtomicFile.WriteAllText(Folder.Path, "x")).Message);
        Assert.True(Directory.Exists(Folder.Path));

        // A FIFO of our own stands for every special file: a test must not risk /dev/null (we may run as root).
        string fifo = Folder.File("fifo");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", fifo))
        {
            mkfifo.WaitForExit();
        }

        Assert.Equal($"{fifo}: is a named pipe (FIFO), not a regular file; refusing to replace it.",
            Assert.Throws<OutputFileException>(() => AtomicFile.WriteAllText(fifo, "x")).Message);
        Assert.Equal(Interop.PathKind.Fifo, Interop.FileTypeProbe.Probe(fifo));
    }
}
