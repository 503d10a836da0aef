namespace BitNative.Model;

/// <summary>
/// A run of consecutive rows of a forward batch that belong to one sequence: its KV cache and the position of its first
/// row. Several sequences in one batch share every projection (one matmul over all their rows) and keep their own
/// RoPE positions, cache rows and attention.
/// </summary>
/// <param name="Cache">The sequence's KV cache.</param>
/// <param name="Start">Position (cache row) of the first row.</param>
/// <param name="Count">Rows (tokens) of this sequence in the batch, at positions [Start, Start + Count).</param>
internal readonly record struct SequenceRows(KvCache Cache, int Start, int Count);
