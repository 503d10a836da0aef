namespace BitNative.Trainer.Tests;

/// <summary>Files of the repository the tests read: the shipped model and the fetched corpus.</summary>
internal static class RepositoryFiles
{
    public static string Root { get; } = FindRoot();

    public static string DefaultModel => Path.Combine(Root, "models", "default.gguf");

    /// <summary>The held-out split; fails with the command that makes it when absent.</summary>
    public static string HeldOutText()
    {
        string folder = Environment.GetEnvironmentVariable("BITNATIVE_CORPUS_DIR") is { Length: > 0 } dir ? dir : Path.Combine(Root, ".cache", "corpus");
        string path = Path.Combine(folder, "test.txt");
        Assert.True(File.Exists(path), $"{path} is missing: run build/fetch-corpus.sh (it fetches the Brown corpus and writes the splits).");
        return path;
    }

    public static string ShippedModel()
    {
        Assert.True(File.Exists(DefaultModel), $"{DefaultModel} is missing: it is committed; build/train-default-model.sh rebuilds it.");
        return DefaultModel;
    }

    /// <summary>models/default-a48.gguf or default-v2.gguf: the shipped model's shape trained with the a4.8 / v2 recipes.</summary>
    public static string ShippedVariant(string name)
    {
        string path = Path.Combine(Root, "models", $"default-{name}.gguf");
        Assert.True(File.Exists(path), $"{path} is missing: it is committed; build/train-a48-models.sh rebuilds it.");
        return path;
    }

    private static string FindRoot()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(Path.Combine(dir, "BitNative.sln")))
            {
                return dir;
            }
        }

        throw new InvalidOperationException($"No BitNative.sln above {AppContext.BaseDirectory}.");
    }
}
