using BitNative.Authoring.Synthetic;
using System.Diagnostics;

namespace BitNative.Cli;

/// <summary>What <c>bench --synthetic</c> asks for: the arguments <c>make-model</c> would take.</summary>
internal sealed record SyntheticRequest(string Shape, string Weights, string Head, string Architecture, int Seed)
{
    public static readonly string[] Shapes = ["small", "2b4t"];
    public static readonly string[] WeightNames = ["i2_s", "tq2_0", "tq1_0"];
    public static readonly string[] HeadNames = ["f16", "q8_0"];
    public static readonly string[] Architectures = ["bitnet-b1.58", "bitnet"];

    /// <summary>The cache file name: every choice that changes the file's bytes is in it.</summary>
    public string FileName => $"synthetic-{Shape}-{Architecture}-{Weights}-{Head}-seed{Seed}.gguf";

    /// <summary>Throws <see cref="CliException"/> naming the first invalid choice.</summary>
    public void Validate()
    {
        Check("--synthetic", Shape, Shapes);
        Check("--synthetic-weights", Weights, WeightNames);
        Check("--synthetic-head", Head, HeadNames);
        Check("--synthetic-arch", Architecture, Architectures);
        if (Weights == "i2_s" && Architecture == "bitnet")
        {
            throw new CliException(
                "--synthetic-arch bitnet files are for llama.cpp, which cannot read I2_S; use --synthetic-weights tq2_0 or tq1_0.");
        }

        static void Check(string option, string value, string[] allowed)
        {
            if (!allowed.Contains(value, StringComparer.Ordinal))
            {
                throw new CliException($"{option} {value} is not one of {string.Join(", ", allowed)}.");
            }
        }
    }

    public SyntheticWeights WeightsKind => Weights switch
    {
        "tq2_0" => SyntheticWeights.Tq2,
        "tq1_0" => SyntheticWeights.Tq1,
        _ => SyntheticWeights.I2S,
    };

    public SyntheticHead HeadKind => Head == "f16" ? SyntheticHead.F16 : SyntheticHead.Q8_0;
}

/// <summary>
/// Synthetic models generated once (with <see cref="SyntheticModelWriter"/>, the code behind <c>make-model</c>) and kept
/// in a cache folder: <c>$BITNATIVE_CACHE_DIR/models</c>, else <c>.cache/models</c> of the repository the command runs in,
/// else <c>$XDG_CACHE_HOME/bitnative/models</c> (<c>~/.cache/bitnative/models</c>).
/// </summary>
internal static class SyntheticModelCache
{
    public const string CacheDirectoryVariable = "BITNATIVE_CACHE_DIR";
    public const string TokenizerDirectoryVariable = "BITNATIVE_TOKENIZER_DIR";

    /// <summary>Returns the cached file for <paramref name="request"/>, generating it first when it is missing.</summary>
    public static string GetOrCreate(SyntheticRequest request)
    {
        string folder = Path.Combine(CacheRoot(), "models");
        string path = Path.Combine(folder, request.FileName);
        if (File.Exists(path))
        {
            Console.Error.WriteLine($"synthetic model (cached): {path}");
            return path;
        }

        SyntheticModelSpec spec;
        try
        {
            spec = SyntheticModelSpec.Parse(request.Shape, request.WeightsKind, request.HeadKind, request.Architecture, request.Seed,
                request.Shape == "2b4t" ? RealVocabulary() : null);
        }
        catch (ArgumentException e)
        {
            throw new CliException(e.Message);
        }

        Console.Error.WriteLine($"generating synthetic model {path} ...");
        var clock = Stopwatch.StartNew();
        SyntheticModelWriter.Write(spec, path); // atomically: an interrupted run never leaves a truncated file to be reused

        Console.Error.WriteLine($"synthetic model (generated in {clock.Elapsed.TotalSeconds:F1} s): {path}");
        return path;
    }

    /// <summary>The folder that holds <c>models/</c>.</summary>
    public static string CacheRoot()
    {
        string? configured = Environment.GetEnvironmentVariable(CacheDirectoryVariable);
        if (!string.IsNullOrEmpty(configured))
        {
            return Path.GetFullPath(configured);
        }

        if (RepositoryRoot() is { } repo)
        {
            return Path.Combine(repo, ".cache");
        }

        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string userCache = !string.IsNullOrEmpty(xdg)
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(userCache, "bitnative");
    }

    /// <summary>The BitNative checkout (the folder with BitNative.sln) above the working directory or the tool, if any.</summary>
    public static string? RepositoryRoot()
    {
        foreach (string start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (string? dir = Path.GetFullPath(start); dir is not null; dir = Path.GetDirectoryName(dir))
            {
                if (File.Exists(Path.Combine(dir, "BitNative.sln")))
                {
                    return dir;
                }
            }
        }

        return null;
    }

    /// <summary>The Llama-3 tokenizer.json that build/fetch-test-data.sh fetches (2B-4T's real vocabulary).</summary>
    private static string RealVocabulary()
    {
        string? configured = Environment.GetEnvironmentVariable(TokenizerDirectoryVariable);
        string? candidate = !string.IsNullOrEmpty(configured)
            ? Path.Combine(Path.GetFullPath(configured), "tokenizer.json")
            : RepositoryRoot() is { } repo ? Path.Combine(repo, ".cache", "tokenizer", "llama3", "tokenizer.json") : null;
        if (candidate is not null && File.Exists(candidate))
        {
            return candidate;
        }

        throw new CliException(
            "--synthetic 2b4t uses the real Llama-3 vocabulary (128256 tokens), which was not found" +
            (candidate is null ? " (not inside a BitNative checkout)" : $" at {candidate}") +
            ": run build/fetch-test-data.sh in the repository (it fetches .cache/tokenizer/llama3/tokenizer.json), " +
            $"or point {TokenizerDirectoryVariable} at a folder holding tokenizer.json.");
    }
}
