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

/// <summary>How a KV cache stores keys and values (bitnative.h, "Quantized KV cache").</summary>
public enum KvCacheType
{
    /// <summary>IEEE half precision (the default).</summary>
    F16 = bn_kv_type.BN_KV_F16,

    /// <summary>int8 codes with one scale per head and position.</summary>
    Q8 = bn_kv_type.BN_KV_Q8,

    /// <summary>4-bit codes with one scale per head and position.</summary>
    Q4 = bn_kv_type.BN_KV_Q4,

    /// <summary>3-bit codes with one scale per head and position (BitNet a4.8's KV cache).</summary>
    Q3 = bn_kv_type.BN_KV_Q3,
}

/// <summary>
/// Blocks of a KV cache: one per KV head and position, head_dim values each (fp16 values, or a float scale and packed
/// codes: symmetric absmax, c = round(x · Qmax / max|x|), read back as d · c).
/// </summary>
public static unsafe class KvQuantizer
{
    /// <summary>Bytes of one block (a KV head's head_dim values at one position).</summary>
    /// <exception cref="ArgumentException">The type is unknown, or a quantized type's head_dim is not a multiple of 32.</exception>
    public static long BlockBytes(KvCacheType type, int headDim)
    {
        long bytes;
        NativeMethods.bn_kv_block_bytes((bn_kv_type)type, headDim, &bytes).ThrowIfFailed(nameof(NativeMethods.bn_kv_block_bytes));
        return bytes;
    }

    /// <summary>Stores <paramref name="rows"/> rows of headDim floats as blocks of <paramref name="type"/>, as the RoPE + KV write does.</summary>
    /// <exception cref="ArgumentException">A span is shorter than the shape needs or the shape is invalid.</exception>
    public static void Quantize(ReadOnlySpan<float> x, int rows, int headDim, KvCacheType type, Span<byte> blocks)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        long bb = BlockBytes(type, headDim);
        Shapes.Require(x.Length, (long)rows * headDim, nameof(x));
        Shapes.Require(blocks.Length, rows * bb, nameof(blocks));
        fixed (float* xp = x)
        fixed (byte* bp = blocks)
        {
            NativeMethods.bn_kv_quantize(xp, x.Length, rows, headDim, (bn_kv_type)type, bp, blocks.Length)
                .ThrowIfFailed(nameof(NativeMethods.bn_kv_quantize));
        }
    }

    /// <summary>The values <paramref name="rows"/> blocks read back (what attention computes with): rows × headDim floats.</summary>
    /// <exception cref="ArgumentException">A span is shorter than the shape needs or the shape is invalid.</exception>
    public static void Dequantize(ReadOnlySpan<byte> blocks, int rows, int headDim, KvCacheType type, Span<float> y)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        long bb = BlockBytes(type, headDim);
        Shapes.Require(blocks.Length, rows * bb, nameof(blocks));
        Shapes.Require(y.Length, (long)rows * headDim, nameof(y));
        fixed (byte* bp = blocks)
        fixed (float* yp = y)
        {
            NativeMethods.bn_kv_dequantize(bp, blocks.Length, rows, headDim, (bn_kv_type)type, yp, y.Length)
                .ThrowIfFailed(nameof(NativeMethods.bn_kv_dequantize));
        }
    }
}

