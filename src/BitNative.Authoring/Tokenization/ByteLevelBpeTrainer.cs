using BitNative.Tokenization;
using System.Buffers;
using System.Text;

namespace BitNative.Authoring.Tokenization;

/// <summary>Settings for <see cref="ByteLevelBpeTrainer"/>.</summary>
internal sealed record ByteLevelBpeTrainerOptions
{
    /// <summary>A pair seen fewer times than this is never merged (training may stop below the target size).</summary>
    public int MinPairFrequency { get; init; } = 2;

    /// <summary>The chat template stored in the result; the BitNet-b1.58 template by default.</summary>
    public string? ChatTemplate { get; init; } = ChatFormatter.BitNetTemplate;
}

/// <summary>
/// Trains a byte-level BPE vocabulary (Llama-3 layout) on a text corpus.
/// </summary>
/// <remarks>
/// <para>Vocabulary layout: ids 0..255 are the 256 byte tokens in GPT-2's byte-to-unicode order (as in GPT-2 and
/// Llama-3), then one token per merge in the order learned, then the CONTROL tokens <see cref="SpecialTokens"/>.
/// BOS = <c>&lt;|begin_of_text|&gt;</c>, EOS = <c>&lt;|end_of_text|&gt;</c>, EOT = <c>&lt;|eot_id|&gt;</c>.</para>
/// <para>Text is split with <see cref="Llama3PreTokenizer"/>, so merges never cross pre-token boundaries, and
/// the result encodes with <see cref="ByteLevelBpeTokenizer"/> (and Hugging Face, via
/// <see cref="TokenizerData.WriteHuggingFace"/>).</para>
/// <para>Algorithm: unique pre-tokens with their counts; pair counts over them; repeatedly merge the most frequent
/// pair (ties: lower left id, then lower right id — deterministic) and update only the words that contain it, with
/// a lazily-invalidated max-heap of pair counts. Two different merges can spell the same string ("ab"+"c",
/// "a"+"bc"); the token is then shared, as in Hugging Face's trainer.</para>
/// </remarks>
internal static class ByteLevelBpeTrainer
{
    /// <summary>The control tokens appended after the merges, in id order.</summary>
    public static readonly IReadOnlyList<string> SpecialTokens =
        ["<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>", "<|start_header_id|>", "<|end_header_id|>"];

    /// <summary>Trains on one text.</summary>
    public static TokenizerData Train(string text, int vocabularySize, ByteLevelBpeTrainerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Train([text], vocabularySize, options);
    }

