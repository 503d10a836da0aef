using BitNative.Model;
using BitNative.Kernels;
namespace BitNative;

/// <summary>How a model is loaded and run.</summary>
public sealed record ModelOptions
{
    /// <summary>Threads the native kernels use (0: one per logical CPU). Default 0.</summary>
    public int Threads { get; init; }

    /// <summary>Positions each session's KV cache holds (0: the model's own context length). Default 0.</summary>
    public int ContextLength { get; init; }

    /// <summary>Prompt tokens evaluated per batch: larger batches reuse each weight row more. Default 128.</summary>
    public int BatchSize { get; init; } = 128;

    /// <summary>Precision of the output head. Default <see cref="OutputHeadPrecision.Auto"/> (as the file stores it).</summary>
    public OutputHeadPrecision OutputHead { get; init; }

    /// <summary>Kernels for the ternary projections. Default <see cref="TernaryKernel.Auto"/>: the fastest for this CPU.</summary>
    public TernaryKernel Kernel { get; init; } = TernaryKernel.Auto;

    /// <summary>
    /// Activation precision of the Q/K/V and gate/up projection inputs (and of the o_proj / down_proj inputs of a BitNet
    /// v2 model, which follow its Hadamard transform). Null (default): what the model was trained with (its file's
    /// <c>bitnative.activation_bits</c>; int8 for BitNet b1.58). <see cref="BitNative.Kernels.ActivationBits.Int4"/> on a
    /// model not trained for it (BitNet a4.8's split) is faster but changes the numerics.
    /// </summary>
    public ActivationBits? ActivationBits { get; init; }

    /// <summary>
    /// How each session caches keys and values. Null (default): the model's own setting (<c>bitnative.kv_cache</c>; fp16
    /// when the file has none). Q8 / Q4 / Q3 hold a KV head's values at one position as 8 / 4 / 3-bit codes with one scale:
    /// about 1.9x / 3.8x / 4.9x smaller than fp16 at head size 128.
    /// </summary>
    public KvCacheType? KvCache { get; init; }

    /// <summary>
    /// BitNet a4.8's top-K sparsification of the o_proj and down_proj inputs. Null (default): the model's own setting
    /// (<c>bitnative.sparsity.*</c>; none when the file has none); <see cref="TopKSparsity.None"/> turns it off.
    /// </summary>
    public TopKSparsity? Sparsity { get; init; }

    /// <summary>
    /// True: the kernels read weights stored in their own layout (I2_S, TQ2_0, F16 and Q8_0 heads) in place from the
    /// memory-mapped file: loading touches nothing, and processes running the same file share its page cache. False
    /// (default): they are copied once at load into 2 MiB-page memory and the file's pages are released, so the process
    /// still holds one copy; fewer TLB misses while every weight streams from DRAM each token make decoding faster
    /// (docs/PERFORMANCE.md). Weights the model converts (TQ1_0, uniform-scale TQ2_0, other head types) are copies either
    /// way.
    /// </summary>
    public bool MemoryMapWeights { get; init; }

    /// <summary>
    /// Run every projection with this instruction set's kernels instead of the plan measured at load (for diagnosis; the
    /// environment variable BITNATIVE_ISA, e.g. <c>avx2</c>, does the same). Null (default): measure.
    /// </summary>
    public Kernels.Isa? Isa { get; init; }

    /// <summary>
    /// Folder where measured kernel plans are kept between runs (<c>kernel-plans/</c> inside it). Null (default):
    /// <c>$BITNATIVE_CACHE_DIR</c>, else the user's cache folder (<c>$XDG_CACHE_HOME/bitnative</c>, <c>~/.cache/bitnative</c>,
    /// or <c>%LOCALAPPDATA%\BitNative</c> on Windows).
    /// </summary>
    public string? CacheDirectory { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        if (Threads is < 0 or > 256)
        {
            throw new ArgumentException($"Threads = {Threads} is invalid: it must be 0 (all CPUs) or 1..256.", nameof(Threads));
        }

        if (ContextLength < 0)
        {
            throw new ArgumentException($"ContextLength = {ContextLength} is invalid: it must be >= 0.", nameof(ContextLength));
        }

        if (!Enum.IsDefined(OutputHead))
        {
            throw new ArgumentException($"OutputHead = {OutputHead} is not an {nameof(OutputHeadPrecision)} value.", nameof(OutputHead));
        }

        if (BatchSize is < 1 or > 4096)
        {
            throw new ArgumentException($"BatchSize = {BatchSize} is invalid: it must be in 1..4096.", nameof(BatchSize));
        }

        if (!Enum.IsDefined(Kernel))
        {
            throw new ArgumentException($"Kernel = {(int)Kernel} is not a {nameof(TernaryKernel)} value.", nameof(Kernel));
        }

        if (Isa is { } isa && !Kernels.KernelDispatch.IsSupported(isa))
        {
            throw new ArgumentException($"Isa = {isa}: this CPU or build cannot run it.", nameof(Isa));
        }

        if (ActivationBits is { } bits && !Enum.IsDefined(bits))
        {
            throw new ArgumentException($"ActivationBits = {(int)bits} is invalid: it must be Int8 or Int4.", nameof(ActivationBits));
        }

        if (KvCache is { } kv && !Enum.IsDefined(kv))
        {
            throw new ArgumentException($"KvCache = {(int)kv} is not a {nameof(Kernels.KvCacheType)} value.", nameof(KvCache));
        }

        Sparsity?.Validate();
    }
}
