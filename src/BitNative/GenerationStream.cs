using BitNative.Generation;

namespace BitNative;

/// <summary>
/// The text of one request to a <see cref="BatchedGenerator"/>, as it is generated. Enumerate it once; the last chunk
/// carries the finish reason. Disposing the stream (or cancelling the token it was started with) cancels the request and
/// frees its slot before the generator's next step.
/// </summary>
public sealed class GenerationStream : IAsyncEnumerable<GenerationChunk>, IDisposable
{
    private readonly GenerationRequest _request;
    private readonly Action _wake;
    private readonly CancellationTokenRegistration _registration;

    internal GenerationStream(GenerationRequest request, Action wake, CancellationToken cancellationToken)
    {
        _request = request;
        _wake = wake;
        _registration = cancellationToken.Register(static s => ((GenerationStream)s!).Cancel(), this);
    }

    /// <summary>Tokens of the prompt (BOS and chat-format tokens included).</summary>
    public int PromptTokens => _request.Prompt.Length;

    /// <summary>The generator's step count when the request got its slot (-1 while it waits).</summary>
    internal long AdmittedAtStep => _request.AdmittedAtStep;

    /// <summary>The generator's step count when the request left its slot (-1 while it runs).</summary>
    internal long ReleasedAtStep => _request.ReleasedAtStep;

    /// <summary>Reads the chunks as they come.</summary>
    public async IAsyncEnumerator<GenerationChunk> GetAsyncEnumerator(CancellationToken cancellationToken)
    {
        await foreach (GenerationChunk chunk in _request.Output.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return chunk;
        }
    }

    /// <summary>Reads the whole reply: its text, the finish reason and the number of generated tokens.</summary>
    public async Task<(string Text, FinishReason FinishReason, int GeneratedTokens)> ReadToEndAsync(CancellationToken cancellationToken)
    {
        var text = new System.Text.StringBuilder();
        GenerationChunk last = default;
        await foreach (GenerationChunk chunk in this.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            text.Append(chunk.Text);
            last = chunk;
        }

        cancellationToken.ThrowIfCancellationRequested();
        return (text.ToString(), last.FinishReason ?? FinishReason.Cancelled, last.GeneratedTokens);
    }

    /// <summary>Stops the generation; its slot is free for the next request before the next step.</summary>
    public void Cancel()
    {
        if (_request.Cancel())
        {
            _wake();
        }
    }

    /// <summary>Cancels the request if it is still running.</summary>
    public void Dispose()
    {
        _registration.Dispose();
        Cancel();
    }
}
