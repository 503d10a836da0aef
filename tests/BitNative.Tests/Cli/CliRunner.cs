using System.Diagnostics;

namespace BitNative.Tests.Cli;

/// <summary>Runs the real `bitnative` CLI (BitNative.Cli.dll next to the tests) as a child process.</summary>
internal static class CliRunner
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static Result Run(params string[] args) => RunWithEnvironment(new Dictionary<string, string>(), args);

    /// <summary>Runs the CLI with <paramref name="environment"/> added to (or replacing entries of) the inherited environment.</summary>
    public static Result RunWithEnvironment(IReadOnlyDictionary<string, string> environment, params string[] args) =>
        Run([], environment, args);

    /// <summary>
    /// Runs the CLI as a user without privileges, so file permissions apply: as root (CI) through setpriv as nobody,
    /// otherwise as the current user.
    /// </summary>
    public static Result RunUnprivileged(params string[] args) =>
        Environment.UserName == "root"
            ? Run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"], new Dictionary<string, string> { ["HOME"] = Path.GetTempPath() }, args)
            : Run([], new Dictionary<string, string>(), args);

    private static Result Run(string[] launcher, IReadOnlyDictionary<string, string> environment, string[] args)
    {
        var info = new ProcessStartInfo(launcher.Length > 0 ? launcher[0] : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string a in launcher.Skip(1))
        {
            info.ArgumentList.Add(a);
        }

        if (launcher.Length > 0)
        {
            info.ArgumentList.Add(DotnetHost());
        }

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

    /// <summary>The dotnet host on the PATH, by its full path (for a launcher such as setpriv, which has another PATH).</summary>
    private static string DotnetHost() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
        .Select(dir => Path.Combine(dir, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet"))
        .FirstOrDefault(File.Exists) ?? "dotnet";
}
