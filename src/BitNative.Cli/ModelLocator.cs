namespace BitNative.Cli;

/// <summary>Finds the model to load when -m is not given: $BITNATIVE_MODEL, then the model bundled with the tool.</summary>
internal static class ModelLocator
{
    public const string EnvironmentVariable = "BITNATIVE_MODEL";

    public static string Resolve(string? given)
    {
        if (!string.IsNullOrEmpty(given))
        {
            return given;
        }

        string? fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return fromEnvironment;
        }

        var tried = new List<string>();
        foreach (string candidate in BundledCandidates())
        {
            if (File.Exists(candidate))
            {
                return candidate;
            }

            tried.Add(candidate);
        }

        throw new CliException(
            $"No model given: pass -m FILE.gguf, set {EnvironmentVariable}, or build the bundled model (looked for {string.Join(", ", tried)}).");
    }

    private static IEnumerable<string> BundledCandidates()
    {
        yield return Path.Combine(AppContext.BaseDirectory, "models", "default.gguf");
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(Path.Combine(dir, "BitNative.sln")))
            {
                yield return Path.Combine(dir, "models", "default.gguf");
                yield return Path.Combine(dir, "artifacts", "models", "tiny.gguf");
                yield break;
            }
        }
    }
}

/// <summary>A user-facing error: printed as one line, no stack trace, exiting with <paramref name="exitCode"/> (usage by default).</summary>
internal sealed class CliException(string message, int exitCode = ExitCodes.Usage) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
