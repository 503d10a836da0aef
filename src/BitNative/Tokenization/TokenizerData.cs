namespace BitNative.Tokenization;

/// <summary>
/// A container-independent description of a byte-level BPE vocabulary: what GGUF stores under
/// <c>tokenizer.ggml.*</c> and Hugging Face under tokenizer.json / tokenizer_config.json.
/// Immutable; <see cref="Validate"/> checks consistency (the constructor does not, so a reader can build
/// one from untrusted metadata and get every problem reported with a clear message).
/// </summary>
/// <remarks>
/// GGUF mapping: <c>tokenizer.ggml.tokens</c> → <see cref="Tokens"/>, <c>token_type</c> → <see cref="TokenTypes"/>
/// (cast each i32), <c>merges</c> → <see cref="Merges"/>, <c>bos/eos/eot/padding_token_id</c>,
/// <c>add_bos_token</c> → <see cref="AddBos"/>, <c>pre</c> → <see cref="PreTokenizer"/>,
/// <c>tokenizer.chat_template</c> → <see cref="ChatTemplate"/>.
/// </remarks>
internal sealed partial class TokenizerData
{
    /// <summary>Pre-tokenizer names (GGUF <c>tokenizer.ggml.pre</c>) that mean the Llama-3 regex; null means the same.</summary>
    public static readonly IReadOnlySet<string> Llama3PreTokenizerNames =
        new HashSet<string>(StringComparer.Ordinal) { "llama-bpe", "llama3", "llama-v3", "falcon3", "falcon_e", "pixtral" };

    /// <summary>Pre-tokenizer names that mean Qwen2's pattern (Llama-3's with single digits), as llama.cpp maps them.</summary>
    public static readonly IReadOnlySet<string> Qwen2PreTokenizerNames =
        new HashSet<string>(StringComparer.Ordinal) { "qwen2", "qwen3", "deepseek-r1-qwen" };

    /// <summary>The name written for the Llama-3 pre-tokenizer.</summary>
    public const string Llama3PreTokenizerName = "llama-bpe";

    // Set once Validate() succeeded; the lists are private copies, so the result cannot go stale.
    private bool _validated;

    /// <summary>Creates the description; call <see cref="Validate"/> before use.</summary>
    /// <param name="tokens">Token strings, id = index (byte-level encoded for text tokens, literal for special tokens).</param>
    /// <param name="tokenTypes">One type per token (GGUF numbering).</param>
    /// <param name="merges">BPE merges in rank order, each "left right".</param>
    /// <param name="bosId">Beginning-of-text id, if any.</param>
    /// <param name="eosId">End-of-text id, if any.</param>
    /// <param name="eotId">End-of-turn id (e.g. <c>&lt;|eot_id|&gt;</c>), if any.</param>
    /// <param name="padId">Padding id, if any.</param>
    /// <param name="addBos">Whether encoding a prompt starts with BOS.</param>
    /// <param name="preTokenizer">GGUF <c>tokenizer.ggml.pre</c> name; null = Llama-3.</param>
    /// <param name="chatTemplate">The chat template text (Jinja), if any.</param>
    public TokenizerData(
        IReadOnlyList<string> tokens,
        IReadOnlyList<TokenType> tokenTypes,
        IReadOnlyList<string> merges,
        int? bosId,
        int? eosId,
        int? eotId,
        int? padId,
        bool addBos,
        string? preTokenizer,
        string? chatTemplate)
    {
        // Copied, so the description cannot change after Validate() succeeded.
        Tokens = (tokens ?? throw new ArgumentNullException(nameof(tokens))).ToArray();
        TokenTypes = (tokenTypes ?? throw new ArgumentNullException(nameof(tokenTypes))).ToArray();
        Merges = (merges ?? throw new ArgumentNullException(nameof(merges))).ToArray();
        BosId = bosId;
        EosId = eosId;
        EotId = eotId;
        PadId = padId;
        AddBos = addBos;
        PreTokenizer = preTokenizer;
        ChatTemplate = chatTemplate;
    }

    /// <summary>Token strings; id = index.</summary>
    public IReadOnlyList<string> Tokens { get; }

    /// <summary>Token types; same length as <see cref="Tokens"/>.</summary>
    public IReadOnlyList<TokenType> TokenTypes { get; }

    /// <summary>Merges in rank order, "left right".</summary>
    public IReadOnlyList<string> Merges { get; }

    /// <summary>Beginning-of-text id.</summary>
    public int? BosId { get; }

    /// <summary>End-of-text id.</summary>
    public int? EosId { get; }

    /// <summary>End-of-turn id.</summary>
    public int? EotId { get; }

    /// <summary>Padding id.</summary>
    public int? PadId { get; }

    /// <summary>Whether prompts start with BOS.</summary>
    public bool AddBos { get; }

    /// <summary>Pre-tokenizer name (GGUF convention); null = Llama-3.</summary>
    public string? PreTokenizer { get; }

