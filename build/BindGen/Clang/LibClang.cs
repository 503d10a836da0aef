using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

[assembly: DisableRuntimeMarshalling]

namespace BindGen.Clang;

// The raw libclang C API (clang-c/Index.h, stable since clang 3.x; checked against 14.0.6).
// Only the functions BindGen needs are declared. Structs mirror the C layout exactly; libclang
// passes most of them by value. Nothing outside the BindGen.Clang namespace sees these types:
// ClangCursor/ClangType/TranslationUnit wrap them in safe, string-returning members.

[StructLayout(LayoutKind.Sequential)]
internal struct CXCursor
{
    public CXCursorKind kind;
    public int xdata;
    public nint data0, data1, data2;
}

[StructLayout(LayoutKind.Sequential)]
internal struct CXType
{
    public CXTypeKind kind;
    public nint data0, data1;
}

[StructLayout(LayoutKind.Sequential)]
internal struct CXString
{
    public nint data;
    public uint private_flags;
}

[StructLayout(LayoutKind.Sequential)]
internal struct CXSourceLocation
{
    public nint ptr_data0, ptr_data1;
    public uint int_data;
}

[StructLayout(LayoutKind.Sequential)]
internal struct CXSourceRange
{
    public nint ptr_data0, ptr_data1;
    public uint begin_int_data, end_int_data;
}

[StructLayout(LayoutKind.Sequential)]
internal struct CXToken
{
    public uint int_data0, int_data1, int_data2, int_data3;
    public nint ptr_data;
}

/// <summary>The subset of CXCursorKind values BindGen looks at (numbers from Index.h).</summary>
internal enum CXCursorKind
{
    StructDecl = 2,
    UnionDecl = 3,
    EnumDecl = 5,
    FieldDecl = 6,
    EnumConstantDecl = 7,
    FunctionDecl = 8,
    VarDecl = 9,
    ParmDecl = 10,
    TypedefDecl = 20,
    MacroDefinition = 501,
    MacroExpansion = 502,
    InclusionDirective = 503,
}

/// <summary>The subset of CXTypeKind values BindGen maps (numbers from Index.h).</summary>
internal enum CXTypeKind
{
    Invalid = 0,
    Void = 2,
    Bool = 3,
    Char_U = 4,
    UChar = 5,
    UShort = 8,
    UInt = 9,
    ULong = 10,
    ULongLong = 11,
    Char_S = 13,
    SChar = 14,
    Short = 16,
    Int = 17,
    Long = 18,
    LongLong = 19,
    Float = 21,
    Double = 22,
    Pointer = 101,
    Record = 105,
    Enum = 106,
    Typedef = 107,
    FunctionNoProto = 110,
    FunctionProto = 111,
    ConstantArray = 112,
    IncompleteArray = 114,
    Elaborated = 119,
}

internal enum CXTokenKind
{
    Punctuation = 0,
    Keyword = 1,
    Identifier = 2,
    Literal = 3,
    Comment = 4,
}

internal enum CXDiagnosticSeverity
{
    Ignored = 0,
    Note = 1,
    Warning = 2,
    Error = 3,
    Fatal = 4,
}

internal enum CXChildVisitResult
{
    Break = 0,
    Continue = 1,
    Recurse = 2,
}

internal static unsafe partial class LibClang
{
    private const string Name = "libclang";

    public const uint CXTranslationUnit_DetailedPreprocessingRecord = 0x01;
    public const uint CXTranslationUnit_SkipFunctionBodies = 0x40;

    [LibraryImport(Name)] public static partial nint clang_createIndex(int excludeDeclarationsFromPCH, int displayDiagnostics);
    [LibraryImport(Name)] public static partial void clang_disposeIndex(nint index);

    [LibraryImport(Name)]
    public static partial int clang_parseTranslationUnit2(nint index, byte* source_filename, byte** command_line_args,
        int num_command_line_args, void* unsaved_files, uint num_unsaved_files, uint options, nint* out_TU);

    [LibraryImport(Name)] public static partial void clang_disposeTranslationUnit(nint tu);

