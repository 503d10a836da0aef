using System.Diagnostics;

namespace BitNative.Tests.Cli;

/// <summary>Runs the real `bitnative` CLI (BitNative.Cli.dll next to the tests) as a child process.</summary>
internal static class CliRunner
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static Result Run(params string[] args) => RunWithEnvironment(new Dictionary<string, string>(), args);

    /// <summary>Runs the CLI with <paramref name="environment"/> added to (or replacing entries of) the inherited environment.</summary>
    public static Result RunWithEnvironment(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "BitNative.Cli.dll"));
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment.Remove("BITNATIVE_MODEL");
        foreach ((string name, string value) in environment)
        {
            info.Environment[name] = value;
        }

        using Process process = Process.Start(info)!;
        process.StandardInput.Close();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(120_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"bitnative {string.Join(' ', args)} did not finish in 120 s");
        }

        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }
}
