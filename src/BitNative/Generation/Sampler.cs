using System.Numerics.Tensors;

namespace BitNative.Generation;

/// <summary>
/// Chooses tokens from logits under <see cref="SamplingOptions"/>. One instance per generation stream: it owns its
/// random generator and vocabulary-sized scratch buffers, so sampling allocates nothing after construction.
/// </summary>
public sealed class Sampler
{
    private static readonly Comparer<float> Descending = Comparer<float>.Create((a, b) => b.CompareTo(a));

    private readonly SamplingOptions _options;
    private readonly Random _random;
    private readonly float[] _logits;
    private readonly int[] _candidates;
    private readonly float[] _probabilities;
    private readonly Dictionary<int, int> _counts = new();

    /// <summary>Creates a sampler for a vocabulary of <paramref name="vocabSize"/> tokens.</summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public Sampler(SamplingOptions options, int vocabSize)
        : this(options, new SamplerScratch(vocabSize))
    {
    }

    /// <summary>
    /// A sampler on borrowed scratch buffers: a batched generator's slot keeps one <see cref="SamplerScratch"/> for every
    /// request it serves, instead of three vocabulary-sized arrays per request (1.5 MB for a 128k vocabulary, each on
    /// the large-object heap). One sampler at a time may use a scratch.
    /// </summary>
    internal Sampler(SamplingOptions options, SamplerScratch scratch)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(scratch);
        options.Validate(scratch.VocabSize);
        _options = options;
        _random = options.Seed is int seed ? new Random(seed) : new Random();
        _logits = scratch.Logits;
        _candidates = scratch.Candidates;
        _probabilities = scratch.Probabilities;
    }

    /// <summary>Picks the next token given the logits and the tokens seen so far (prompt and output).</summary>
    public int Sample(ReadOnlySpan<float> logits, ReadOnlySpan<int> history)
    {
        int vocab = _logits.Length;
        if (logits.Length != vocab)
        {
            throw new ArgumentException($"Expected {vocab} logits, got {logits.Length}.", nameof(logits));
        }

        Span<float> z = _logits;
        logits.CopyTo(z);
        if (_options.LogitBias is { } bias)
        {
            foreach (var (token, value) in bias)
            {
                z[token] += value;
            }
        }

        ApplyPenalties(z, history);

        if (_options.Temperature <= 0f)
        {
            return TensorPrimitives.IndexOfMax<float>(z);
        }

        int count = SelectTopK(z);
        count = ApplyTopPAndMinP(z, count);
        return Draw(z, count);
    }

    private void ApplyPenalties(Span<float> z, ReadOnlySpan<int> history)
    {
        SamplingOptions o = _options;
        bool anyPenalty = o.RepeatPenalty != 1f || o.FrequencyPenalty != 0f || o.PresencePenalty != 0f;
        if (!anyPenalty || o.RepeatLastN == 0 || history.IsEmpty)
        {
            return;
        }

        ReadOnlySpan<int> recent = o.RepeatLastN < 0 || history.Length <= o.RepeatLastN ? history : history[^o.RepeatLastN..];
        _counts.Clear();
        foreach (int token in recent)
        {
            if ((uint)token < (uint)z.Length)
            {
                _counts[token] = _counts.GetValueOrDefault(token) + 1;
            }
        }

        foreach (var (token, n) in _counts)
        {
            float v = z[token];
            v = v > 0 ? v / o.RepeatPenalty : v * o.RepeatPenalty;
            z[token] = v - n * o.FrequencyPenalty - o.PresencePenalty;
        }
    }

    /// <summary>Puts the candidates in _candidates sorted by descending logit; returns how many survive top-k.</summary>
    private int SelectTopK(ReadOnlySpan<float> z)
    {
        int vocab = z.Length;
        int k = _options.TopK > 0 ? Math.Min(_options.TopK, vocab) : vocab;
        if (k < vocab)
        {
            // A min-heap of the k best seen so far: O(V log k), no full sort of a 128k vocabulary per token.
            Span<int> heap = _candidates.AsSpan(0, k);
            for (int i = 0; i < k; i++)
            {
                heap[i] = i;
                SiftUp(heap, i, z);
            }

            // Most logits are below the k-th best seen so far: a vector of them is skipped with one comparison (a later id
            // with an equal logit is never better, so "greater than" is the exact test).
            int width = System.Numerics.Vector<float>.Count;
            for (int i = k; i < vocab;)
            {
                if (i + width <= vocab &&
                    !System.Numerics.Vector.GreaterThanAny(new System.Numerics.Vector<float>(z.Slice(i, width)),
                        new System.Numerics.Vector<float>(z[heap[0]])))
                {
                    i += width;
                    continue;
                }

                for (int end = Math.Min(i + width, vocab); i < end; i++)
                {
                    if (Better(i, heap[0], z))
                    {
                        heap[0] = i;
                        SiftDown(heap, 0, z);
                    }
                }
            }
        }
        else
        {
            for (int i = 0; i < vocab; i++)
            {
                _candidates[i] = i;
            }
        }

        Span<int> chosen = _candidates.AsSpan(0, k);
        for (int i = 0; i < k; i++)
        {
            _probabilities[i] = z[chosen[i]];
        }

        // Sort by descending logit, ties by ascending id, so results never depend on the heap's internal order.
        _probabilities.AsSpan(0, k).Sort(chosen, Descending);
        StableTies(chosen, _probabilities.AsSpan(0, k));
        return k;
    }

    private static void StableTies(Span<int> ids, ReadOnlySpan<float> values)
    {
        int start = 0;
        for (int i = 1; i <= ids.Length; i++)
        {
            if (i == ids.Length || values[i] != values[start])
            {
                ids[start..i].Sort();
                start = i;
            }
        }
    }

    /// <summary>Softmax of the candidates at temperature 1 for top-p / min-p; returns the surviving count.</summary>
    private int ApplyTopPAndMinP(ReadOnlySpan<float> z, int count)
    {
        Span<float> p = _probabilities.AsSpan(0, count);
        float max = z[_candidates[0]];
        float sum = 0;
        for (int i = 0; i < count; i++)
        {
            p[i] = MathF.Exp(z[_candidates[i]] - max);
            sum += p[i];
        }

        if (_options.MinP > 0f)
        {
            float threshold = _options.MinP * p[0]; // p[0] is the most likely candidate
            int kept = 1;
            while (kept < count && p[kept] >= threshold)
            {
                kept++;
            }

            count = kept;
        }

        if (_options.TopP < 1f)
        {
            float total = 0;
            for (int i = 0; i < count; i++)
            {
                total += p[i];
            }

            float cumulative = 0;
            for (int i = 0; i < count; i++)
            {
                cumulative += p[i];
                if (cumulative >= _options.TopP * total)
                {
                    count = i + 1;
                    break;
                }
            }
        }

        return Math.Max(count, 1);
    }

    private int Draw(ReadOnlySpan<float> z, int count)
    {
        Span<float> p = _probabilities.AsSpan(0, count);
        float inverseTemperature = 1f / _options.Temperature;
        float max = z[_candidates[0]] * inverseTemperature;
        float sum = 0;
        for (int i = 0; i < count; i++)
        {
            p[i] = MathF.Exp(z[_candidates[i]] * inverseTemperature - max);
            sum += p[i];
        }

        float r = (float)_random.NextDouble() * sum;
        for (int i = 0; i < count; i++)
        {
            r -= p[i];
            if (r < 0)
            {
                return _candidates[i];
            }
        }

        return _candidates[count - 1];
    }

    private static bool Better(int a, int b, ReadOnlySpan<float> z) => z[a] > z[b] || (z[a] == z[b] && a < b);

    private static void SiftUp(Span<int> heap, int i, ReadOnlySpan<float> z)
    {
        while (i > 0)
        {
            int parent = (i - 1) / 2;
            if (!Better(heap[parent], heap[i], z))
            {
                break;
            }

            (heap[parent], heap[i]) = (heap[i], heap[parent]);
            i = parent;
        }
    }

    private static void SiftDown(Span<int> heap, int i, ReadOnlySpan<float> z)
    {
        while (true)
        {
            int left = 2 * i + 1, right = left + 1, worst = i;
            if (left < heap.Length && Better(heap[worst], heap[left], z))
            {
                worst = left;
            }

            if (right < heap.Length && Better(heap[worst], heap[right], z))
            {
                worst = right;
            }

            if (worst == i)
            {
                return;
            }

            (heap[worst], heap[i]) = (heap[i], heap[worst]);
            i = worst;
        }
    }
}

/// <summary>The vocabulary-sized buffers a <see cref="Sampler"/> works in.</summary>
internal sealed class SamplerScratch
{
    public SamplerScratch(int vocabSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabSize, 1);
        Logits = new float[vocabSize];
        Candidates = new int[vocabSize];
        Probabilities = new float[vocabSize];
    }

    public int VocabSize => Logits.Length;

    public float[] Logits { get; }

    public int[] Candidates { get; }

    public float[] Probabilities { get; }
}
