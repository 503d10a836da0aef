namespace BitNative.Model;

/// <summary>
/// The shape check every model reader applies (GGUF and safetensors): a tensor has exactly the shape the hyperparameters
/// give it, or loading fails naming the tensor and both shapes. Comparing element counts alone let a transposed
/// embedding ([d, vocab] for [vocab, d]) or a flattened projection load and run as garbage.
/// </summary>
internal static class TensorShapes
{
    /// <summary>
    /// Whether <paramref name="actual"/> is <paramref name="expected"/>. GGUF writers may pad the outer dimensions with 1s
    /// (<paramref name="outerOnesAllowed"/>); a single value may be stored as a scalar, [1] or [1, 1].
    /// </summary>
    public static bool Match(IReadOnlyList<long> actual, IReadOnlyList<long> expected, bool outerOnesAllowed)
    {
        if (Count(expected) == 1 && Count(actual) == 1)
        {
            return true;
        }

        if (actual.Count < expected.Count || (actual.Count > expected.Count && !outerOnesAllowed))
        {
            return false;
        }

        for (int i = 0; i < actual.Count; i++)
        {
            if (actual[i] != (i < expected.Count ? expected[i] : 1))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The error for a tensor whose shape is not the one the hyperparameters need, noticing a transposed matrix.</summary>
    public static InvalidDataException Mismatch(string file, string name, IReadOnlyList<long> actual, IReadOnlyList<long> expected)
    {
        bool transposed = actual.Count == 2 && expected.Count == 2 && actual[0] == expected[1] && actual[1] == expected[0];
        return new InvalidDataException(
            $"{file}: tensor {name} has shape [{string.Join(", ", actual)}], but the hyperparameters need [{string.Join(", ", expected)}]" +
            (transposed ? " (it is stored transposed)." : "."));
    }

    private static long Count(IReadOnlyList<long> shape) => shape.Aggregate(1L, (a, b) => a * b);
}
