namespace BitNative.Formats.Gguf;

/// <summary>
/// Keys whose type and value other parts of BitNative (and llama.cpp) rely on. A file with one of them
/// of the wrong type, or with inconsistent tokenizer arrays, is rejected when it is opened instead of
/// failing later in the model or tokenizer. The writer applies the same rules, so it never writes a
/// file the reader refuses.
/// </summary>
internal static class GgufKnownKeys
{
    public const string Alignment = "general.alignment";
    public const string Architecture = "general.architecture";
    public const string Tokens = "tokenizer.ggml.tokens";
    public const string TokenTypes = "tokenizer.ggml.token_type";
    public const string Scores = "tokenizer.ggml.scores";
    public const string Merges = "tokenizer.ggml.merges";

    /// <summary>Special-token ids: u32, and smaller than the vocabulary when there is one. Declared before TypedKeys, which uses it.</summary>
    private static readonly string[] SpecialTokenIdKeys =
    [
        "tokenizer.ggml.bos_token_id",
        "tokenizer.ggml.eos_token_id",
        "tokenizer.ggml.unknown_token_id",
        "tokenizer.ggml.separator_token_id",
        "tokenizer.ggml.padding_token_id",
        "tokenizer.ggml.eot_token_id",
        "tokenizer.ggml.eom_token_id",
    ];

    /// <summary>Keys with a required type (llama.cpp reads each with exactly this type).</summary>
    private static readonly (string Key, GgufValueType Type, GgufValueType? ElementType)[] TypedKeys =
    [
        (Alignment, GgufValueType.UInt32, null),
        (Architecture, GgufValueType.String, null),
        ("general.name", GgufValueType.String, null),
        ("general.file_type", GgufValueType.UInt32, null),
        ("general.quantization_version", GgufValueType.UInt32, null),
        ("tokenizer.ggml.model", GgufValueType.String, null),
        ("tokenizer.ggml.pre", GgufValueType.String, null),
        (Tokens, GgufValueType.Array, GgufValueType.String),
        (TokenTypes, GgufValueType.Array, GgufValueType.Int32),
        (Scores, GgufValueType.Array, GgufValueType.Float32),
        (Merges, GgufValueType.Array, GgufValueType.String),
        ("tokenizer.ggml.add_bos_token", GgufValueType.Bool, null),
        ("tokenizer.ggml.add_eos_token", GgufValueType.Bool, null),
        ("tokenizer.chat_template", GgufValueType.String, null),
        .. SpecialTokenIdKeys.Select(k => (k, GgufValueType.UInt32, (GgufValueType?)null)),
    ];

    /// <summary>
    /// Returns the first problem with the known keys, or null when they are consistent.
    /// </summary>
    /// <param name="find">Looks a key up; null when absent.</param>
    public static (string Key, string Problem)? FindProblem(Func<string, GgufValue?> find)
    {
        foreach ((string key, GgufValueType type, GgufValueType? elementType) in TypedKeys)
        {
            if (find(key) is { } value && (value.Type != type || value.ElementType != elementType))
            {
                return (key, $"key '{key}' is {value.TypeName}, expected {GgufValueTypes.DisplayName(type, elementType)}");
            }
        }

        if (find(Alignment) is { } alignment)
        {
            uint a = alignment.AsUInt32();
            if (a == 0 || (a & (a - 1)) != 0 || a > GgufLimits.MaxAlignment)
            {
                return (Alignment, $"alignment {a} is not a power of two between 1 and {GgufLimits.MaxAlignment}");
            }
        }

        if (find(Tokens) is not { } tokens)
        {
            return null;
        }

        int vocabulary = tokens.ArrayLength;
        foreach (string key in (string[])[TokenTypes, Scores])
        {
            if (find(key) is { } array && array.ArrayLength != vocabulary)
            {
                return (key, $"key '{key}' has {array.ArrayLength} entries but '{Tokens}' has {vocabulary}");
            }
        }

        if (find(Architecture) is { } architecture)
        {
            string vocabSizeKey = architecture.AsString() + ".vocab_size";
            if (find(vocabSizeKey) is { } vocabSize)
            {
                if (vocabSize.Type != GgufValueType.UInt32)
                {
                    return (vocabSizeKey, $"key '{vocabSizeKey}' is {vocabSize.TypeName}, expected u32");
                }

                if (vocabSize.AsUInt32() != (uint)vocabulary)
                {
                    return (vocabSizeKey, $"key '{vocabSizeKey}' is {vocabSize.AsUInt32()} but '{Tokens}' has {vocabulary} entries");
                }
            }
        }

        foreach (string key in SpecialTokenIdKeys)
        {
            if (find(key) is { } id && id.AsUInt32() >= (uint)vocabulary)
            {
                return (key, $"key '{key}' is token id {id.AsUInt32()}, outside the vocabulary of {vocabulary} tokens");
            }
        }

        return null;
    }
}
