using BitNative.Kernels;
namespace BitNative;

/// <summary>A prompt does not fit the session's remaining context.</summary>
public sealed class ContextLengthExceededException : BitNativeException
{
    /// <summary>Creates the exception.</summary>
    public ContextLengthExceededException(int tokens, int position, int contextLength)
        : base($"The prompt needs {tokens} tokens but only {contextLength - position} of the context's {contextLength} " +
               $"positions are free ({position} in use). Shorten the prompt, reset the session, or load the model with " +
               "a larger context length.")
    {
        Tokens = tokens;
        Position = position;
        ContextLength = contextLength;
    }

    /// <summary>Tokens the prompt needs.</summary>
    public int Tokens { get; }

    /// <summary>Positions already in use.</summary>
    public int Position { get; }

    /// <summary>The session's context length.</summary>
    public int ContextLength { get; }
}
