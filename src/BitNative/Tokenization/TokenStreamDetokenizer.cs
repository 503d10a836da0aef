using System.Buffers;
using System.Text.Unicode;

namespace BitNative.Tokenization;

/// <summary>
/// Turns generated ids into text as it becomes complete. A token can end inside a multi-byte UTF-8 character (emoji,
/// CJK are often split over two or three tokens); those bytes are held back until the character completes, so a chunk
/// never contains half a character. Bytes that cannot become a character (an invalid sequence) are emitted as U+FFFD
/// as soon as they are known to be invalid, exactly as <see cref="ByteLevelBpeTokenizer.Detokenize(IEnumerable{int})"/>
/// would detokenize them: the concatenation of every chunk and <see cref="Flush"/> equals detokenizing all ids at once.
/// One instance per generation stream; not thread-safe.
/// </summary>
internal sealed class TokenStreamDetokenizer
{
    private readonly ByteLevelBpeTokenizer _tokenizer;
    private readonly bool _skipSpecialTokens;
    private byte[] _pending = new byte[16];
    private int _pendingCount;
    private char[] _chars = new char[64];

    internal TokenStreamDetokenizer(ByteLevelBpeTokenizer tokenizer, bool skipSpecialTokens)
    {
        _tokenizer = tokenizer;
        _skipSpecialTokens = skipSpecialTokens;
    }

    /// <summary>Number of bytes held back because they may still complete a character.</summary>
    public int PendingByteCount => _pendingCount;

    /// <summary>Adds a token and returns the text it completes (possibly empty).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The id is outside the vocabulary.</exception>
    public string Append(int id)
    {
        _tokenizer.CheckId(id, nameof(id));
        if (_skipSpecialTokens && _tokenizer.IsSpecialUnchecked(id))
        {
            return string.Empty;
        }

        byte[] bytes = _tokenizer.TokenBytesUnchecked(id);
        if (_pendingCount + bytes.Length > _pending.Length)
        {
            Array.Resize(ref _pending, Math.Max(_pending.Length * 2, _pendingCount + bytes.Length));
        }

        bytes.CopyTo(_pending, _pendingCount);
        _pendingCount += bytes.Length;
        return Drain(isFinalBlock: false);
    }

    /// <summary>Ends the stream: held-back bytes (an unfinished character) are emitted as U+FFFD.</summary>
    public string Flush() => Drain(isFinalBlock: true);

    /// <summary>Forgets held-back bytes (e.g. when a new answer starts).</summary>
    public void Reset() => _pendingCount = 0;

    private string Drain(bool isFinalBlock)
    {
        if (_pendingCount == 0)
        {
            return string.Empty;
        }

        // At most one UTF-16 char per byte.
        if (_chars.Length < _pendingCount)
        {
            _chars = new char[Math.Max(_chars.Length * 2, _pendingCount)];
        }

        // With isFinalBlock false the transcoder stops before a trailing sequence that may still become valid
        // (NeedMoreData) and replaces sequences that are already invalid with U+FFFD (maximal subparts, the same
        // rule Encoding.UTF8.GetString applies, so streaming and one-shot detokenizing agree).
        OperationStatus status = Utf8.ToUtf16(
            _pending.AsSpan(0, _pendingCount), _chars, out int bytesRead, out int charsWritten,
            replaceInvalidSequences: true, isFinalBlock: isFinalBlock);
        if (status is not (OperationStatus.Done or OperationStatus.NeedMoreData))
        {
            throw new InvalidOperationException($"UTF-8 decoding failed unexpectedly ({status}).");
        }

        int left = _pendingCount - bytesRead;
        Array.Copy(_pending, bytesRead, _pending, 0, left);
        _pendingCount = left;
        return charsWritten == 0 ? string.Empty : new string(_chars, 0, charsWritten);
    }
}
