using System.Diagnostics;
using BitNative.Formats;
using BitNative.Formats.Gguf;
using BitNative.Tests.Model;
using Xunit;

namespace BitNative.Tests.Formats;

/// <summary>
/// Paths that are not readable regular files fail before anything opens them, with one line naming the path and the
/// cause; a FIFO in particular fails at once instead of blocking until a writer appears.
/// </summary>
public sealed class InputFileTests : TempFolderTests
{
    [Fact]
    public async Task AFifoAsTheModelIsRefusedWithoutOpeningIt()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "FIFOs are made with mkfifo on Linux");
        string fifo = Folder.File("model.gguf");
        using (Process mkfifo = Process.Start("mkfifo", fifo))
        {
            mkfifo.WaitForExit();
            Assert.Equal(0, mkfifo.ExitCode);
        }

        // Opening it would block this thread forever: the load runs aside, and must fail within seconds.
        Task<Exception?> load = Task.Run(() => Record.Exception(() => BitNetModel.Load(fifo).Dispose()), TestContext.Current.CancellationToken);
        Exception? failure = await load.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken); // TimeoutException: it hung
        var e = Assert.IsType<IOException>(failure);
        Assert.Equal($"{fifo}: is a named pipe (FIFO), not a regular file; it is not opened (a model or text input must be a file).", e.Message);
    }

    [Fact]
    public void DevicesSymlinkLoopsDirectoriesAndMissingFilesEachSayWhatTheyAre()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "/dev/null and symbolic links as on Linux");
        string loop = Folder.File("loop.gguf");
        File.CreateSymbolicLink(loop, Folder.File("loop2.gguf"));
        File.CreateSymbolicLink(Folder.File("loop2.gguf"), loop);
        Directory.CreateDirectory(Folder.File("dir.gguf"));

        Assert.Contains("/dev/null: is a character device, not a regular file", Assert.Throws<IOException>(() => GgufFile.Open("/dev/null")).Message);
        Assert.Contains($"{loop}: too many levels of symbolic links", Assert.Throws<IOException>(() => BitNetModel.Load(loop)).Message);
        Assert.Contains($"{Folder.File("dir.gguf")}: is a directory, not a file", Assert.Throws<IOException>(() => GgufFile.Open(Folder.File("dir.gguf"))).Message);
        Assert.Contains("no such file or directory", Assert.Throws<FileNotFoundException>(() => BitNetModel.Load(Folder.File("none.gguf"))).Message);
    }

    [Theory]
    [InlineData("{not json", "config.json is not valid JSON", "LineNumber: 0 | BytePositionInLine: 1")]
    [InlineData("", "config.json is not valid JSON", "LineNumber: 0 | BytePositionInLine: 0")]
    [InlineData("[1,2]", "config.json: expected a JSON object, found a list", "")]
    public void ABrokenConfigJsonNamesTheFileAndThePosition(string config, string expected, string position)
    {
        string dir = HfCheckpointWriter.Write(Folder.File("hf"), new HfCheckpointSpec("bitnet", "autobitlinear", "online", true, false,
            HfWeights.FloatContinuous), seed: 1);
        File.WriteAllText(Path.Combine(dir, "config.json"), config);
        var e = Assert.Throws<InvalidDataException>(() => BitNetModel.Load(dir));
        Assert.Contains(Path.Combine(dir, "config.json"), e.Message);
        Assert.Contains(expected, e.Message);
        Assert.Contains(position, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void InputFileReadsRegularFilesAndSymlinksToThem()
    {
        string text = Folder.Write("a.txt", "hello"u8.ToArray());
        string link = Folder.File("link.txt");
        File.CreateSymbolicLink(link, text);
        Assert.Equal("hello", InputFile.ReadAllText(link));
        Assert.True(InputFile.RequireFileOrFolder(Folder.Path));
    }
}
