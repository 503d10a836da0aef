using BitNative.Kernels;
using BitNative.Model.Planning;

namespace BitNative.Model;

/// <summary>
/// Decides, once per projection at load, the layout its weights are kept in, the activations it reads and the kernel
/// variant that runs it, so the readers build each matrix in its final form (no second pass over the weights).
/// <list type="bullet">
/// <item>Inputs: BitNet a4.8's int4 goes to the attention (Q/K/V) and feed-forward (gate/up) projections only; the
/// attention-output and down projections keep int8 (their inputs carry the outliers, arXiv 2411.04965 section 2.1).</item>
/// <item>Layout and ISA: measured ("plan at load"). For each projection shape the candidates the options allow (I2_S
/// multiply-add and TL1 lookup tables for <see cref="TernaryKernel.Auto"/>, every ISA this CPU runs) are timed on
/// synthetic weights of that shape with the model's threads (<see cref="KernelTimer"/>); the layout with the fastest
/// one-token product is kept, and the fastest ISA on it runs one token and a batch. Every candidate gives the same bits,
/// so the plan changes speed, never results. Plans are cached per CPU and library build (<see cref="KernelPlanCache"/>).</item>
/// <item>Sparse inputs (a4.8's top-K on the o_proj / down_proj int8 rows): the transposed I2ST layout, whose kernels skip
/// the zero columns, joins the candidates of an I2_S projection, and every candidate is timed on rows with the recipe's
/// share of zeros, so I2ST is kept only where it beats the dense kernels on this CPU with these threads (it gives the
/// bits of I2_S on the same sparsified rows; so does TL1). The sparsity is part of the plan's key.</item>
/// <item>A forced ISA (<see cref="ModelOptions.Isa"/>), or a load that does not measure, skips the measurement: the fixed
/// rule of <see cref="Resolve"/> on the active (or forced) ISA, and I2ST for every sparse I2_S projection.</item>
/// </list>
/// </summary>
internal sealed class KernelPlanner : IDisposable
{
    private readonly ModelConfig _config;
    private readonly ModelLoadOptions _options;
    private readonly ModelRecipe _recipe;
    private readonly ResourceOwner _owner;
    private readonly KernelPlanCache? _cache;
    private readonly List<KernelPlanEntry> _entries = new();
    private KernelThreadPool? _repackPool;

    /// <param name="config">The model's shapes (how many matrices share each shape decides how it is timed).</param>
    /// <param name="options">Kernel family, forced ISA, threads, batch and cache folder.</param>
    /// <param name="recipe">The activation bits and sparsity the model runs with (<see cref="ModelLoadOptions.Resolve"/>).</param>
    /// <param name="owner">Owns the buffers of converted weights.</param>
    public KernelPlanner(ModelConfig config, ModelLoadOptions options, ModelRecipe recipe, ResourceOwner owner)
    {
        _config = config;
        _options = options;
        _recipe = recipe;
        _owner = owner;
        if (options.Isa is null && options.MeasureKernels)
        {
            _cache = new KernelPlanCache(options.PlanCacheDirectory);
        }
    }

    /// <summary>Every decision made so far, one per distinct projection shape.</summary>
    public IReadOnlyList<KernelPlanEntry> Entries => _entries;

    /// <summary>The file the measured plan is cached in, if any.</summary>
    public string? CacheFile => _cache?.FilePath;

    /// <summary>
    /// The family <see cref="TernaryKernel.Auto"/> means when nothing is measured (a forced ISA): int4 inputs use lookup
    /// tables wherever there is SIMD (their tables hold int4 pair sums in bytes: 1.5-1.7x the multiply-add GEMV on
    /// AVX2), int8 inputs the multiply-add kernels (they read the file's layout in place, no second copy), except on
    /// plain NEON, where int8 multiplies widen to 8 lanes and lookups win.
    /// </summary>
    public static TernaryKernel Resolve(TernaryKernel requested, ActivationBits bits, Isa isa)
    {
        if (requested != TernaryKernel.Auto)
        {
            return requested;
        }

        if (isa == Isa.Reference)
        {
            return TernaryKernel.MultiplyAdd;
        }

        if (bits == ActivationBits.Int4)
        {
            return TernaryKernel.LookupTable;
        }

        return isa == Isa.Neon ? TernaryKernel.LookupTable : TernaryKernel.MultiplyAdd;
    }