    /// <summary>
    /// Trains on <paramref name="documents"/> up to <paramref name="vocabularySize"/> tokens in total (bytes + merges +
    /// specials). Stops earlier if no pair occurs <see cref="ByteLevelBpeTrainerOptions.MinPairFrequency"/> times.
    /// </summary>
    public static TokenizerData Train(IEnumerable<string> documents, int vocabularySize, ByteLevelBpeTrainerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(documents);
        options ??= new ByteLevelBpeTrainerOptions();
        int minimum = 256 + SpecialTokens.Count;
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabularySize, minimum);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MinPairFrequency, 1, nameof(options));

        var (words, wordCounts) = CountPreTokens(documents);
        var state = new MergeState(words, wordCounts, options.MinPairFrequency);
        state.Run(vocabularySize - SpecialTokens.Count);

        var tokens = new List<string>(state.Tokens);
        var types = Enumerable.Repeat(TokenType.Normal, tokens.Count).ToList();
        foreach (string special in SpecialTokens)
        {
            tokens.Add(special);
            types.Add(TokenType.Control);
        }

        int first = state.Tokens.Count;
        var data = new TokenizerData(
            tokens, types, state.Merges,
            bosId: first, eosId: first + 1, eotId: first + 2, padId: null,
            addBos: true, preTokenizer: TokenizerData.Llama3PreTokenizerName, chatTemplate: options.ChatTemplate);
        data.Validate();
        return data;
    }

    /// <summary>Unique pre-tokens (byte-level strings) in first-seen order, with their counts.</summary>
    private static (List<string> Words, List<long> Counts) CountPreTokens(IEnumerable<string> documents)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var lookup = index.GetAlternateLookup<ReadOnlySpan<char>>();
        var words = new List<string>();
        var counts = new List<long>();
        var splits = new List<(int Offset, int Length)>();
        char[] buffer = new char[1024];
        foreach (string document in documents)
        {
            if (string.IsNullOrEmpty(document))
            {
                continue;
            }

            splits.Clear();
            Llama3PreTokenizer.Split(document, splits);
            foreach ((int offset, int length) in splits)
            {
                int max = Encoding.UTF8.GetMaxByteCount(length);
                if (buffer.Length < max)
                {
                    buffer = new char[max];
                }

                int n = ByteLevel.EncodeUtf8(document.AsSpan(offset, length), buffer);
                ReadOnlySpan<char> word = buffer.AsSpan(0, n);
                if (lookup.TryGetValue(word, out int w))
                {
                    counts[w]++;
                }
                else
                {
                    string s = word.ToString();
                    index.Add(s, words.Count);
                    words.Add(s);
                    counts.Add(1);
                }
            }
        }

        return (words, counts);
    }

    private sealed class MergeState
    {
        private readonly int _minFrequency;
        private readonly long[] _wordCounts;
        private readonly int[][] _symbols;
        private readonly int[] _lengths;
        private readonly int[] _stamp;
        private readonly Dictionary<long, long> _pairCounts = new();
        private readonly Dictionary<long, List<int>> _pairWords = new();
        private readonly PriorityQueue<long, (long NegCount, int Left, int Right)> _heap = new();
        private readonly Dictionary<string, int> _tokenIds = new(StringComparer.Ordinal);
        private readonly HashSet<long> _merged = new();
        private readonly HashSet<string> _reserved = new(SpecialTokens, StringComparer.Ordinal);

        public MergeState(List<string> words, List<long> wordCounts, int minFrequency)
        {
            _minFrequency = minFrequency;
            foreach (byte b in ByteLevel.VocabularyOrder)
            {
                AddToken(ByteLevel.ByteToChar[b].ToString());
            }

            _wordCounts = wordCounts.ToArray();
            _symbols = new int[words.Count][];
            _lengths = new int[words.Count];
            _stamp = new int[words.Count];
            Array.Fill(_stamp, -1);
            for (int w = 0; w < words.Count; w++)
            {
                string word = words[w];
                var symbols = new int[word.Length];
                for (int i = 0; i < word.Length; i++)
                {
                    symbols[i] = _tokenIds[word[i].ToString()];
                }

                _symbols[w] = symbols;
                _lengths[w] = symbols.Length;
                for (int i = 0; i + 1 < symbols.Length; i++)
                {
                    long pair = Pair(symbols[i], symbols[i + 1]);
                    _pairCounts[pair] = _pairCounts.GetValueOrDefault(pair) + _wordCounts[w];
                    Where(pair).Add(w);
                }
            }

            foreach ((long pair, long count) in _pairCounts)
            {
                Push(pair, count);
            }
        }

        public List<string> Tokens { get; } = new();

        public List<string> Merges { get; } = new();

        public void Run(int targetTokens)
        {
            int mergeIndex = 0;
            var increased = new HashSet<long>();
            while (Tokens.Count < targetTokens && _heap.TryDequeue(out long pair, out var priority))
            {
                long stored = -priority.NegCount;
                long actual = _pairCounts.GetValueOrDefault(pair);
                if (actual != stored)
                {
                    // A lower count: re-queue at its current value. A higher count: a fresher entry is queued already.
                    if (actual < stored)
                    {
                        Push(pair, actual);
                    }

                    continue;
                }

                if (actual < _minFrequency)
                {
                    break; // the best remaining pair is too rare
                }

                int left = (int)(pair >> 32);
                int right = (int)(uint)pair;
                string merged = Tokens[left] + Tokens[right];
                if (_reserved.Contains(merged))
                {
                    _pairCounts[pair] = 0; // would collide with a special token's text; never merge
                    continue;
                }

                int id = _tokenIds.TryGetValue(merged, out int existing) ? existing : AddToken(merged);
                if (_merged.Add(pair))
                {
                    Merges.Add(Tokens[left] + " " + Tokens[right]);
                }

                increased.Clear();
                ApplyMerge(pair, left, right, id, mergeIndex++, increased);
                foreach (long p in increased)
                {
                    // A pair can rise and fall back within one merge ("a b a b": (C, a) +1 then -1).
                    Push(p, _pairCounts.GetValueOrDefault(p));
                }
            }
        }

        private void ApplyMerge(long pair, int a, int b, int c, int stamp, HashSet<long> increased)
        {
            List<int> words = _pairWords[pair];
            _pairWords.Remove(pair);
            foreach (int w in words)
            {
                if (_stamp[w] == stamp)
                {
                    continue; // listed twice
                }

                _stamp[w] = stamp;
                int[] s = _symbols[w];
                int len = _lengths[w];
                long n = _wordCounts[w];

                // Left to right, non-overlapping ("a a a" with (a, a) -> "aa a"), updating neighbour pairs in place.
                for (int i = 0; i + 1 < len; i++)
                {
                    if (s[i] != a || s[i + 1] != b)
                    {
                        continue;
                    }

                    if (i > 0)
                    {
                        Add(Pair(s[i - 1], a), -n);
                        long p = Pair(s[i - 1], c);
                        Add(p, n);
                        increased.Add(p);
                        Where(p).Add(w);
                    }

                    if (i + 2 < len)
                    {
                        Add(Pair(b, s[i + 2]), -n);
                        long p = Pair(c, s[i + 2]);
                        Add(p, n);
                        increased.Add(p);
                        Where(p).Add(w);
                    }

                    Add(pair, -n);
                    s[i] = c;
                    Array.Copy(s, i + 2, s, i + 1, len - i - 2);
                    len--;
                }

                _lengths[w] = len;
            }
        }

        private int AddToken(string token)
        {
            int id = Tokens.Count;
            Tokens.Add(token);
            _tokenIds.Add(token, id);
            return id;
        }

        private void Add(long pair, long delta)
        {
            long value = _pairCounts.GetValueOrDefault(pair) + delta;
            if (value == 0)
            {
                _pairCounts.Remove(pair);
            }
            else
            {
                _pairCounts[pair] = value;
            }
        }

        private List<int> Where(long pair)
        {
            if (!_pairWords.TryGetValue(pair, out List<int>? list))
            {
                list = new List<int>(2);
                _pairWords[pair] = list;
            }

            return list;
        }

        private void Push(long pair, long count)
        {
            if (count >= _minFrequency)
            {
                _heap.Enqueue(pair, (-count, (int)(pair >> 32), (int)(uint)pair));
            }
        }

        private static long Pair(int left, int right) => ((long)left << 32) | (uint)right;
    }
}