    /// <summary>Chat template text, if any.</summary>
    public string? ChatTemplate { get; }

    /// <summary>
    /// GGUF <c>tokenizer.ggml.model</c>: "gpt2" (byte-level BPE, the default) or "llama" (SentencePiece BPE with byte
    /// fallback: Llama-2 style vocabularies such as 1bitLLM's bitnet_b1_58 models).
    /// </summary>
    public string Model { get; init; } = "gpt2";

    /// <summary>SentencePiece merge scores (GGUF <c>tokenizer.ggml.scores</c>), one per token; empty for byte-level BPE.</summary>
    public IReadOnlyList<float> Scores { get; init; } = [];

    /// <summary>SentencePiece: a space is put before the text (GGUF <c>tokenizer.ggml.add_space_prefix</c>, default true).</summary>
    public bool AddSpacePrefix { get; init; } = true;

    /// <summary>True for a SentencePiece ("llama") vocabulary.</summary>
    public bool IsSentencePiece => Model == "llama";

    /// <summary>The SentencePiece byte-fallback token of byte <paramref name="b"/> ("&lt;0x0A&gt;").</summary>
    public static string SentencePieceByte(int b) => $"<0x{b:X2}>";

    /// <summary>Number of tokens.</summary>
    public int Count => Tokens.Count;

    /// <summary>True when <see cref="PreTokenizer"/> names the Llama-3 regex (the only one implemented).</summary>
    public bool UsesLlama3PreTokenizer => PreTokenizer is null || Llama3PreTokenizerNames.Contains(PreTokenizer);

    /// <summary>
    /// The pre-tokenizer the name means (Llama-3's or Qwen2's pattern) and whether a pre-token that is a whole token
    /// skips the merges (llama.cpp's tokenizer_ignore_merges: set for Llama-3 and Falcon3 / Falcon-E, not for Qwen2),
    /// or null for a pre-tokenizer not implemented.
    /// </summary>
    public (Llama3PreTokenizer Splitter, bool IgnoreMerges)? PreTokenizerRules =>
        UsesLlama3PreTokenizer ? (Llama3PreTokenizer.Instance, true)
        : Qwen2PreTokenizerNames.Contains(PreTokenizer!) ? (Llama3PreTokenizer.Qwen2, false)
        : null;

    /// <summary>
    /// Throws <see cref="InvalidDataException"/> naming the first inconsistency: empty vocabulary, length mismatch,
    /// null/empty/duplicate tokens, unknown token types, text tokens outside the byte-level alphabet, missing byte
    /// tokens, malformed merges or merges over unknown or special tokens, special ids outside the vocabulary.
    /// </summary>
    public void Validate()
    {
        if (_validated)
        {
            return;
        }

        ValidateCore();
        _validated = true;
    }

    private void ValidateCore()
    {
        if (IsSentencePiece)
        {
            ValidateSentencePiece();
            return;
        }

        if (Model != "gpt2")
        {
            throw new InvalidDataException($"Tokenizer model '{Model}' is not supported; BitNative reads byte-level BPE ('gpt2') and SentencePiece ('llama') vocabularies.");
        }

        int count = Tokens.Count;
        if (count == 0)
        {
            throw new InvalidDataException("Tokenizer vocabulary is empty.");
        }

        if (TokenTypes.Count != count)
        {
            throw new InvalidDataException($"Tokenizer has {count} tokens but {TokenTypes.Count} token types; the lengths must match.");
        }

        var ids = new Dictionary<string, int>(count, StringComparer.Ordinal);
        for (int id = 0; id < count; id++)
        {
            string? token = Tokens[id];
            if (string.IsNullOrEmpty(token))
            {
                throw new InvalidDataException($"Token {id} is {(token is null ? "null" : "empty")}.");
            }

            TokenType type = TokenTypes[id];
            if (type < TokenType.Undefined || type > TokenType.Byte)
            {
                throw new InvalidDataException($"Token {id} ('{Printable(token)}') has unknown token type {(int)type} (expected 0..6).");
            }

            if (type.IsText() && !ByteLevel.IsByteLevelString(token))
            {
                throw new InvalidDataException(
                    $"Text token {id} ('{Printable(token)}') contains characters outside the byte-level alphabet; " +
                    "only byte-level BPE vocabularies are supported.");
            }

            if (!ids.TryAdd(token, id))
            {
                throw new InvalidDataException($"Duplicate token '{Printable(token)}' at ids {ids[token]} and {id}.");
            }
        }

        // Without a token for every byte some text could not be encoded at all (BPE would silently drop it).
        for (int b = 0; b < 256; b++)
        {
            string single = ByteLevel.ByteToChar[b].ToString();
            if (!ids.TryGetValue(single, out int byteId) || !TokenTypes[byteId].IsText())
            {
                throw new InvalidDataException($"Vocabulary has no text token for byte 0x{b:X2} ('{single}'); byte-level BPE needs all 256.");
            }
        }

        var byText = ids.GetAlternateLookup<ReadOnlySpan<char>>();
        var seenMerges = new HashSet<string>(StringComparer.Ordinal);
        char[] joined = new char[256];
        for (int i = 0; i < Merges.Count; i++)
        {
            string? merge = Merges[i];
            int space = merge?.IndexOf(' ') ?? -1;
            if (merge is null || space <= 0 || space == merge.Length - 1 || merge.IndexOf(' ', space + 1) >= 0)
            {
                throw new InvalidDataException($"Merge {i} ('{Printable(merge ?? "null")}') is not of the form 'left right'.");
            }

            if (!seenMerges.Add(merge))
            {
                throw new InvalidDataException($"Merge {i} ('{Printable(merge)}') is a duplicate.");
            }

            // Span lookups: 280k merges in a Llama-3 vocabulary, so no substrings.
            if (joined.Length < merge.Length)
            {
                joined = new char[merge.Length * 2];
            }

            merge.AsSpan(0, space).CopyTo(joined);
            merge.AsSpan(space + 1).CopyTo(joined.AsSpan(space));
            CheckMergePart(i, merge, merge.AsSpan(0, space), byText);
            CheckMergePart(i, merge, merge.AsSpan(space + 1), byText);
            CheckMergePart(i, merge, joined.AsSpan(0, merge.Length - 1), byText);
        }

        CheckSpecialIds(count);
    }