    /// <summary>
    /// The activations a projection in <paramref name="role"/> reads: the recipe's bits for Q/K/V and gate/up; for o_proj
    /// and down_proj int8, or int4 after BitNet v2's Hadamard transform with int4 inputs.
    /// </summary>
    public ActivationType InputOf(ProjectionRole role)
    {
        ActivationBits bits = role is ProjectionRole.AttentionInput or ProjectionRole.FeedForwardInput
            ? _recipe.ActivationBits
            : _recipe.OutputInputBits;
        return bits == ActivationBits.Int4 ? ActivationType.Int4 : ActivationType.Int8;
    }

    /// <summary>
    /// The share of a projection's int8 input rows top-K sets to zero (a4.8: o_proj and down_proj), 0 for dense inputs
    /// (every other role, and int4 rows, which top-K never touches).
    /// </summary>
    public float InputSparsity(ProjectionRole role) => InputOf(role) != ActivationType.Int8 ? 0f : role switch
    {
        ProjectionRole.AttentionOutput => _recipe.AttentionOutputSparsity,
        ProjectionRole.FeedForwardOutput => _recipe.FeedForwardDownSparsity,
        _ => 0f,
    };

    /// <summary>The plan for a ternary projection stored (or packable) as <paramref name="stored"/>.</summary>
    public KernelPlanEntry Plan(WeightType stored, int n, int k, ProjectionRole role)
    {
        ActivationType input = InputOf(role);
        float sparsity = InputSparsity(role);
        IReadOnlyList<WeightType> layouts = Layouts(stored, k, sparsity > 0f);
        var key = new KernelPlanKey(stored, string.Join(",", layouts), input, n, k, _options.Threads, BatchRows,
            Math.Min(KernelTimer.MaxWorkingSetBytes, MatricesOfShape(n, k) * WeightTypes.Bytes(stored, n, k)), sparsity);
        KernelPlanEntry? entry = _entries.FirstOrDefault(e => e.Key == key);
        if (entry is not null)
        {
            return entry;
        }

        if (_options.Isa is Isa forced)
        {
            entry = new KernelPlanEntry(key, layouts[0], forced, forced, []);
        }
        else if (_cache is null || !_cache.TryGet(key, out entry))
        {
            entry = _cache is null
                ? new KernelPlanEntry(key, layouts[0], KernelDispatch.ActiveIsa, KernelDispatch.ActiveIsa, [])
                : KernelTimer.Measure(key, layouts, _options.Pool);
            _cache?.Add(entry);
        }

        _entries.Add(entry);
        return entry;
    }

    /// <summary>
    /// A ternary projection whose bytes are already in the planned layout (<see cref="Plan"/>), normalizing its own input
    /// with <paramref name="inputNorm"/> when given (<see cref="WeightMatrix.InputNorm"/>).
    /// </summary>
    public WeightMatrix Matrix(string name, KernelPlanEntry plan, ReadOnlyMemory<byte> bytes, float scale, int n, int k,
        ProjectionRole role, InputRmsNorm? inputNorm = null) =>
        new(name, plan.Layout, bytes, scale, n, k, InputOf(role))
        {
            Variants = new KernelVariants(plan.Gemv, plan.Gemm),
            InputNorm = inputNorm,
        };