    [LibraryImport(Name)] public static partial uint clang_getNumDiagnostics(nint tu);
    [LibraryImport(Name)] public static partial nint clang_getDiagnostic(nint tu, uint index);
    [LibraryImport(Name)] public static partial CXDiagnosticSeverity clang_getDiagnosticSeverity(nint diagnostic);
    [LibraryImport(Name)] public static partial uint clang_defaultDiagnosticDisplayOptions();
    [LibraryImport(Name)] public static partial CXString clang_formatDiagnostic(nint diagnostic, uint options);
    [LibraryImport(Name)] public static partial void clang_disposeDiagnostic(nint diagnostic);

    [LibraryImport(Name)] public static partial byte* clang_getCString(CXString str);
    [LibraryImport(Name)] public static partial void clang_disposeString(CXString str);

    [LibraryImport(Name)] public static partial CXCursor clang_getTranslationUnitCursor(nint tu);
    [LibraryImport(Name)]
    public static partial uint clang_visitChildren(CXCursor parent,
        delegate* unmanaged<CXCursor, CXCursor, nint, CXChildVisitResult> visitor, nint client_data);

    [LibraryImport(Name)] public static partial CXCursorKind clang_getCursorKind(CXCursor cursor);
    [LibraryImport(Name)] public static partial CXString clang_getCursorKindSpelling(CXCursorKind kind);
    [LibraryImport(Name)] public static partial CXString clang_getCursorSpelling(CXCursor cursor);
    [LibraryImport(Name)] public static partial CXString clang_getCursorUSR(CXCursor cursor);
    [LibraryImport(Name)] public static partial int clang_Cursor_isNull(CXCursor cursor);
    [LibraryImport(Name)] public static partial uint clang_Cursor_isAnonymous(CXCursor cursor);
    [LibraryImport(Name)] public static partial CXCursor clang_getCursorDefinition(CXCursor cursor);
    [LibraryImport(Name)] public static partial uint clang_isCursorDefinition(CXCursor cursor);
    [LibraryImport(Name)] public static partial CXType clang_getCursorType(CXCursor cursor);
    [LibraryImport(Name)] public static partial int clang_Cursor_getNumArguments(CXCursor cursor);
    [LibraryImport(Name)] public static partial CXCursor clang_Cursor_getArgument(CXCursor cursor, uint index);
    [LibraryImport(Name)] public static partial long clang_getEnumConstantDeclValue(CXCursor cursor);
    [LibraryImport(Name)] public static partial ulong clang_getEnumConstantDeclUnsignedValue(CXCursor cursor);
    [LibraryImport(Name)] public static partial CXType clang_getEnumDeclIntegerType(CXCursor cursor);
    [LibraryImport(Name)] public static partial CXType clang_getTypedefDeclUnderlyingType(CXCursor cursor);
    [LibraryImport(Name)] public static partial long clang_Cursor_getOffsetOfField(CXCursor cursor);
    [LibraryImport(Name)] public static partial uint clang_Cursor_isBitField(CXCursor cursor);
    [LibraryImport(Name)] public static partial uint clang_Cursor_isMacroFunctionLike(CXCursor cursor);
    [LibraryImport(Name)] public static partial uint clang_Cursor_isMacroBuiltin(CXCursor cursor);
    [LibraryImport(Name)] public static partial CXSourceLocation clang_getCursorLocation(CXCursor cursor);
    [LibraryImport(Name)] public static partial CXSourceRange clang_getCursorExtent(CXCursor cursor);

    [LibraryImport(Name)] public static partial CXString clang_getTypeSpelling(CXType type);
    [LibraryImport(Name)] public static partial CXType clang_getCanonicalType(CXType type);
    [LibraryImport(Name)] public static partial CXType clang_getPointeeType(CXType type);
    [LibraryImport(Name)] public static partial CXType clang_getResultType(CXType type);
    [LibraryImport(Name)] public static partial CXType clang_Type_getNamedType(CXType type);
    [LibraryImport(Name)] public static partial CXCursor clang_getTypeDeclaration(CXType type);
    [LibraryImport(Name)] public static partial uint clang_isFunctionTypeVariadic(CXType type);
    [LibraryImport(Name)] public static partial long clang_Type_getSizeOf(CXType type);

