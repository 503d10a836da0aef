using System.Threading.Channels;

namespace BitNative.Generation;

/// <summary>
/// One request to the batched generator: its prompt and settings, and the channel its text goes out through. Created
/// by the caller's thread; after admission only the scheduler's thread touches it, except <see cref="Cancel"/>.
/// </summary>
internal sealed class GenerationRequest
{
    private readonly Channel<GenerationChunk> _output =
        Channel.CreateUnbounded<GenerationChunk>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

    private int _cancelled;

    public GenerationRequest(int[] prompt, GenerationSettings settings)
    {
        Prompt = prompt;
        Settings = settings;
    }

    /// <summary>The prompt's token ids (BOS included where the model wants it).</summary>
    public int[] Prompt { get; }

    public GenerationSettings Settings { get; }

    /// <summary>What the caller reads: text chunks, the last one with its finish reason.</summary>
    public ChannelReader<GenerationChunk> Output => _output.Reader;

    /// <summary>The scheduler's step count when the request got a slot (-1 while it waits): for tests and monitoring.</summary>
    public long AdmittedAtStep { get; set; } = -1;

    /// <summary>The scheduler's step count when the request left its slot (-1 while it runs).</summary>
    public long ReleasedAtStep { get; set; } = -1;

    /// <summary>Set once the caller gave up (disconnected, cancelled, disposed the stream).</summary>
    public bool IsCancelled => Volatile.Read(ref _cancelled) != 0;

    /// <summary>Marks the request cancelled; returns false if it already was.</summary>
    public bool Cancel() => Interlocked.Exchange(ref _cancelled, 1) == 0;

    /// <summary>Sends a piece of text (never blocks: the channel is unbounded, and bounded in practice by MaxTokens).</summary>
    public void Write(GenerationChunk chunk) => _output.Writer.TryWrite(chunk);

    /// <summary>Ends the output, with an error for the reader when the generation failed.</summary>
    public void Complete(Exception? error = null) => _output.Writer.TryComplete(error);
}
