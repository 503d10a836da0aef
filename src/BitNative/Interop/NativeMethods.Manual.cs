namespace BitNative.Interop;

/// <summary>Hand-written part of the generated <see cref="NativeMethods"/>.</summary>
internal static unsafe partial class NativeMethods
{
    /// <summary>
    /// An explicit static constructor makes the runtime run it before the first P/Invoke of this class,
    /// so the resolver is in place before the library is looked up (a library should not use a module initializer).
    /// </summary>
    static NativeMethods() => NativeLibraryResolver.Register();
}
