namespace BitNative.Interop;

/// <summary>Names of the native libraries the bindings load.</summary>
internal static class Libraries
{
    /// <summary>The kernel library: libbitnative.so, libbitnative.dylib or bitnative.dll.</summary>
    public const string BitNative = "bitnative";
}
