namespace BitNative.Formats;

/// <summary>
/// A model file (GGUF or safetensors) is malformed, truncated, hostile or uses a feature BitNative
/// does not read. The message names the file, what is wrong and where (byte offset, key or tensor).
/// </summary>
/// <remarks>
/// The natural base, <see cref="InvalidDataException"/>, is sealed; this derives from its base family
/// <see cref="IOException"/> instead (as <see cref="EndOfStreamException"/> does), so callers that
/// handle "could not read the file" also handle "the file is bad". The readers in <c>BitNative.Formats</c> promise that a bad file ends with exactly this
/// exception, never with an out-of-range read, an <see cref="OutOfMemoryException"/> or a hang.
/// </remarks>
public sealed class BitNativeFormatException : IOException
{
    /// <summary>Creates an exception with a generic message.</summary>
    public BitNativeFormatException()
        : base("The model file is malformed.")
    {
    }

    /// <summary>Creates an exception with the given message.</summary>
    /// <param name="message">What is wrong, and where.</param>
    public BitNativeFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with the given message and the exception that revealed the problem.</summary>
    /// <param name="message">What is wrong, and where.</param>
    /// <param name="innerException">The exception that revealed the problem (for example a JSON parse error).</param>
    public BitNativeFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    private BitNativeFormatException(string message, string filePath, long? offset, Exception? innerException)
        : base(message, innerException)
    {
        FilePath = filePath;
        Offset = offset;
    }

    /// <summary>The file the problem was found in, when known.</summary>
    public string? FilePath { get; }

    /// <summary>The byte offset in the file where the offending item starts, when known.</summary>
    public long? Offset { get; }

    /// <summary>
    /// Builds the one message shape every reader uses:
    /// "&lt;format&gt; file '&lt;path&gt;': &lt;problem&gt; (at offset N, &lt;where&gt;)".
    /// </summary>
    internal static BitNativeFormatException Create(
        string format, string filePath, string problem, long? offset = null, string? where = null, Exception? inner = null)
    {
        string location = (offset, where) switch
        {
            (null, null) => "",
            (null, _) => $" ({where})",
            (_, null) => $" (at offset {offset})",
            _ => $" (at offset {offset}, {where})",
        };
        return new BitNativeFormatException($"{format} file '{filePath}': {problem}{location}", filePath, offset, inner);
    }
}
