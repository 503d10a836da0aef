using System.Buffers;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace BitNative.Tokenization;

/// <summary>
/// A byte-level BPE tokenizer (Llama-3 family, e.g. BitNet-b1.58-2B-4T) built from <see cref="TokenizerData"/>.
/// Thread-safe: build one per model and share it.
/// </summary>
/// <remarks>
/// <para>Encoding = Llama-3 pre-tokenization (<see cref="Llama3PreTokenizer"/>, exact on astral characters) →
/// per pre-token, <c>ignore_merges</c> (a pre-token that is itself a text token is emitted directly, as Hugging Face
/// does for Llama-3) → otherwise BPE merges by Microsoft.ML.Tokenizers' <see cref="BpeTokenizer"/>.</para>
/// <para>Special tokens (CONTROL and USER_DEFINED) are never produced by <see cref="Encode"/>: a user typing
/// <c>&lt;|eot_id|&gt;</c> gets ordinary text tokens. Only <see cref="EncodeWithSpecialTokens"/> (trusted template
/// text) and the chat formatter's segments insert them. For that reason the special tokens are matched here and
/// are not handed to <see cref="BpeTokenizer"/> at all (it would turn any pre-token equal to a special token's text
/// into that token), and neither are BOS/EOS (it would add them to every encode).</para>
/// <para>Detokenizing maps ids to bytes with this class's own table (special tokens become their literal text), so
/// unknown ids are rejected instead of silently dropped, and streaming never splits a UTF-8 character.</para>
/// <para>Cost: the <see cref="BpeTokenizer"/> (≈1 s for 128k tokens + 280k merges) is built lazily, once, on the
/// first encode that needs a merge; detokenizing never waits for it.</para>
/// </remarks>
internal sealed class ByteLevelBpeTokenizer
{
    // Control tokens that end generation when a model emits them, whatever the chat format (llama.cpp's EOG set).
    private static readonly string[] EndOfGenerationNames =
        ["<|eot_id|>", "<|eom_id|>", "<|end_of_text|>", "<|endoftext|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "</s>"];

    /// <summary>SentencePiece's stand-in for a space (U+2581 LOWER ONE EIGHTH BLOCK).</summary>
    private const char SentencePieceSpace = '\u2581';

    private readonly TokenizerData _data;
    private readonly Llama3PreTokenizer _splitter;
    private readonly bool _ignoreMerges;
    private readonly byte[][] _tokenBytes;
    private readonly bool[] _isSpecial;
    private readonly bool[] _isText;
    private readonly Dictionary<string, int> _vocabulary;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _vocabularyBySpan;
    private readonly Dictionary<string, int> _specialTokens;
    private readonly (string Text, int Id)[] _specialsLongestFirst;
    private readonly SearchValues<char>? _specialFirstChars;
    private readonly Lazy<BpeTokenizer> _bpe;
    private readonly Lazy<ChatFormatter> _chat;
    private readonly Lazy<HashSet<int>> _stopTokens;

    private ByteLevelBpeTokenizer(TokenizerData data)
    {
        _data = data;
        (_splitter, _ignoreMerges) = data.PreTokenizerRules ?? (Llama3PreTokenizer.Instance, false); // SentencePiece: unused
        int count = data.Count;
        _tokenBytes = new byte[count][];
        _isSpecial = new bool[count];
        _isText = new bool[count];
        _vocabulary = new Dictionary<string, int>(count, StringComparer.Ordinal);
        _specialTokens = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int id = 0; id < count; id++)
        {
            string token = data.Tokens[id];
            TokenType type = data.TokenTypes[id];
            _vocabulary.Add(token, id);
            if (data.IsSentencePiece && type is TokenType.Byte)
            {
                _isText[id] = true;
                _tokenBytes[id] = [Convert.ToByte(token[3..5], 16)]; // <0xNN>
            }
            else if (data.IsSentencePiece && type.IsText())
            {
                _isText[id] = true;
                _tokenBytes[id] = Encoding.UTF8.GetBytes(token.Replace(SentencePieceSpace, ' '));
            }
            else if (type.IsText())
            {
                _isText[id] = true;
                _tokenBytes[id] = ByteLevel.ToBytes(token);
            }
            else
            {
                // Special, unknown and unused tokens stand for their literal text.
                _tokenBytes[id] = Encoding.UTF8.GetBytes(token);
                _isSpecial[id] = type.IsSpecial();
                if (type.IsSpecial())
                {
                    _specialTokens.Add(token, id);
                }
            }
        }

        _vocabularyBySpan = _vocabulary.GetAlternateLookup<ReadOnlySpan<char>>();
        _specialsLongestFirst = _specialTokens
            .Select(kv => (kv.Key, kv.Value))
            .OrderByDescending(t => t.Key.Length)
            .ThenBy(t => t.Value)
            .ToArray();
        _specialFirstChars = _specialTokens.Count == 0 ? null : SearchValues.Create(_specialTokens.Keys.Select(k => k[0]).Distinct().ToArray());
        _bpe = new Lazy<BpeTokenizer>(() => BuildBpe(data, _isText, _splitter), LazyThreadSafetyMode.ExecutionAndPublication);
        _chat = new Lazy<ChatFormatter>(() => new ChatFormatter(this), LazyThreadSafetyMode.ExecutionAndPublication);
        _stopTokens = new Lazy<HashSet<int>>(ComputeStopTokens, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>Validates <paramref name="data"/> and builds the tokenizer (the BPE merge table is built on first use).</summary>
    /// <exception cref="InvalidDataException">The data is inconsistent.</exception>
    /// <exception cref="NotSupportedException">The pre-tokenizer is not Llama-3's.</exception>
    public static ByteLevelBpeTokenizer Create(TokenizerData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        data.Validate();
        if (!data.IsSentencePiece && data.PreTokenizerRules is null)
        {
            throw new NotSupportedException(
                $"Pre-tokenizer '{data.PreTokenizer}' is not supported; the Llama-3 ({string.Join(", ", TokenizerData.Llama3PreTokenizerNames)}) " +
                $"and Qwen2 ({string.Join(", ", TokenizerData.Qwen2PreTokenizerNames)}) pre-tokenizers are implemented.");
        }

        return new ByteLevelBpeTokenizer(data);
    }

    /// <summary>The description this tokenizer was built from.</summary>
    public TokenizerData Data => _data;

    /// <summary>Number of tokens (ids are 0 .. VocabularySize-1).</summary>
    public int VocabularySize => _data.Count;

    /// <summary>Beginning-of-text id.</summary>
    public int? BosId => _data.BosId;

    /// <summary>End-of-text id.</summary>
    public int? EosId => _data.EosId;

    /// <summary>End-of-turn id.</summary>
    public int? EotId => _data.EotId;

    /// <summary>Whether prompts start with BOS (GGUF <c>add_bos_token</c>).</summary>
    public bool AddBos => _data.AddBos;

    /// <summary>The chat formatter for this model's template (detected once).</summary>
    public ChatFormatter Chat => _chat.Value;

    /// <summary>Ids that end generation: EOS, EOT, the chat format's end tokens and known end-of-generation control tokens.</summary>
    public IReadOnlyCollection<int> StopTokenIds => _stopTokens.Value;

    /// <summary>True if generating <paramref name="id"/> ends the answer.</summary>
    public bool IsStopToken(int id) => _stopTokens.Value.Contains(id);

    /// <summary>Forces the one-time build of the BPE merge table (≈1 s for Llama-3), e.g. while loading a model.</summary>
    public void Warm()
    {
        if (!_data.IsSentencePiece)
        {
            _ = _bpe.Value;
        }
    }

    /// <summary>
    /// Encodes untrusted text: special-token text in it becomes ordinary text tokens.
    /// Prepends BOS when <paramref name="addBos"/> is true (the tokenizer must have one).
    /// </summary>
    public int[] Encode(string text, bool addBos)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 3 + 2);
        AddBosIfRequested(ids, addBos);
        EncodeText(text, ids);
        return ids.ToArray();
    }

