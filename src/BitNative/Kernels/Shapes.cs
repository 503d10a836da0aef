namespace BitNative.Kernels;

/// <summary>Length checks shared by the kernel facades, so errors name the parameter before any native call.</summary>
internal static class Shapes
{
    public static void Require(int length, long needed, string parameter)
    {
        if (length < needed)
        {
            throw new ArgumentException($"{parameter} has {length} elements; the shape needs {needed}.", parameter);
        }
    }

    /// <summary>
    /// The checks of an m x k (quantized activations, one scale per row) by n x k (weights of <paramref name="weightBytes"/>)
    /// product into m x n outputs, with the facades' parameter names.
    /// </summary>
    public static void RequireMatmul(int weights, long weightBytes, int xq, int xScales, int y, int n, int k, int m)
    {
        Require(weights, weightBytes, nameof(weights));
        Require(xq, (long)m * k, nameof(xq));
        Require(xScales, m, nameof(xScales));
        Require(y, (long)m * n, nameof(y));
    }
}
