namespace BitNative.Tokenization;

/// <summary>
/// Kind of a vocabulary entry, numbered as GGUF's <c>tokenizer.ggml.token_type</c> (llama.cpp's
/// <c>llama_token_type</c>), so GGUF metadata maps with a plain cast.
/// </summary>
internal enum TokenType
{
    /// <summary>GGUF "undefined" (0); treated like <see cref="Normal"/>.</summary>
    Undefined = 0,

    /// <summary>An ordinary text token (byte-level BPE piece).</summary>
    Normal = 1,

    /// <summary>The unknown token (SentencePiece vocabularies; never produced by byte-level encoding).</summary>
    Unknown = 2,

    /// <summary>A control token such as <c>&lt;|eot_id|&gt;</c>: produced only from trusted template text.</summary>
    Control = 3,

    /// <summary>A user-defined added token: like <see cref="Control"/>, matched only in trusted text.</summary>
    UserDefined = 4,

    /// <summary>A reserved, unused slot.</summary>
    Unused = 5,

    /// <summary>A byte token (SentencePiece <c>&lt;0xNN&gt;</c>); in a byte-level vocabulary it is ordinary text.</summary>
    Byte = 6,
}

internal static class TokenTypeExtensions
{
    /// <summary>True for tokens that byte-level BPE can produce from text (and whose string is byte-level encoded).</summary>
    public static bool IsText(this TokenType type) => type is TokenType.Normal or TokenType.Byte or TokenType.Undefined;

    /// <summary>True for tokens that are matched verbatim in trusted text and stand for their literal content.</summary>
    public static bool IsSpecial(this TokenType type) => type is TokenType.Control or TokenType.UserDefined;
}
