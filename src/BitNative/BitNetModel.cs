using BitNative.Kernels;
using BitNative.Model;
using BitNative.Model.Planning;
using BitNative.Tokenization;

namespace BitNative;

/// <summary>
/// A loaded BitNet b1.58 model: weights (memory-mapped where the file layout allows), tokenizer and native worker
/// threads, shared by every <see cref="InferenceSession"/> created from it. Thread-safe.
/// </summary>
public sealed class BitNetModel : IDisposable
{
    private readonly ModelWeights _weights;
    private readonly KernelThreadPool? _pool;
    private readonly Transformer _transformer;
    private readonly ByteLevelBpeTokenizer _tokenizer;
    private readonly ModelOptions _options;

    internal BitNetModel(LoadedModel loaded, ModelOptions options, KernelThreadPool? pool, string source)
    {
        options.Validate();
        _options = options;
        _weights = loaded.Weights;
        ModelWeights weights = loaded.Weights;
        TokenizerData tokenizer = loaded.Tokenizer;
        KernelPlan = loaded.Plan;
        _pool = pool;
        Threads = pool?.Threads ?? 1;
        Recipe = loaded.Recipe;
        _transformer = new Transformer(weights, _pool, loaded.Recipe);
        _tokenizer = ByteLevelBpeTokenizer.Create(tokenizer);
        Source = source;
        if (_tokenizer.VocabularySize > weights.Config.VocabSize)
        {
            throw new InvalidDataException(
                $"{source}: the tokenizer has {_tokenizer.VocabularySize} tokens but the model only {weights.Config.VocabSize} embedding rows.");
        }
    }

    /// <summary>Loads a model file (GGUF) or a Hugging Face checkpoint folder with default options.</summary>
    public static BitNetModel Load(string path) => Load(path, new ModelOptions());

    /// <summary>Loads a model file (GGUF) or a Hugging Face checkpoint folder.</summary>
    /// <exception cref="FileNotFoundException">Nothing exists at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is malformed, or holds a tensor type or architecture this engine does not run.</exception>
    public static BitNetModel Load(string path, ModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        int threads = options.Threads > 0 ? options.Threads : Math.Max(1, KernelDispatch.Features.LogicalCpus);
        KernelThreadPool? pool = threads > 1 ? KernelThreadPool.Create(threads) : null;
        LoadedModel? loaded = null;
        try
        {
            loaded = ModelLoader.Load(path, new ModelLoadOptions
            {
                OutputHead = options.OutputHead,
                Kernel = options.Kernel,
                ActivationBits = options.ActivationBits,
                KvCache = options.KvCache,
                Sparsity = options.Sparsity,
                MemoryMapWeights = options.MemoryMapWeights,
                Isa = options.Isa ?? IsaFromEnvironment(),
                MeasureKernels = true,
                PlanCacheDirectory = options.CacheDirectory ?? CacheFolders.Default,
                Pool = pool,
                Threads = threads,
                BatchSize = options.BatchSize,
            });
            return new BitNetModel(loaded, options, pool, path);
        }
        catch
        {
            loaded?.Weights.Dispose();
            pool?.Dispose();
            throw;
        }
    }

    /// <summary>The ISA BITNATIVE_ISA names (e.g. "avx2"), for diagnosis; an unknown or unsupported name is an error.</summary>
    private static Isa? IsaFromEnvironment()
    {
        string? name = Environment.GetEnvironmentVariable("BITNATIVE_ISA");
        if (string.IsNullOrWhiteSpace(name))
        {
            return null;
        }

        Isa[] known = Enum.GetValues<Isa>();
        Isa? isa = known.Cast<Isa?>().FirstOrDefault(i => string.Equals(KernelDispatch.NameOf(i!.Value), name.Trim(), StringComparison.OrdinalIgnoreCase));
        if (isa is not Isa found || !KernelDispatch.IsSupported(found))
        {
            throw new ArgumentException(
                $"BITNATIVE_ISA={name}: not an ISA this CPU runs (it runs {string.Join(", ", known.Where(KernelDispatch.IsSupported).Select(KernelDispatch.NameOf))}).");
        }

        return found;
    }

    /// <summary>
    /// The kernel plan chosen at load: for each projection shape the layout kept, the ISA for one token and for a batch,
    /// and every candidate's measured time (empty timings where nothing was measured: a forced ISA, or only the scalar
    /// reference available).
    /// </summary>
    public IReadOnlyList<KernelPlanEntry> KernelPlan { get; }

    /// <summary>The model's hyperparameters.</summary>
    public ModelConfig Config => _weights.Config;

    /// <summary>Where the model was loaded from.</summary>
    public string Source { get; }

