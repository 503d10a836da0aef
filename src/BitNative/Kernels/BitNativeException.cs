namespace BitNative.Kernels;

/// <summary>An operation of the BitNative engine failed for a reason other than a bad argument.</summary>
public class BitNativeException : Exception
{
    /// <summary>Creates the exception with a message.</summary>
    public BitNativeException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    public BitNativeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
