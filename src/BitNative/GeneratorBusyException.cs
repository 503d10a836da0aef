using BitNative.Kernels;
namespace BitNative;

/// <summary>Every slot of a <see cref="BatchedGenerator"/> is busy and its waiting queue is full: try again later.</summary>
public sealed class GeneratorBusyException : BitNativeException
{
    /// <summary>Creates the exception.</summary>
    public GeneratorBusyException(int slots, int queueLimit)
        : base($"All {slots} slots are busy and {queueLimit} requests are already waiting; try again later.")
    {
    }
}
