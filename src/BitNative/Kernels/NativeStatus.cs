using System.Runtime.InteropServices;
using BitNative.Interop;

namespace BitNative.Kernels;

/// <summary>The one place where native status codes become .NET exceptions.</summary>
internal static unsafe class NativeStatus
{
    /// <summary>Throws the exception that matches a failed status, with the native detail message.</summary>
    public static void ThrowIfFailed(this bn_status status, string function)
    {
        if (status == bn_status.BN_STATUS_OK)
        {
            return;
        }

        string detail = Marshal.PtrToStringUTF8((nint)NativeMethods.bn_last_error()) ?? "";
        string statusName = Marshal.PtrToStringUTF8((nint)NativeMethods.bn_status_string(status)) ?? status.ToString();
        string message = $"{function} failed: {statusName}: {detail}";
        throw status switch
        {
            bn_status.BN_STATUS_INVALID_ARGUMENT or bn_status.BN_STATUS_SHAPE_MISMATCH => new ArgumentException(message),
            bn_status.BN_STATUS_UNSUPPORTED => new PlatformNotSupportedException(message),
            bn_status.BN_STATUS_OUT_OF_MEMORY => new InsufficientMemoryException(message),
            _ => new BitNativeException(message),
        };
    }
}
