using System.Diagnostics;

namespace BitNative.Model;

/// <summary>The parts of one forward pass that <see cref="TransformerProfiler"/> times separately.</summary>
public enum ForwardPart
{
    /// <summary>Token ids to embedding rows (managed dequantization of one row per token).</summary>
    Embedding,

    /// <summary>RoPE cos/sin table of the batch's positions.</summary>
    RopeTable,

    /// <summary>RMSNorm (+ activation quantization) of the attention and FFN inputs and the attention sub-norm.</summary>
    Norm,

    /// <summary>Ternary Q, K and V projections.</summary>
    QkvProjection,

    /// <summary>RoPE on Q and K with the fp16 KV-cache write.</summary>
    RopeKvWrite,

    /// <summary>Attention over the KV cache (scores, softmax, weighted V).</summary>
    Attention,

    /// <summary>Ternary attention output projection.</summary>
    OutputProjection,

    /// <summary>Ternary FFN gate and up projections.</summary>
    GateUpProjection,

    /// <summary>Gated activation (ReLU² or SiLU times up) with the FFN sub-norm and quantization.</summary>
    GatedActivation,

    /// <summary>Ternary FFN down projection.</summary>
    DownProjection,

    /// <summary>Residual additions.</summary>
    Residual,

    /// <summary>Final norm and output head (logits).</summary>
    OutputHead,
}

/// <summary>
/// Opt-in timing of a session's forward passes, part by part (<see cref="ForwardPart"/>), with the number of native
/// calls each part makes: what <c>bitnative bench --profile</c> reports. Parts are timed with
/// <see cref="Stopwatch.GetTimestamp"/> around their kernel calls, so a part's time includes the P/Invoke transitions
/// and the facade's argument checks; whatever a forward pass spends outside every part is managed overhead. Not
/// thread-safe: one profiler belongs to one session.
/// </summary>
public sealed class TransformerProfiler
{
    private static readonly int PartCount = Enum.GetValues<ForwardPart>().Length;

    private readonly long[] _ticks = new long[PartCount];
    private readonly long[] _calls = new long[PartCount];

    /// <summary>Forward passes recorded.</summary>
    public long Forwards { get; private set; }

    /// <summary>Tokens those forward passes processed.</summary>
    public long Tokens { get; private set; }

    /// <summary>Stopwatch ticks of the whole forward passes.</summary>
    public long ForwardTicks { get; private set; }

    /// <summary>Stopwatch ticks spent in a part.</summary>
    public long Ticks(ForwardPart part) => _ticks[(int)part];

    /// <summary>Native calls a part made.</summary>
    public long Calls(ForwardPart part) => _calls[(int)part];

    /// <summary>Native calls of every part.</summary>
    public long TotalCalls => _calls.Sum();

    /// <summary>Forward time outside every timed part (managed code between the kernels).</summary>
    public long UntimedTicks => ForwardTicks - _ticks.Sum();

    /// <summary>Clears every count, to profile another stretch of work.</summary>
    public void Reset()
    {
        Array.Clear(_ticks);
        Array.Clear(_calls);
        Forwards = Tokens = ForwardTicks = 0;
    }

    /// <summary>Starts timing a part; dispose the scope when it ends. A null profiler makes a scope that does nothing.</summary>
    internal static Scope Time(TransformerProfiler? profiler, ForwardPart part, int nativeCalls) => new(profiler, part, nativeCalls);

    /// <summary>Starts timing a whole forward pass of <paramref name="tokens"/> tokens.</summary>
    internal static ForwardScope TimeForward(TransformerProfiler? profiler, int tokens) => new(profiler, tokens);

    internal readonly ref struct Scope
    {
        private readonly TransformerProfiler? _profiler;
        private readonly ForwardPart _part;
        private readonly int _calls;
        private readonly long _start;

        public Scope(TransformerProfiler? profiler, ForwardPart part, int calls)
        {
            _profiler = profiler;
            _part = part;
            _calls = calls;
            _start = profiler is null ? 0 : Stopwatch.GetTimestamp();
        }

        public void Dispose()
        {
            if (_profiler is not null)
            {
                _profiler._ticks[(int)_part] += Stopwatch.GetTimestamp() - _start;
                _profiler._calls[(int)_part] += _calls;
            }
        }
    }

    internal readonly ref struct ForwardScope
    {
        private readonly TransformerProfiler? _profiler;
        private readonly int _tokens;
        private readonly long _start;

        public ForwardScope(TransformerProfiler? profiler, int tokens)
        {
            _profiler = profiler;
            _tokens = tokens;
            _start = profiler is null ? 0 : Stopwatch.GetTimestamp();
        }

        public void Dispose()
        {
            if (_profiler is not null)
            {
                _profiler.ForwardTicks += Stopwatch.GetTimestamp() - _start;
                _profiler.Forwards++;
                _profiler.Tokens += _tokens;
            }
        }
    }
}
