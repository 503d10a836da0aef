using System.Diagnostics;
using BitNative.Tests.Generation;
using Xunit;

namespace BitNative.Tests.Cli;

/// <summary>
/// Every user-facing failure of the CLI is one line, <c>error: ...</c>, naming the option or file at fault and the cause,
/// with the documented exit code (README "Exit codes"): 1 input, 2 usage, 3 output. Nothing crashes, nothing hangs.
/// </summary>
public sealed class CliErrorTests(TinyModelFixture fixture) : IClassFixture<TinyModelFixture>
{
    private static void AssertOneLineError(CliRunner.Result r, int exitCode, string expected)
    {
        Assert.True(r.ExitCode == exitCode, $"exit {r.ExitCode}, expected {exitCode}: {r.Stderr}");
        string[] lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string error = Assert.Single(lines, l => l.StartsWith("error: ", StringComparison.Ordinal));
        Assert.Contains(expected, error);
        Assert.DoesNotContain("   at ", r.Stderr); // no stack trace
        Assert.DoesNotContain("Usage:", r.Stderr); // no help text
    }

    [Theory]
    [InlineData("--temp", "-1", "--temp -1: Sampling option Temperature = -1 is invalid: it must be finite and >= 0")]
    [InlineData("--temp", "Infinity", "--temp Infinity: Sampling option Temperature = ")]
    [InlineData("--seed", "-2", "--seed -2 is invalid: it must be >= 0, or -1 for a random seed")]
    [InlineData("--top-k", "abc", "Cannot parse argument 'abc' for option '--top-k'")]
    [InlineData("--bogus", "1", "Unrecognized command or argument '--bogus'")]
    public void OptionValuesOutsideTheirDomainAreUsageErrors(string option, string value, string expected)
    {
        AssertOneLineError(CliRunner.Run("run", "-m", fixture.Path, "-p", "x", "-n", "1", option, value), 2, expected);
    }

    [Fact]
    public void ScoreRejectsAnEmptyIdInTheList() =>
        AssertOneLineError(CliRunner.Run("score", "-m", fixture.Path, "--ids", "1,,2", "--save-logits", Path.Combine(fixture.Folder, "x.f32")), 2,
            "--ids 1,,2: item 2 is empty");

    [Fact]
    public void AContextAboveTheTrainingContextNeedsForceCtxAndAHugeOneIsRefusedBeforeAllocating()
    {
        AssertOneLineError(CliRunner.Run("run", "-m", fixture.Path, "-p", "x", "-n", "1", "-c", "4096"), 2,
            "--ctx-size 4096 is above the 512 positions the model was trained on; positions past them give unreliable output (pass --force-ctx to run anyway)");
        var forced = CliRunner.Run("run", "-m", fixture.Path, "-p", "x", "-n", "1", "-c", "4096", "--force-ctx", "-t", "1");
        Assert.True(forced.ExitCode == 0, forced.Stderr);
        Assert.Contains("warning: --ctx-size 4096 is above the 512 positions", forced.Stderr);

        // 2^24 positions x 128 values do not fit one array: refused at load with the numbers, not an OverflowException.
        AssertOneLineError(CliRunner.Run("run", "-m", fixture.Path, "-p", "x", "-n", "1", "-c", "16777216", "--force-ctx"), 2,
            "--ctx-size: A context of 16777216 positions is too large");
        // Perplexity with a window far beyond the training context stops at once instead of running for minutes.
        string text = Path.Combine(fixture.Folder, "ppl.txt");
        File.WriteAllText(text, "the boat sailed");
        var clock = Stopwatch.StartNew();
        AssertOneLineError(CliRunner.Run("perplexity", "-m", fixture.Path, "-f", text, "-c", "100000"), 2, "--ctx-size 100000 is above the 512 positions");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60));
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void UnusableInputFilesAreInputErrorsNamingTheFile()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "FIFOs and symbolic links as on Linux");
        string folder = Path.Combine(fixture.Folder, "inputs");
        Directory.CreateDirectory(folder);
        string fifo = Path.Combine(folder, "fifo.gguf"), loop = Path.Combine(folder, "loop.gguf");
        using (Process mkfifo = Process.Start("mkfifo", fifo))
        {
            mkfifo.WaitForExit();
        }

        File.CreateSymbolicLink(loop, loop);

        AssertOneLineError(CliRunner.Run("run", "-m", fifo, "-p", "x"), 1, $"{fifo}: is a named pipe (FIFO), not a regular file");
        AssertOneLineError(CliRunner.Run("run", "-m", loop, "-p", "x"), 1, $"{loop}: too many levels of symbolic links");
        AssertOneLineError(CliRunner.Run("run", "-m", fixture.Path, "-f", folder), 1, $"{folder}: is a directory, not a file");
        AssertOneLineError(CliRunner.Run("run", "-m", fixture.Path, "-f", fifo), 1, $"{fifo}: is a named pipe (FIFO)");
        AssertOneLineError(CliRunner.Run("inspect", folder), 1, $"{folder}: is a directory; inspect reads a GGUF file");
        AssertOneLineError(CliRunner.Run("perplexity", "-m", fixture.Path, "-f", Path.Combine(folder, "none.txt")), 1,
            $"{Path.Combine(folder, "none.txt")}: no such file or directory");

        // EACCES: a model nobody may read (root reads anything, so the CLI runs unprivileged).
        string unreadable = Path.Combine(folder, "unreadable.gguf");
        File.Copy(fixture.Path, unreadable);
        File.SetUnixFileMode(unreadable, UnixFileMode.None);
        AssertOneLineError(CliRunner.RunUnprivileged("run", "-m", unreadable, "-p", "x", "-n", "1"), 1,
            $"{unreadable}: permission denied (the file cannot be read)");
    }

    [Fact]
    public void OutputsThatCannotBeWrittenAreOutputErrorsAndMissingFoldersAreCreated()
    {
        string folder = Path.Combine(fixture.Folder, "outputs");
        Directory.CreateDirectory(folder);
        AssertOneLineError(CliRunner.Run("score", "-m", fixture.Path, "-p", "hi", "--save-logits", folder), 3, $"{folder}: is a directory; give a file name");
        AssertOneLineError(CliRunner.Run("make-model", "--shape", "tiny", "-o", folder), 3, $"{folder}: is a directory; give a file name");

        string nested = Path.Combine(folder, "new", "deeper", "logits.f32");
        var r = CliRunner.Run("score", "-m", fixture.Path, "-p", "hi", "--save-logits", nested, "-t", "1");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.True(new FileInfo(nested).Length > 0);
        Assert.Equal([nested], Directory.GetFiles(Path.GetDirectoryName(nested)!)); // no temporary file left
    }
}
