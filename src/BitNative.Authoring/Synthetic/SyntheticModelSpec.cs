using BitNative.Model;
using System.Globalization;

namespace BitNative.Authoring.Synthetic;

/// <summary>How projection weights are stored in a synthetic file.</summary>
public enum SyntheticWeights
{
    I2S,
    Tq2,
    Tq1,
    F16,

    /// <summary>ggml Q2_0 (64-weight groups): per-group absmean ternary values with the group's fp16 scale (Ternary Bonsai).</summary>
    Q2_0,

    /// <summary>PrismML's Q2_0 (128-weight groups, id 42): as <see cref="Q2_0"/> over 128-weight groups.</summary>
    Q2_0G128,

    /// <summary>ggml Q1_0 (128-weight groups): signs with the group's mean |w| (binary Bonsai).</summary>
    Q1_0,
}

/// <summary>How the (tied) token embedding / output head is stored.</summary>
public enum SyntheticHead
{
    F16,
    Q8_0,
    Q6_K,
    F32,
    Q4_0,
    Q4_K,
    Q5_K,
}

/// <summary>A synthetic model's shape and storage choices (what <c>bitnative make-model</c> takes).</summary>
public sealed record SyntheticModelSpec(
    string ShapeName,
    int Embedding,
    int Layers,
    int FeedForward,
    int Heads,
    int KvHeads,
    int Vocab,
    int Context,
    float RopeBase,
    SyntheticWeights Weights,
    SyntheticHead Head,
    string Architecture,
    int Seed,
    string? VocabularyFile)
{
    /// <summary>The a4.8 / v2 recipe the file states (bitnative.* keys), or null for none (a b1.58 file).</summary>
    public ModelRecipe? Recipe { get; init; }

    /// <summary>True when the vocabulary is the real Llama-3 one (from a tokenizer.json), not a trained small one.</summary>
    public bool UsesRealVocabulary => VocabularyFile is not null;

    /// <summary>The family whose layout, tokenizer and template the file takes (<c>--family</c>), or null for a plain BitNet file.</summary>
    public ModelFamily? Family { get; init; }

    /// <summary>Head width when it is not Embedding / Heads (Qwen3-4B style).</summary>
    public int? HeadDim { get; init; }

    /// <summary>RMSNorm eps written to the file.</summary>
    public float Eps { get; init; } = 1e-5f;

    /// <summary>A separate output head's storage, or null for one tied to token_embd.</summary>
    public SyntheticHead? Output { get; init; }

    /// <summary>
    /// A family's file (<see cref="ModelFamily"/>): its architecture, projection, embedding and head types, tokenizer and
    /// template; <paramref name="shape"/> "small" (a two-layer model of the family's layout, fast enough for tests),
    /// "full" (the published hyperparameters) or "2b4t" (BitNet-b1.58-2B-4T's, to compare formats at one size);
    /// <paramref name="weights"/> replaces the projection type (f16: the same values as dense F16, for engines that
    /// cannot read the family's type).
    /// </summary>
    public static SyntheticModelSpec ForFamily(ModelFamily family, string shape, SyntheticWeights? weights, int seed)
    {
        FamilyShape s = shape switch
        {
            "full" => family.Full,
            "small" => new(256, 2, 768, 4, 2, family.Architecture == "qwen3" ? 128 : 64, 512, 512, family.Full.RopeBase, family.Full.Eps),
            "2b4t" => new(2560, 30, 6912, 20, 5, 128, 128256, 4096, family.Full.RopeBase, family.Full.Eps),
            _ => throw new ArgumentException($"--shape {shape}: a family takes small, 2b4t or full.", nameof(shape)),
        };
        var spec = new SyntheticModelSpec(shape, s.Embedding, s.Layers, s.FeedForward, s.Heads, s.KvHeads, s.Vocab, s.Context, s.RopeBase,
            weights ?? family.Weights, family.Embedding, family.Architecture, seed, null)
        {
            Family = family,
            HeadDim = s.HeadDim,
            Eps = s.Eps,
            Output = family.Output,
        };
        spec.Check();
        return spec;
    }

    /// <summary>
    /// Parses tiny | small | 2b4t | custom:d=..,layers=..,ff=..,heads=..,kv=..,vocab=..,ctx=.. (custom keys default to tiny's).
    /// </summary>
    public static SyntheticModelSpec Parse(string shape, SyntheticWeights weights, SyntheticHead head, string architecture, int seed,
        string? vocabularyFile)
    {
        if (architecture is not ("bitnet-b1.58" or "bitnet"))
        {
            throw new ArgumentException($"--arch {architecture} is not one of bitnet-b1.58, bitnet.", nameof(architecture));
        }

        SyntheticModelSpec Make(string name, int d, int layers, int ff, int heads, int kv, int vocab, int ctx, float rope) =>
            new(name, d, layers, ff, heads, kv, vocab, ctx, rope, weights, head, architecture, seed, vocabularyFile);

        SyntheticModelSpec spec = shape switch
        {
            "tiny" => Make("tiny", 256, 2, 768, 4, 2, 512, 512, 10000f),
            "small" => Make("small", 1024, 8, 2816, 16, 4, 2048, 2048, 10000f),
            // BitNet-b1.58-2B-4T's published hyperparameters (formats.md section 4); the real Llama-3 vocabulary.
            "2b4t" => Make("2b4t", 2560, 30, 6912, 20, 5, 128256, 4096, 500000f),
            _ when shape.StartsWith("custom:", StringComparison.Ordinal) => ParseCustom(shape["custom:".Length..], Make),
            _ => throw new ArgumentException($"--shape {shape} is not tiny, small, 2b4t or custom:key=value,...", nameof(shape)),
        };
        if (spec.ShapeName == "2b4t" && vocabularyFile is null)
        {
            throw new ArgumentException(
                "--shape 2b4t uses the real Llama-3 vocabulary: pass --vocab path/to/tokenizer.json (build/fetch-test-data.sh " +
                "puts one in .cache/tokenizer/llama3/).", nameof(vocabularyFile));
        }

        spec.Check();
        return spec;
    }

    private static SyntheticModelSpec ParseCustom(string text,
        Func<string, int, int, int, int, int, int, int, float, SyntheticModelSpec> make)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] kv = part.Split('=', 2);
            if (kv.Length != 2)
            {
                throw new ArgumentException($"custom shape entry '{part}' is not key=value.");
            }

            values[kv[0]] = kv[1];
        }

        string[] known = ["d", "layers", "ff", "heads", "kv", "vocab", "ctx", "rope"];
        foreach (string key in values.Keys.Where(k => !known.Contains(k)))
        {
            throw new ArgumentException($"custom shape key '{key}' is unknown; use {string.Join(", ", known)}.");
        }

        int Int(string key, int fallback) =>
            !values.TryGetValue(key, out string? v) ? fallback
                : int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out int i) ? i
                : throw new ArgumentException($"custom shape {key}={v} is not a positive integer.");
        int heads = Int("heads", 4);
        return make("custom", Int("d", 256), Int("layers", 2), Int("ff", 768), heads, Int("kv", heads), Int("vocab", 512),
            Int("ctx", 512), values.TryGetValue("rope", out string? r) ? float.Parse(r, CultureInfo.InvariantCulture) : 10000f);
    }

    private void Check()
    {
        int block = Weights switch
        {
            SyntheticWeights.I2S or SyntheticWeights.F16 or SyntheticWeights.Q2_0G128 or SyntheticWeights.Q1_0 => 128,
            SyntheticWeights.Q2_0 => 64,
            _ => 256,
        };
        if (Embedding % block != 0 || FeedForward % block != 0)
        {
            throw new ArgumentException($"d={Embedding} and ff={FeedForward} must be multiples of {block} for {Weights} weights.");
        }

        if (Head is SyntheticHead.Q6_K or SyntheticHead.Q4_K or SyntheticHead.Q5_K && Embedding % 256 != 0)
        {
            throw new ArgumentException($"d={Embedding} must be a multiple of 256 for a {Head} head.");
        }

        int headDim = HeadDim ?? (Heads > 0 ? Embedding / Heads : 0);
        if (Layers is < 1 or > 256 || Heads < 1 || KvHeads < 1 || Heads % KvHeads != 0 || (HeadDim is null && Embedding % Heads != 0) ||
            headDim % 2 != 0 || (Heads * headDim) % block != 0 || Vocab < 300 || Context < 1)
        {
            throw new ArgumentException(
                $"inconsistent shape: d={Embedding} layers={Layers} heads={Heads} kv={KvHeads} vocab={Vocab} ctx={Context} " +
                "(heads must divide d into even head sizes, kv must divide heads, vocab >= 300).");
        }
    }
}