    /// <summary>A SentencePiece vocabulary: tokens unique and non-empty, a score each, the 256 byte-fallback tokens, no merges.</summary>
    private void ValidateSentencePiece()
    {
        int count = Tokens.Count;
        if (count == 0 || TokenTypes.Count != count || Scores.Count != count)
        {
            throw new InvalidDataException($"SentencePiece vocabulary of {count} tokens has {TokenTypes.Count} types and {Scores.Count} scores; all must match.");
        }

        var ids = new Dictionary<string, int>(count, StringComparer.Ordinal);
        for (int id = 0; id < count; id++)
        {
            if (string.IsNullOrEmpty(Tokens[id]))
            {
                throw new InvalidDataException($"Token {id} is empty.");
            }

            if (!ids.TryAdd(Tokens[id], id))
            {
                throw new InvalidDataException($"Duplicate token '{Printable(Tokens[id])}' at ids {ids[Tokens[id]]} and {id}.");
            }

            if (!float.IsFinite(Scores[id]))
            {
                throw new InvalidDataException($"Token {id} has the score {Scores[id]}.");
            }
        }

        for (int b = 0; b < 256; b++)
        {
            if (!ids.TryGetValue(SentencePieceByte(b), out int id) || TokenTypes[id] != TokenType.Byte)
            {
                throw new InvalidDataException($"SentencePiece vocabulary has no byte token {SentencePieceByte(b)}; BitNative needs byte fallback.");
            }
        }

        if (Merges.Count > 0)
        {
            throw new InvalidDataException("A SentencePiece vocabulary has no merges.");
        }

        CheckSpecialIds(count);
    }

    /// <summary>The special token ids, where set, name tokens of the vocabulary; BOS is set if it is to be added.</summary>
    private void CheckSpecialIds(int count)
    {
        CheckSpecialId(nameof(BosId), BosId, count);
        CheckSpecialId(nameof(EosId), EosId, count);
        CheckSpecialId(nameof(EotId), EotId, count);
        CheckSpecialId(nameof(PadId), PadId, count);
        if (AddBos && BosId is null)
        {
            throw new InvalidDataException("AddBos is set but the tokenizer has no BOS id.");
        }
    }

    private void CheckMergePart(int index, string merge, ReadOnlySpan<char> part, Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> ids)
    {
        if (!ids.TryGetValue(part, out int id))
        {
            throw new InvalidDataException($"Merge {index} ('{Printable(merge)}') refers to '{Printable(part.ToString())}', which is not in the vocabulary.");
        }

        if (!TokenTypes[id].IsText())
        {
            throw new InvalidDataException(
                $"Merge {index} ('{Printable(merge)}') refers to token {id} ('{Printable(part.ToString())}') of type {TokenTypes[id]}; merges may only use text tokens.");
        }
    }

    private static void CheckSpecialId(string name, int? id, int count)
    {
        if (id is int value && (value < 0 || value >= count))
        {
            throw new InvalidDataException($"{name} {value} is outside the vocabulary (0..{count - 1}).");
        }
    }

    /// <summary>A token rendered for error messages: control characters escaped, long tokens cut.</summary>
    internal static string Printable(string token)
    {
        var sb = new System.Text.StringBuilder();
        foreach (char c in token.Length > 64 ? token[..64] : token)
        {
            sb.Append(char.IsControl(c) ? $"\\u{(int)c:X4}" : c.ToString());
        }

        return token.Length > 64 ? sb.Append('…').ToString() : sb.ToString();
    }
}
