namespace BindGen;

/// <summary>
/// A problem the user must fix: bad arguments, a missing or non-compiling header, a missing
/// libclang, or declarations that cannot be mapped. Program prints the message and exits with 2.
/// </summary>
internal sealed class BindGenException(string message) : Exception(message);