/// <summary>
/// Rotary position embedding with the KV-cache write, and grouped-query attention over that cache. A layer's cache is
/// rows of kvHeads × headDim fp16 values, one row per position, or for any <see cref="KvCacheType"/> rows of kvHeads
/// blocks of <see cref="KvQuantizer.BlockBytes"/> bytes.
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
        long kvDim = CheckHeadsAndCaches(q.Length, tokens, heads, kvHeads, headDim, position, null, keyCache.Length, valueCache.Length);
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
        CheckHeadsAndCaches(q.Length, tokens, heads, kvHeads, headDim, position, null, keyCache.Length, valueCache.Length);
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

    /// <summary>
    /// <see cref="RopeAndStoreKv(Span{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, int, int, int, int, int, RotaryLayout, int, Span{Half}, Span{Half}, KernelThreadPool?)"/>
    /// for a cache of any <paramref name="type"/>: the caches are bytes, rows of kvHeads blocks; the queries and the keys
    /// rotate exactly as for fp16, then the keys and values are stored as <paramref name="type"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A span is shorter than the shape needs or the shape is invalid.</exception>
    public static void RopeAndStoreKv(Span<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, ReadOnlySpan<float> table, int tokens,
        int heads, int kvHeads, int headDim, int ropeDims, RotaryLayout layout, int position, KvCacheType type, Span<byte> keyCache,
        Span<byte> valueCache, KernelThreadPool? pool)
    {
        long kvDim = CheckHeadsAndCaches(q.Length, tokens, heads, kvHeads, headDim, position, type, keyCache.Length, valueCache.Length);
        Shapes.Require(k.Length, tokens * kvDim, nameof(k));
        Shapes.Require(v.Length, tokens * kvDim, nameof(v));
        Shapes.Require(table.Length, (long)tokens * Math.Max(ropeDims, 0), nameof(table));
        using var lease = KernelThreadPool.Acquire(pool);
        fixed (float* qp = q)
        fixed (float* kp = k)
        fixed (float* vp = v)
        fixed (float* tp = table)
        fixed (byte* kc = keyCache)
        fixed (byte* vc = valueCache)
        {
            NativeMethods.bn_rope_kv(qp, q.Length, kp, k.Length, vp, v.Length, tp, table.Length, tokens, heads, kvHeads, headDim, ropeDims,
                (bn_rope_style)layout, position, (bn_kv_type)type, kc, keyCache.Length, vc, valueCache.Length, lease.Pointer)
                .ThrowIfFailed(nameof(NativeMethods.bn_rope_kv));
        }
    }

    /// <summary>
    /// <see cref="Attend(ReadOnlySpan{float}, ReadOnlySpan{Half}, ReadOnlySpan{Half}, int, int, int, int, int, float, Span{float}, KernelThreadPool?)"/>
    /// over a cache of any <paramref name="type"/> (bytes, rows of kvHeads blocks): attention over the values the blocks
    /// read back, within the same tolerance.
    /// </summary>
    /// <exception cref="ArgumentException">A span is shorter than the shape needs or the shape is invalid.</exception>
    public static void Attend(ReadOnlySpan<float> q, KvCacheType type, ReadOnlySpan<byte> keyCache, ReadOnlySpan<byte> valueCache, int tokens,
        int heads, int kvHeads, int headDim, int position, float scale, Span<float> output, KernelThreadPool? pool)
    {
        CheckHeadsAndCaches(q.Length, tokens, heads, kvHeads, headDim, position, type, keyCache.Length, valueCache.Length);
        Shapes.Require(output.Length, (long)tokens * heads * headDim, nameof(output));
        using var lease = KernelThreadPool.Acquire(pool);
        fixed (float* qp = q)
        fixed (byte* kc = keyCache)
        fixed (byte* vc = valueCache)
        fixed (float* op = output)
        {
            NativeMethods.bn_attention(qp, q.Length, kc, keyCache.Length, vc, valueCache.Length, tokens, heads, kvHeads, headDim, position,
                scale, (bn_kv_type)type, op, output.Length, lease.Pointer).ThrowIfFailed(nameof(NativeMethods.bn_attention));
        }
    }

    /// <summary>The head configuration, the queries (tokens x heads x headDim) and the caches (position + tokens rows of
    /// kvHeads x headDim fp16 values, or with a <paramref name="type"/> kvHeads blocks of bytes); returns the key and value
    /// row length kvHeads x headDim.</summary>
    private static long CheckHeadsAndCaches(int queries, int tokens, int heads, int kvHeads, int headDim, int position,
        KvCacheType? type, int keyCache, int valueCache)
    {
        CheckHeads(tokens, heads, kvHeads, headDim, position);
        long kvDim = (long)kvHeads * headDim;
        long cacheRow = type is { } t ? kvHeads * KvQuantizer.BlockBytes(t, headDim) : kvDim;
        Shapes.Require(queries, (long)tokens * heads * headDim, "q");
        Shapes.Require(keyCache, ((long)position + tokens) * cacheRow, nameof(keyCache));
        Shapes.Require(valueCache, ((long)position + tokens) * cacheRow, nameof(valueCache));
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
