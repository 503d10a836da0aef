using Xunit;
using System.Text.Json;
using BitNative.Tokenization;

namespace BitNative.Tests.Tokenization;

/// <summary>Locates the reference data: the fetched Llama-3 vocabulary and the committed golden ids.</summary>
internal static class TokenizerTestData
{
    public const string DirectoryVariable = "BITNATIVE_TOKENIZER_DIR";
    public const string FetchScript = "build/fetch-test-data.sh";

    /// <summary>The folder holding Meta's Llama-3 tokenizer.json and tokenizer_config.json.</summary>
    public static string Llama3Directory()
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable(DirectoryVariable);
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            if (File.Exists(Path.Combine(fromEnvironment, "tokenizer.json")))
            {
                return fromEnvironment;
            }

            throw new InvalidOperationException(
                $"{DirectoryVariable}={fromEnvironment} has no tokenizer.json. Run {FetchScript} (it writes .cache/tokenizer/llama3/).");
        }

        string? root = RepositoryRoot();
        string candidate = root is null ? "" : Path.Combine(root, ".cache", "tokenizer", "llama3");
        if (root is not null && File.Exists(Path.Combine(candidate, "tokenizer.json")) && File.Exists(Path.Combine(candidate, "tokenizer_config.json")))
        {
            return candidate;
        }

        // Fail, never skip: CI runs the script before the tests, so a missing file is a broken setup.
        throw new InvalidOperationException(
            $"The Llama-3 reference tokenizer is missing (looked in {(root is null ? "<repository root not found>" : candidate)} " +
            $"and ${DirectoryVariable}). Run {FetchScript} from the repository root first.");
    }

    public static string GoldensPath()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "data", "tokenizer", "llama3-goldens.json");
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"Golden ids not found at {path}; they are committed in tests/data/tokenizer/.");
        }

        return path;
    }

    public static string? RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "BitNative.sln")))
            {
                return dir.FullName;
            }
        }

        return null;
    }

    private static readonly Lazy<Goldens> LazyGoldens = new(() =>
    {
        using var stream = File.OpenRead(GoldensPath());
        return JsonSerializer.Deserialize<Goldens>(stream, new JsonSerializerOptions { PropertyNameCaseInsensitive = true })
               ?? throw new InvalidDataException("Empty goldens file.");
    });

    public static Goldens Load() => LazyGoldens.Value;

    public sealed record Goldens(List<GoldenCase> Plain, List<GoldenCase> Special, List<ChatCase> Chat);

    public sealed record GoldenCase(string Text, int[] Ids);

    public sealed record ChatCase(string Format, List<ChatMessageCase> Messages, string Text, int[] Ids);

    public sealed record ChatMessageCase(string Role, string Content);
}

/// <summary>Builds the real Llama-3 tokenizer once for all test classes that need it.</summary>
public sealed class Llama3TokenizerFixture
{
    public Llama3TokenizerFixture()
    {
        string dir = TokenizerTestData.Llama3Directory();
        Data = TokenizerData.FromHuggingFace(Path.Combine(dir, "tokenizer.json"), Path.Combine(dir, "tokenizer_config.json"));
        Tokenizer = ByteLevelBpeTokenizer.Create(Data);
        Tokenizer.Warm();
    }

    internal TokenizerData Data { get; }

    internal ByteLevelBpeTokenizer Tokenizer { get; }
}

[CollectionDefinition(Name)]
public sealed class Llama3Collection : ICollectionFixture<Llama3TokenizerFixture>
{
    public const string Name = "Llama-3 tokenizer";
}
