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
}
