namespace BitNative.Generation;

/// <summary>A piece of generated text from a <see cref="GenerationStream"/>.</summary>
/// <param name="Text">The text (possibly empty on the last chunk); never half a UTF-8 character, never a stop string.</param>
/// <param name="FinishReason">Set on the last chunk only: why the generation ended.</param>
/// <param name="GeneratedTokens">Tokens generated so far.</param>
public readonly record struct GenerationChunk(string Text, FinishReason? FinishReason, int GeneratedTokens);