    /// <summary>
    /// Converts a matrix stored as <paramref name="stored"/> into <paramref name="layout"/> in a buffer the owner keeps
    /// (rows split over a pool of every CPU: the repack of a 2B model takes a second on one thread).
    /// </summary>
    public ReadOnlyMemory<byte> Convert(WeightType stored, ReadOnlySpan<byte> bytes, WeightType layout, int n, int k)
    {
        var buffer = _owner.Track(new NativeBuffer<byte>(checked((int)WeightTypes.Bytes(layout, n, k))));
        _repackPool ??= KernelDispatch.Features.LogicalCpus > 1 ? KernelThreadPool.Create(KernelDispatch.Features.LogicalCpus) : null;
        WeightPacker.Repack(stored, bytes, layout, n, k, buffer.GetSpan(), _repackPool);
        return buffer.Memory;
    }

    /// <summary>Packs n rows of k ternary values into <paramref name="layout"/> (one scale per tensor: I2_S, TL1) in a buffer the owner keeps.</summary>
    public ReadOnlyMemory<byte> Pack(WeightType layout, ReadOnlySpan<sbyte> q, int n, int k)
    {
        var buffer = _owner.Track(new NativeBuffer<byte>(checked((int)WeightTypes.Bytes(layout, n, k))));
        WeightPacker.Pack(layout, q, n, k, 1f, buffer.GetSpan());
        return buffer.Memory;
    }

    /// <summary>Writes newly measured entries to the cache.</summary>
    public void Dispose()
    {
        _cache?.Save();
        _repackPool?.Dispose();
    }

    /// <summary>Rows of the batch timing: the model's prompt batch, up to 32 (past that a tile kernel's speed is flat).</summary>
    private int BatchRows => Math.Clamp(_options.BatchSize, 1, 32);

    /// <summary>
    /// The layouts a projection may be kept in, the one taken unmeasured first: TL1 (lookup tables) is a conversion of
    /// I2_S-shaped weights (k a multiple of 128); multiply-add keeps the stored layout. Auto lets the measurement pick
    /// between them; with a forced ISA the fixed rule of <see cref="Resolve"/> decides. An I2_S projection with sparse
    /// inputs adds the transposed I2ST layout (a conversion of I2_S for every kernel family): first, as what runs when
    /// nothing is measured (its kernels skip the zero columns, the work and bytes shrinking with the sparsity), and timed
    /// against the dense layouts when the plan measures.
    /// </summary>
    private IReadOnlyList<WeightType> Layouts(WeightType stored, int k, bool sparse)
    {
        bool measured = _options.Isa is null && _options.MeasureKernels;
        if (sparse && stored == WeightType.I2S && !measured)
        {
            return [WeightType.I2ST];
        }

        bool tl1Possible = stored == WeightType.I2S && k % WeightTypes.Info(WeightType.Tl1).BlockWeights == 0;
        TernaryKernel kernel = _options.Kernel;
        if (kernel == TernaryKernel.Auto && !measured)
        {
            kernel = Resolve(kernel, _recipe.ActivationBits, _options.Isa ?? KernelDispatch.ActiveIsa);
        }

        IReadOnlyList<WeightType> dense = kernel switch
        {
            TernaryKernel.LookupTable when tl1Possible => [WeightType.Tl1],
            TernaryKernel.Auto when tl1Possible => [stored, WeightType.Tl1],
            _ => [stored],
        };
        return sparse && stored == WeightType.I2S ? [WeightType.I2ST, .. dense] : dense;
    }

    /// <summary>How many projections of the model have n rows of k columns.</summary>
    private long MatricesOfShape(int n, int k)
    {
        int d = _config.EmbeddingLength, f = _config.FeedForwardLength, kv = _config.KvDim, q = _config.QueryDim;
        (int N, int K)[] perLayer = [(q, d), (kv, d), (kv, d), (d, q), (f, d), (f, d), (d, f)];
        return (long)perLayer.Count(s => s == (n, k)) * _config.BlockCount;
    }
}