    /// <summary>Threads the kernels use.</summary>
    public int Threads { get; }

    /// <summary>Positions a new session holds.</summary>
    public int ContextLength => _options.ContextLength > 0 ? _options.ContextLength : Config.ContextLength;

    /// <summary>Bytes of weights one decoded token reads.</summary>
    public long WeightBytesPerToken => _weights.BytesPerToken;

    /// <summary>The kernel variant in use (e.g. avx2).</summary>
    public string KernelIsa => KernelDispatch.NameOf(KernelDispatch.ActiveIsa);

    /// <summary>
    /// The kernel family the ternary projections run on (<see cref="ModelOptions.Kernel"/> with Auto resolved):
    /// <see cref="TernaryKernel.LookupTable"/> when at least one projection was repacked for it.
    /// </summary>
    public TernaryKernel Kernel => _weights.Layers.Any(l => l.Query.Type == WeightType.Tl1)
        ? TernaryKernel.LookupTable
        : TernaryKernel.MultiplyAdd;

    /// <summary>Input precision of the Q/K/V and gate/up projections (<see cref="ModelOptions.ActivationBits"/>, else the model's).</summary>
    public ActivationBits ActivationBits => Recipe.ActivationBits;

    /// <summary>
    /// The BitNet a4.8 / v2 settings the model runs with: the file's recipe (its <c>bitnative.*</c> keys; BitNet b1.58 when
    /// it has none), with the settings <see cref="ModelOptions.ActivationBits"/>, <see cref="ModelOptions.KvCache"/> and
    /// <see cref="ModelOptions.Sparsity"/> give replacing its own. <see cref="ModelRecipe.Name"/> stays the file's.
    /// </summary>
    public ModelRecipe Recipe { get; }

    /// <summary>Bytes of a session's KV cache at <see cref="ContextLength"/> positions (<see cref="ModelRecipe.KvCache"/>).</summary>
    public long KvCacheBytes => Config.KvCacheBytes(ContextLength, Recipe.KvCache);

    /// <summary>The weight type of the output head (logits) as it runs: the file's type, or the one <see cref="ModelOptions.OutputHead"/> chose.</summary>
    public WeightType OutputHeadType => _weights.OutputHead.Type;

    internal ByteLevelBpeTokenizer Tokenizer => _tokenizer;

    internal Transformer Transformer => _transformer;

    /// <summary>Prompt tokens evaluated per forward pass (<see cref="ModelOptions.BatchSize"/>).</summary>
    internal int BatchSize => _options.BatchSize;

    /// <summary>Creates a session with its own KV cache of <see cref="ContextLength"/> positions.</summary>
    public InferenceSession CreateSession() => new(this, _transformer, _tokenizer, ContextLength, _options.BatchSize);

    /// <summary>Tokenizes text as plain text (never control tokens), adding BOS when asked.</summary>
    public int[] Tokenize(string text, bool addBos) => _tokenizer.Encode(text, addBos);

    /// <summary>
    /// Renders a conversation with the model's chat format, ending with the assistant's generation prompt, as token ids.
    /// Message text is always encoded as plain text, never as control tokens.
    /// </summary>
    /// <exception cref="ArgumentException">There are no messages, or a message has an empty role.</exception>
    public int[] TokenizeChat(IReadOnlyList<ChatMessage> messages) => TokenizeChat(messages, enableThinking: null);

    /// <summary>
    /// As <see cref="TokenizeChat(IReadOnlyList{ChatMessage})"/>, with the chat template's <c>enable_thinking</c> variable
    /// set (Qwen3 / Bonsai: false answers without a &lt;think&gt; block); null leaves it undefined.
    /// </summary>
    public int[] TokenizeChat(IReadOnlyList<ChatMessage> messages, bool? enableThinking)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (messages.Count == 0)
        {
            throw new ArgumentException("A chat needs at least one message.", nameof(messages));
        }

        return _tokenizer.Chat.Render(messages.Select(m => new ChatTurn(m.Role, m.Content)).ToList(), addGenerationPrompt: true, enableThinking)
            .TokenIds;
    }

    /// <summary>Turns token ids back into text.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside the vocabulary.</exception>
    public string Detokenize(IEnumerable<int> tokens) => _tokenizer.Detokenize(tokens);

    /// <summary>The beginning-of-sequence token id, if the vocabulary has one.</summary>
    public int? BosTokenId => _tokenizer.BosId;

    /// <summary>Whether the model adds BOS in front of a new sequence.</summary>
    public bool AddsBos => _tokenizer.AddBos;

    /// <summary>Releases the weights and worker threads.</summary>
    public void Dispose()
    {
        _pool?.Dispose();
        _weights.Dispose();
    }
}