    /// <summary>
    /// Encodes trusted text (a rendered template) in which the text of CONTROL and USER_DEFINED tokens becomes those
    /// tokens (leftmost, longest match), as Hugging Face does for added tokens. Never use it on user input.
    /// </summary>
    public int[] EncodeWithSpecialTokens(string text, bool addBos)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 3 + 2);
        AddBosIfRequested(ids, addBos);
        int start = 0;
        while (start < text.Length)
        {
            (int at, int id, int length) = FindSpecial(text, start);
            if (at < 0)
            {
                EncodeText(text.AsSpan(start), ids);
                break;
            }

            EncodeText(text.AsSpan(start, at - start), ids);
            ids.Add(id);
            start = at + length;
        }

        return ids.ToArray();
    }

    /// <summary>Appends the ids of <paramref name="text"/> encoded as plain text (no special tokens, no BOS).</summary>
    internal void EncodeText(ReadOnlySpan<char> text, List<int> output)
    {
        if (text.IsEmpty)
        {
            return;
        }

        // Lone surrogates become U+FFFD (what UTF-8 encoding does anyway); the length is unchanged.
        string? sanitized = null;
        if (HasLoneSurrogate(text))
        {
            sanitized = ReplaceLoneSurrogates(text);
            text = sanitized;
        }

        if (_data.IsSentencePiece)
        {
            EncodeSentencePiece(text, output);
            return;
        }

        var splits = new List<(int Offset, int Length)>(text.Length / 4 + 1);
        _splitter.SplitInto(text, splits);
        char[] buffer = ArrayPool<char>.Shared.Rent(256);
        try
        {
            foreach ((int offset, int length) in splits)
            {
                ReadOnlySpan<char> piece = text.Slice(offset, length);
                int max = Encoding.UTF8.GetMaxByteCount(length);
                if (buffer.Length < max)
                {
                    ArrayPool<char>.Shared.Return(buffer);
                    buffer = ArrayPool<char>.Shared.Rent(max);
                }

                int n = ByteLevel.EncodeUtf8(piece, buffer);

                // ignore_merges: a pre-token that is a whole text token is that token (Hugging Face Llama-3 semantics;
                // plain merge order does not always rebuild it).
                if (_ignoreMerges && _vocabularyBySpan.TryGetValue(buffer.AsSpan(0, n), out int id) && _isText[id])
                {
                    output.Add(id);
                    continue;
                }

                IReadOnlyList<int> merged = _bpe.Value.EncodeToIds(piece, considerPreTokenization: false, considerNormalization: false);
                if (merged.Count == 0)
                {
                    throw new InvalidOperationException($"BPE produced no token for '{TokenizerData.Printable(piece.ToString())}'.");
                }

                output.AddRange(merged);
            }
        }
        finally
        {
            ArrayPool<char>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// SentencePiece BPE as llama.cpp's llm_tokenizer_spm runs it: a space before the text (add_space_prefix), spaces
    /// as U+2581, then from single characters the adjacent pair whose joined piece has the highest score merges first
    /// (ties: leftmost), until no joined pair is a piece; a character that is no piece becomes its UTF-8 byte tokens.
    /// Every text segment is encoded this way, as llama.cpp does for text after BOS or a control token.
    /// </summary>
    private void EncodeSentencePiece(ReadOnlySpan<char> text, List<int> output)
    {
        string s = ((_data.AddSpacePrefix ? " " : "") + text.ToString()).Replace(' ', SentencePieceSpace);
        var symbols = new List<string>();
        for (int i = 0; i < s.Length; i += char.IsSurrogatePair(s, i) ? 2 : 1)
        {
            symbols.Add(s.Substring(i, char.IsSurrogatePair(s, i) ? 2 : 1));
        }

        // Linked symbols and a max-heap of candidate merges (score, left position), re-checked when popped.
        var next = Enumerable.Range(1, symbols.Count).ToArray();
        var prev = Enumerable.Range(-1, symbols.Count).ToArray();
        var queue = new PriorityQueue<(int Left, string LeftText, string RightText), (float, int)>(
            Comparer<(float Score, int Left)>.Create((a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : a.Left.CompareTo(b.Left)));
        void Consider(int left)
        {
            int right = left >= 0 && left < symbols.Count ? next[left] : -1;
            if (left < 0 || right >= symbols.Count || symbols[left].Length == 0)
            {
                return;
            }

            string joined = symbols[left] + symbols[right];
            if (_vocabulary.TryGetValue(joined, out int id) && _data.TokenTypes[id].IsText())
            {
                queue.Enqueue((left, symbols[left], symbols[right]), (_data.Scores[id], left));
            }
        }

        for (int i = 0; i + 1 < symbols.Count; i++)
        {
            Consider(i);
        }

        while (queue.TryDequeue(out var merge, out _))
        {
            int left = merge.Left, right = next[left];
            if (right >= symbols.Count || symbols[left] != merge.LeftText || symbols[right] != merge.RightText)
            {
                continue; // a stale candidate: one side merged since
            }

            symbols[left] += symbols[right];
            symbols[right] = "";
            next[left] = next[right];
            if (next[left] < symbols.Count)
            {
                prev[next[left]] = left;
            }

            Consider(prev[left]);
            Consider(left);
        }

        for (int i = 0; i < symbols.Count; i = next[i])
        {
            if (_vocabulary.TryGetValue(symbols[i], out int id) && _data.TokenTypes[id].IsText())
            {
                output.Add(id);
                continue;
            }

            foreach (byte b in Encoding.UTF8.GetBytes(symbols[i]))
            {
                output.Add(_vocabulary[TokenizerData.SentencePieceByte(b)]);
            }
        }
    }

    /// <summary>Detokenizes ids to text; special tokens become their literal text.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside the vocabulary.</exception>
    public string Detokenize(IEnumerable<int> ids) => Detokenize(ids, skipSpecialTokens: false);

    /// <summary>Detokenizes ids to text, optionally leaving out CONTROL and USER_DEFINED tokens.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside the vocabulary.</exception>
    public string Detokenize(IEnumerable<int> ids, bool skipSpecialTokens)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var bytes = new ArrayBufferWriter<byte>(256);
        foreach (int id in ids)
        {
            CheckId(id, nameof(ids));
            if (!(skipSpecialTokens && _isSpecial[id]))
            {
                bytes.Write(_tokenBytes[id]);
            }
        }

        // Invalid UTF-8 (e.g. a sequence cut mid-character) becomes U+FFFD, as Hugging Face's errors="replace".
        return Encoding.UTF8.GetString(bytes.WrittenSpan);
    }

    /// <summary>A detokenizer for generated ids that emits text as soon as it is complete (see <see cref="TokenStreamDetokenizer"/>).</summary>
    public TokenStreamDetokenizer CreateStreamDetokenizer(bool skipSpecialTokens) => new(this, skipSpecialTokens);

    /// <summary>The bytes token <paramref name="id"/> stands for (literal UTF-8 for special tokens).</summary>
    public ReadOnlySpan<byte> GetTokenBytes(int id)
    {
        CheckId(id, nameof(id));
        return _tokenBytes[id];
    }

    /// <summary>The token's text on its own (a piece cut inside a UTF-8 character shows U+FFFD).</summary>
    public string TokenToPiece(int id) => Encoding.UTF8.GetString(GetTokenBytes(id));

    /// <summary>The token's vocabulary string (byte-level spelling for text tokens, e.g. "Ġhello").</summary>
    public string GetTokenString(int id)
    {
        CheckId(id, nameof(id));
        return _data.Tokens[id];
    }

    /// <summary>The token's type.</summary>
    public TokenType GetTokenType(int id)
    {
        CheckId(id, nameof(id));
        return _data.TokenTypes[id];
    }

    /// <summary>True for CONTROL and USER_DEFINED tokens.</summary>
    public bool IsSpecialToken(int id)
    {
        CheckId(id, nameof(id));
        return _isSpecial[id];
    }

    /// <summary>Looks up a CONTROL or USER_DEFINED token by its literal text (e.g. "&lt;|eot_id|&gt;").</summary>
    public bool TryGetSpecialTokenId(string text, out int id) => _specialTokens.TryGetValue(text, out id);

    /// <summary>Looks up any token by its vocabulary string (byte-level spelling for text tokens).</summary>
    public bool TryGetTokenId(string tokenString, out int id)
    {
        ArgumentNullException.ThrowIfNull(tokenString);
        return _vocabulary.TryGetValue(tokenString, out id);
    }

    internal bool IsSpecialUnchecked(int id) => _isSpecial[id];

    internal byte[] TokenBytesUnchecked(int id) => _tokenBytes[id];

    internal void CheckId(int id, string paramName)
    {
        if ((uint)id >= (uint)_tokenBytes.Length)
        {
            throw new ArgumentOutOfRangeException(paramName, id, $"Token id {id} is outside the vocabulary (0..{_tokenBytes.Length - 1}).");
        }
    }

    private void AddBosIfRequested(List<int> ids, bool addBos)
    {
        if (addBos)
        {
            ids.Add(_data.BosId ?? throw new InvalidOperationException("BOS was requested but the tokenizer has no BOS token."));
        }
    }

    /// <summary>The first special token's text in <paramref name="text"/> from <paramref name="start"/> on (leftmost, longest), or At = -1.</summary>
    internal (int At, int Id, int Length) FindSpecial(string text, int start)
    {
        if (_specialFirstChars is null)
        {
            return (-1, 0, 0);
        }

        int at = start;
        while (true)
        {
            int rel = text.AsSpan(at).IndexOfAny(_specialFirstChars);
            if (rel < 0)
            {
                return (-1, 0, 0);
            }

            at += rel;
            foreach ((string special, int id) in _specialsLongestFirst)
            {
                if (text.AsSpan(at).StartsWith(special, StringComparison.Ordinal))
                {
                    return (at, id, special.Length);
                }
            }

            at++;
        }
    }

    private HashSet<int> ComputeStopTokens()
    {
        var stop = new HashSet<int>();
        if (_data.EosId is int eos)
        {
            stop.Add(eos);
        }

        if (_data.EotId is int eot)
        {
            stop.Add(eot);
        }

        foreach (string name in EndOfGenerationNames)
        {
            if (_specialTokens.TryGetValue(name, out int id) && _data.TokenTypes[id] == TokenType.Control)
            {
                stop.Add(id);
            }
        }

        stop.UnionWith(Chat.StopTokenIds);
        return stop;
    }

    private static bool HasLoneSurrogate(ReadOnlySpan<char> text)
    {
        int i = text.IndexOfAnyInRange('\uD800', '\uDFFF');
        if (i < 0)
        {
            return false;
        }

        for (; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return true;
            }
        }

        return false;
    }

    private static string ReplaceLoneSurrogates(ReadOnlySpan<char> text)
    {
        char[] copy = text.ToArray();
        for (int i = 0; i < copy.Length; i++)
        {
            if (char.IsHighSurrogate(copy[i]) && i + 1 < copy.Length && char.IsLowSurrogate(copy[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(copy[i]))
            {
                copy[i] = '\uFFFD';
            }
        }

        return new string(copy);
    }

    private static BpeTokenizer BuildBpe(TokenizerData data, bool[] isText, Llama3PreTokenizer splitter)
    {
        if (data.IsSentencePiece)
        {
            throw new InvalidOperationException("A SentencePiece vocabulary has no byte-level merge table.");
        }

        // Only text tokens: special tokens are matched by this class (see remarks), never by BPE.
        IEnumerable<KeyValuePair<string, int>> textTokens = Enumerable.Range(0, data.Count)
            .Where(id => isText[id])
            .Select(id => new KeyValuePair<string, int>(data.Tokens[id], id));
        return BpeTokenizer.Create(new BpeOptions(textTokens)
        {
            Merges = data.Merges,
            ByteLevel = true,
            PreTokenizer = splitter,
        });
    }
}