    [LibraryImport(Name)] public static partial int clang_Location_isFromMainFile(CXSourceLocation location);
    [LibraryImport(Name)]
    public static partial void clang_getSpellingLocation(CXSourceLocation location, nint* file, uint* line, uint* column,
        uint* offset);
    [LibraryImport(Name)] public static partial CXString clang_getFileName(nint file);
    [LibraryImport(Name)] public static partial CXSourceLocation clang_getRangeStart(CXSourceRange range);
    [LibraryImport(Name)] public static partial CXSourceLocation clang_getRangeEnd(CXSourceRange range);

    [LibraryImport(Name)]
    public static partial void clang_tokenize(nint tu, CXSourceRange range, CXToken** tokens, uint* num_tokens);
    [LibraryImport(Name)] public static partial CXTokenKind clang_getTokenKind(CXToken token);
    [LibraryImport(Name)] public static partial CXString clang_getTokenSpelling(nint tu, CXToken token);
    [LibraryImport(Name)] public static partial CXSourceRange clang_getTokenExtent(nint tu, CXToken token);
    [LibraryImport(Name)] public static partial void clang_disposeTokens(nint tu, CXToken* tokens, uint num_tokens);

    /// <summary>Copies a CXString into a managed string and disposes it.</summary>
    public static string Take(CXString str)
    {
        try
        {
            byte* p = clang_getCString(str);
            return p == null ? "" : Marshal.PtrToStringUTF8((nint)p) ?? "";
        }
        finally
        {
            clang_disposeString(str);
        }
    }

    // ---- Loading ---------------------------------------------------------------------------------

    /// <summary>Environment variable naming the libclang to load instead of searching.</summary>
    public const string OverrideVariable = "BINDGEN_LIBCLANG";

    private static readonly string[] s_candidates =
    [
        "libclang.so.1",
        "/usr/lib/llvm-14/lib/libclang.so.1",
        "libclang-14.so.1",
        "libclang.so",
        "libclang.dylib",
        "libclang.dll",
    ];

    private static nint s_handle;

    /// <summary>The path or name libclang was loaded from.</summary>
    public static string LoadedFrom { get; private set; } = "";

    /// <summary>
    /// Loads libclang once and routes every [LibraryImport("libclang")] above to it. Tries
    /// $BINDGEN_LIBCLANG alone when it is set (an explicit choice must not silently fall back to
    /// another libclang), otherwise the usual names and Debian's path; on failure the exception
    /// lists every attempt with the loader's reason.
    /// </summary>
    public static void Load()
    {
        if (s_handle != 0)
        {
            return;
        }

        string? overridePath = Environment.GetEnvironmentVariable(OverrideVariable);
        string[] candidates = string.IsNullOrEmpty(overridePath) ? s_candidates : [overridePath];
        var trace = new List<string>();
        foreach (string candidate in candidates)
        {
            try
            {
                s_handle = NativeLibrary.Load(candidate);
                LoadedFrom = candidate;
                break;
            }
            catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
            {
                // On Linux the runtime's message ends with dlerror()'s line, the useful part.
                string reason = e.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[^1];
                trace.Add($"  {candidate}: {reason}");
            }
        }

        if (s_handle == 0)
        {
            string how = string.IsNullOrEmpty(overridePath)
                ? $"Install libclang (Debian: apt-get install libclang1-14) or set {OverrideVariable} to its path."
                : $"{OverrideVariable} is set, so no other location was tried.";
            throw new BindGenException(
                $"cannot load libclang. Tried:\n{string.Join('\n', trace)}\n{how}");
        }

        NativeLibrary.SetDllImportResolver(typeof(LibClang).Assembly, Resolve);
    }

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
        libraryName == Name ? s_handle : 0;
}
