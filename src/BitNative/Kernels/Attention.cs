using System.Runtime.InteropServices;
using BitNative.Interop;

namespace BitNative.Kernels;

/// <summary>How rotary position embedding pairs the dimensions of a head.</summary>
public enum RotaryLayout
{
    /// <summary>Dimension i pairs with i + ropeDims/2 ("rotate half": GPT-NeoX, Hugging Face LLaMA and BitNet).</summary>
    NeoX = bn_rope_style.BN_ROPE_NEOX,

    /// <summary>Dimension 2i pairs with 2i + 1 (RoFormer, llama.cpp's NORM layout).</summary>
    Interleaved = bn_rope_style.BN_ROPE_INTERLEAVED,
}

/// <summary>
/// Rotary position embedding with the fp16 KV-cache write, and grouped-query attention over that cache. A layer's
/// cache is rows of kvHeads × headDim fp16 values, one row per position.
/// </summary>
public static unsafe class Attention
{
    /// <summary>
    /// Fills the RoPE table for positions [position, position + count): row t holds cos(p·θᵢ) for i &lt; ropeDims/2,
    /// then sin(p·θᵢ), with p = position + t and θᵢ = freqBase^(-2i/ropeDims), evaluated in double.
    /// </summary>
    /// <param name="position">First position (≥ 0).</param>
    /// <param name="count">Positions.</param>
    /// <param name="ropeDims">Rotated dimensions per head (even, positive).</param>
    /// <param name="freqBase">RoPE base θ (finite, &gt; 1).</param>
    /// <param name="table">Receives count × ropeDims floats.</param>
    /// <exception cref="ArgumentException">An argument is out of range or the table is too short.</exception>
    public static void RopeTable(int position, int count, int ropeDims, float freqBase, Span<float> table)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        Shapes.Require(table.Length, (long)count * Math.Max(ropeDims, 0), nameof(table));
        fixed (float* t = table)
        {
            NativeMethods.bn_rope_table(position, count, ropeDims, freqBase, t, table.Length).ThrowIfFailed(nameof(NativeMethods.bn_rope_table));
        }
    }

    /// <summary>
    /// Rotates the queries (in place) and keys of <paramref name="tokens"/> tokens at cache rows
    /// [position, position + tokens), and stores the rotated keys and the values there as fp16.
    /// </summary>
    /// <param name="q">tokens × heads × headDim queries, rotated in place.</param>
    /// <param name="k">tokens × kvHeads × headDim keys.</param>
    /// <param name="v">tokens × kvHeads × headDim values.</param>
    /// <param name="table">The <see cref="RopeTable"/> of the same positions.</param>
    /// <param name="tokens">Tokens.</param>
    /// <param name="heads">Query heads (a multiple of kvHeads).</param>
    /// <param name="kvHeads">Key/value heads.</param>
    /// <param name="headDim">Dimensions per head.</param>
    /// <param name="ropeDims">Leading dimensions of each head that rotate (even, ≤ headDim).</param>
    /// <param name="layout">Dimension pairing.</param>
    /// <param name="position">Cache row of the first token.</param>
    /// <param name="keyCache">One layer's key cache (at least position + tokens rows).</param>
    /// <param name="valueCache">One layer's value cache.</param>
    /// <param name="pool">Threads for large batches, or null for the calling thread.</param>
    /// <exception cref="ArgumentException">A span is shorter than the shape needs or the head configuration is invalid.</exception>
    public static void RopeAndStoreKv(Span<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, ReadOnlySpan<float> table, int tokens,
        int heads, int kvHeads, int headDim, int ropeDims, RotaryLayout layout, int position, Span<Half> keyCache, Span<Half> valueCache,
        KernelThreadPool? pool)
    {
        long kvDim = CheckHeadsAndCaches(q.Length, tokens, heads, kvHeads, headDim, position, keyCache.Length, valueCache.Length);
        Shapes.Require(k.Length, tokens * kvDim, nameof(k));
        Shapes.Require(v.Length, tokens * kvDim, nameof(v));
        Shapes.Require(table.Length, (long)tokens * Math.Max(ropeDims, 0), nameof(table));
        using var lease = KernelThreadPool.Acquire(pool);
        fixed (float* qp = q)
        fixed (float* kp = k)
        fixed (float* vp = v)
        fixed (float* tp = table)
        fixed (Half* kc = keyCache)
        fixed (Half* vc = valueCache)
        {
            NativeMethods.bn_rope_kv_f16(qp, q.Length, kp, k.Length, vp, v.Length, tp, table.Length, tokens, heads, kvHeads, headDim, ropeDims,
                (bn_rope_style)layout, position, (ushort*)kc, keyCache.Length, (ushort*)vc, valueCache.Length, lease.Pointer)
                .ThrowIfFailed(nameof(NativeMethods.bn_rope_kv_f16));
        }
    }

    /// <summary>
    /// Causal grouped-query attention of <paramref name="tokens"/> queries over the fp16 cache: token t sits at cache
    /// row position + t and attends to rows [0, position + t]; query head h reads KV head h / (heads / kvHeads).
    /// Matches a textbook reference within 1e-5 · (1 + |max score|) · max|v| (online softmax, SIMD sums).
    /// </summary>
    /// <param name="q">tokens × heads × headDim queries.</param>
    /// <param name="keyCache">One layer's key cache (at least position + tokens rows).</param>
    /// <param name="valueCache">One layer's value cache.</param>
    /// <param name="tokens">Query tokens.</param>
    /// <param name="heads">Query heads (a multiple of kvHeads).</param>
    /// <param name="kvHeads">Key/value heads.</param>
    /// <param name="headDim">Dimensions per head (at most 512).</param>
    /// <param name="position">Cache row of the first query token.</param>
    /// <param name="scale">Multiplies q · k (usually 1 / √headDim).</param>
    /// <param name="output">Receives tokens × heads × headDim floats.</param>
    /// <param name="pool">Threads that split tokens, KV heads and groups of query heads, or null for the calling thread.</param>
    /// <exception cref="ArgumentException">A span is shorter than the shape needs or the head configuration is invalid.</exception>
    public static void Attend(ReadOnlySpan<float> q, ReadOnlySpan<Half> keyCache, ReadOnlySpan<Half> valueCache, int tokens, int heads,
        int kvHeads, int headDim, int position, float scale, Span<float> output, KernelThreadPool? pool)
    {
        CheckHeadsAndCaches(q.Length, tokens, heads, kvHeads, headDim, position, keyCache.Length, valueCache.Length);
        Shapes.Require(output.Length, (long)tokens * heads * headDim, nameof(output));
        using var lease = KernelThreadPool.Acquire(pool);
        fixed (float* qp = q)
        fixed (Half* kc = keyCache)
        fixed (Half* vc = valueCache)
        fixed (float* op = output)
        {
            NativeMethods.bn_attention_f16(qp, q.Length, (ushort*)kc, keyCache.Length, (ushort*)vc, valueCache.Length, tokens, heads, kvHeads,
                headDim, position, scale, op, output.Length, lease.Pointer).ThrowIfFailed(nameof(NativeMethods.bn_attention_f16));
        }
    }

    /// <summary>The head configuration, the queries (tokens x heads x headDim) and the caches (position + tokens rows of
    /// kvHeads x headDim); returns the cache row length kvHeads x headDim.</summary>
    private static long CheckHeadsAndCaches(int queries, int tokens, int heads, int kvHeads, int headDim, int position, int keyCache,
        int valueCache)
    {
        CheckHeads(tokens, heads, kvHeads, headDim, position);
        long kvDim = (long)kvHeads * headDim;
        Shapes.Require(queries, (long)tokens * heads * headDim, "q");
        Shapes.Require(keyCache, ((long)position + tokens) * kvDim, nameof(keyCache));
        Shapes.Require(valueCache, ((long)position + tokens) * kvDim, nameof(valueCache));
        return kvDim;
    }

    private static void CheckHeads(int tokens, int heads, int kvHeads, int headDim, int position)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokens);
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        ArgumentOutOfRangeException.ThrowIfLessThan(heads, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(kvHeads, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(headDim, 1);
        if (heads % kvHeads != 0)
        {
            throw new ArgumentException($"{heads} query heads cannot share {kvHeads} key/value heads evenly.", nameof(kvHeads));
        }
    }
}
