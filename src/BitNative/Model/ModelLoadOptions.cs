using BitNative.Kernels;

namespace BitNative.Model;

/// <summary>Load-time choices that change how weights are laid out in memory and which kernels run them.</summary>
internal sealed record ModelLoadOptions
{
    /// <summary>Repack ternary TQ1_0/TQ2_0 projections with a uniform scale as I2_S (the fastest kernel). Default true.</summary>
    public bool RepackToI2S { get; init; } = true;

    /// <summary>Precision of the output head (<see cref="OutputHeadPrecision"/>). Default: as the file stores it.</summary>
    public OutputHeadPrecision OutputHead { get; init; }

    /// <summary>Kernel family of the ternary projections; Auto lets the measured plan choose (see <see cref="KernelPlanner"/>).</summary>
    public TernaryKernel Kernel { get; init; } = TernaryKernel.Auto;

    /// <summary>Input precision of the Q/K/V and gate/up projections; null: the file's recipe.</summary>
    public ActivationBits? ActivationBits { get; init; }

    /// <summary>KV cache type; null: the file's recipe.</summary>
    public KvCacheType? KvCache { get; init; }

    /// <summary>Top-K sparsity of the o_proj / down_proj inputs; null: the file's recipe.</summary>
    public TopKSparsity? Sparsity { get; init; }

    /// <summary>The recipe a model runs with: the file's, with the settings these options give replacing its own.</summary>
    public ModelRecipe Resolve(ModelRecipe file) => file with
    {
        ActivationBits = ActivationBits ?? file.ActivationBits,
        KvCache = KvCache ?? file.KvCache,
        AttentionOutputSparsity = Sparsity?.AttentionOutput ?? file.AttentionOutputSparsity,
        FeedForwardDownSparsity = Sparsity?.FeedForwardDown ?? file.FeedForwardDownSparsity,
    };

    /// <summary>Read weights the kernels use as stored from the mapped file instead of copying them (see <see cref="ModelOptions.MemoryMapWeights"/>).</summary>
    public bool MemoryMapWeights { get; init; }

    /// <summary>Run every projection with this ISA's kernels instead of a measured plan (diagnosis). Null: measure, or the active ISA.</summary>
    public Isa? Isa { get; init; }

    /// <summary>
    /// Time the kernel candidates at load (<see cref="KernelPlanner"/>). False: the fixed rule of
    /// <see cref="KernelPlanner.Resolve"/> and the active ISA, as internal tests that compare layouts want. Default false;
    /// <see cref="BitNetModel.Load(string, ModelOptions)"/> turns it on.
    /// </summary>
    public bool MeasureKernels { get; init; }

    /// <summary>Folder of the measured-plan cache, or null to keep plans in memory only.</summary>
    public string? PlanCacheDirectory { get; init; }

    /// <summary>The threads the model will run on, timed with (null: the calling thread).</summary>
    public KernelThreadPool? Pool { get; init; }

    /// <summary>Threads the kernels run on (part of the plan's key).</summary>
    public int Threads { get; init; } = 1;

    /// <summary>Prompt tokens per batch (the plan times batches of up to 32 of them).</summary>
    public int BatchSize { get; init; } = 32;
}
