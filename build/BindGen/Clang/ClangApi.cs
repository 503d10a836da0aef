using System.Runtime.InteropServices;

namespace BindGen.Clang;

// Safe wrappers over the raw libclang API: everything above this file deals in strings, lists
// and records, never in pointers or CXString ownership.

/// <summary>A point in a source file as libclang reports it (1-based line and column).</summary>
internal readonly record struct SourcePosition(string File, int Line, int Column, int Offset)
{
    public override string ToString() => $"{File}:{Line}:{Column}";
}

/// <summary>One preprocessing token of the main file, comments included.</summary>
internal sealed record Token(CXTokenKind Kind, string Spelling, SourcePosition Start, SourcePosition End);

/// <summary>A parsed translation unit. Parsing fails loudly on any diagnostic of severity error or worse.</summary>
internal sealed unsafe class TranslationUnit : IDisposable
{
    private nint _index;
    private nint _tu;

    private TranslationUnit(nint index, nint tu)
    {
        _index = index;
        _tu = tu;
    }

    /// <summary>The translation unit cursor; its children are the top-level declarations and directives.</summary>
    public ClangCursor Root => new(LibClang.clang_getTranslationUnitCursor(_tu));

    /// <summary>Diagnostics below error severity (warnings), formatted as file:line:col: message.</summary>
    public IReadOnlyList<string> Warnings { get; private init; } = [];

    public static TranslationUnit Parse(string path, IReadOnlyList<string> arguments)
    {
        LibClang.Load();
        nint index = LibClang.clang_createIndex(0, 0);
        nint tu = 0;
        var allocations = new List<nint>();
        try
        {
            nint file = Marshal.StringToCoTaskMemUTF8(path);
            allocations.Add(file);
            var argv = new nint[arguments.Count];
            for (int i = 0; i < argv.Length; i++)
            {
                argv[i] = Marshal.StringToCoTaskMemUTF8(arguments[i]);
                allocations.Add(argv[i]);
            }

            int error;
            fixed (nint* argvPtr = argv)
            {
                error = LibClang.clang_parseTranslationUnit2(index, (byte*)file, (byte**)argvPtr, argv.Length, null, 0,
                    LibClang.CXTranslationUnit_DetailedPreprocessingRecord |
                    LibClang.CXTranslationUnit_SkipFunctionBodies, &tu);
            }

            if (error != 0 || tu == 0)
            {
                // CXErrorCode: 1 failure, 2 crashed, 3 invalid arguments, 4 AST read error.
                throw new BindGenException($"{path}: libclang could not parse the header (CXErrorCode {error}).");
            }

            var errors = new List<string>();
            var warnings = new List<string>();
            uint count = LibClang.clang_getNumDiagnostics(tu);
            uint options = LibClang.clang_defaultDiagnosticDisplayOptions();
            for (uint i = 0; i < count; i++)
            {
                nint diagnostic = LibClang.clang_getDiagnostic(tu, i);
                try
                {
                    string text = LibClang.Take(LibClang.clang_formatDiagnostic(diagnostic, options));
                    if (LibClang.clang_getDiagnosticSeverity(diagnostic) >= CXDiagnosticSeverity.Error)
                    {
                        errors.Add(text);
                    }
                    else if (LibClang.clang_getDiagnosticSeverity(diagnostic) == CXDiagnosticSeverity.Warning)
                    {
                        warnings.Add(text);
                    }
                }
                finally
                {
                    LibClang.clang_disposeDiagnostic(diagnostic);
                }
            }

            if (errors.Count > 0)
            {
                string hint = errors.Any(e => e.Contains("stdint.h' file not found", StringComparison.Ordinal))
                    ? $"\nclang's own headers were not found: set {ClangResourceDir.OverrideVariable} to clang's resource " +
                      "directory (the output of `clang -print-resource-dir`)."
                    : "";
                throw new BindGenException(
                    $"the header does not compile ({errors.Count} error(s)):\n{string.Join('\n', errors)}{hint}");
            }

            var result = new TranslationUnit(index, tu) { Warnings = warnings };
            index = 0;
            tu = 0;
            return result;
        }
        finally
        {
            foreach (nint allocation in allocations)
            {
                Marshal.FreeCoTaskMem(allocation);
            }

            if (tu != 0)
            {
                LibClang.clang_disposeTranslationUnit(tu);
            }

            if (index != 0)
            {
                LibClang.clang_disposeIndex(index);
            }
        }
    }

    /// <summary>Every token of the main file, comments included (libclang's tokenizer keeps them).</summary>
    public IReadOnlyList<Token> TokenizeMainFile()
    {
        CXSourceRange range = LibClang.clang_getCursorExtent(LibClang.clang_getTranslationUnitCursor(_tu));
        CXToken* tokens = null;
        uint count = 0;
        LibClang.clang_tokenize(_tu, range, &tokens, &count);
        try
        {
            var result = new List<Token>((int)count);
            for (uint i = 0; i < count; i++)
            {
                CXSourceRange extent = LibClang.clang_getTokenExtent(_tu, tokens[i]);
                result.Add(new Token(
                    LibClang.clang_getTokenKind(tokens[i]),
                    LibClang.Take(LibClang.clang_getTokenSpelling(_tu, tokens[i])),
                    ClangCursor.Position(LibClang.clang_getRangeStart(extent)),
                    ClangCursor.Position(LibClang.clang_getRangeEnd(extent))));
            }

            return result;
        }
        finally
        {
            if (tokens != null)
            {
                LibClang.clang_disposeTokens(_tu, tokens, count);
            }
        }
    }

    public void Dispose()
    {
        if (_tu != 0)
        {
            LibClang.clang_disposeTranslationUnit(_tu);
            _tu = 0;
        }

        if (_index != 0)
        {
            LibClang.clang_disposeIndex(_index);
            _index = 0;
        }
    }
}

/// <summary>A libclang cursor (a declaration, directive or reference) with safe accessors.</summary>
internal readonly unsafe struct ClangCursor
{
    private readonly CXCursor _raw;

    internal ClangCursor(CXCursor raw) => _raw = raw;

    public CXCursorKind Kind => LibClang.clang_getCursorKind(_raw);

    /// <summary>libclang's name for the cursor kind, e.g. "UnionDecl", for error messages.</summary>
    public string KindSpelling => LibClang.Take(LibClang.clang_getCursorKindSpelling(Kind));

    public string Spelling => LibClang.Take(LibClang.clang_getCursorSpelling(_raw));

    /// <summary>Unified symbol resolution: a string that identifies one entity across its declarations.</summary>
    public string Usr => LibClang.Take(LibClang.clang_getCursorUSR(_raw));

    public bool IsNull => LibClang.clang_Cursor_isNull(_raw) != 0;

    public bool IsAnonymous => LibClang.clang_Cursor_isAnonymous(_raw) != 0;

    /// <summary>The defining declaration of the entity, or a null cursor when it has none (an opaque struct).</summary>
    public ClangCursor Definition => new(LibClang.clang_getCursorDefinition(_raw));

    /// <summary>True when this cursor is the defining declaration (a struct with a body, not a forward declaration).</summary>
    public bool IsDefinition => LibClang.clang_isCursorDefinition(_raw) != 0;

    public ClangType Type => new(LibClang.clang_getCursorType(_raw));

    public IReadOnlyList<ClangCursor> Arguments
    {
        get
        {
            int count = LibClang.clang_Cursor_getNumArguments(_raw);
            var result = new ClangCursor[Math.Max(count, 0)];
            for (int i = 0; i < result.Length; i++)
            {
                result[i] = new ClangCursor(LibClang.clang_Cursor_getArgument(_raw, (uint)i));
            }

            return result;
        }
    }

    public long EnumConstantValue => LibClang.clang_getEnumConstantDeclValue(_raw);

    public ulong EnumConstantUnsignedValue => LibClang.clang_getEnumConstantDeclUnsignedValue(_raw);

    public ClangType EnumIntegerType => new(LibClang.clang_getEnumDeclIntegerType(_raw));

    public ClangType TypedefUnderlyingType => new(LibClang.clang_getTypedefDeclUnderlyingType(_raw));

    /// <summary>Offset of a field from the start of its struct, in bits (negative on error).</summary>
    public long FieldOffsetBits => LibClang.clang_Cursor_getOffsetOfField(_raw);

    public bool IsBitField => LibClang.clang_Cursor_isBitField(_raw) != 0;

    public bool IsMacroFunctionLike => LibClang.clang_Cursor_isMacroFunctionLike(_raw) != 0;

    public bool IsMacroBuiltin => LibClang.clang_Cursor_isMacroBuiltin(_raw) != 0;

    public bool IsFromMainFile => LibClang.clang_Location_isFromMainFile(LibClang.clang_getCursorLocation(_raw)) != 0;

    public SourcePosition Location => Position(LibClang.clang_getCursorLocation(_raw));

    public SourcePosition ExtentStart => Position(LibClang.clang_getRangeStart(LibClang.clang_getCursorExtent(_raw)));

    public SourcePosition ExtentEnd => Position(LibClang.clang_getRangeEnd(LibClang.clang_getCursorExtent(_raw)));

    public IReadOnlyList<ClangCursor> Children()
    {
        var children = new List<CXCursor>();
        GCHandle handle = GCHandle.Alloc(children);
        try
        {
            LibClang.clang_visitChildren(_raw, &CollectChild, GCHandle.ToIntPtr(handle));
        }
        finally
        {
            handle.Free();
        }

        return children.ConvertAll(c => new ClangCursor(c));
    }

    [UnmanagedCallersOnly]
    private static CXChildVisitResult CollectChild(CXCursor cursor, CXCursor parent, nint clientData)
    {
        ((List<CXCursor>)GCHandle.FromIntPtr(clientData).Target!).Add(cursor);
        return CXChildVisitResult.Continue;
    }

    internal static SourcePosition Position(CXSourceLocation location)
    {
        nint file;
        uint line, column, offset;
        LibClang.clang_getSpellingLocation(location, &file, &line, &column, &offset);
        string name = file == 0 ? "<unknown>" : LibClang.Take(LibClang.clang_getFileName(file));
        return new SourcePosition(name, (int)line, (int)column, (int)offset);
    }
}

/// <summary>A libclang type with safe accessors.</summary>
internal readonly struct ClangType
{
    private readonly CXType _raw;

    internal ClangType(CXType raw) => _raw = raw;

    public CXTypeKind Kind => _raw.kind;

    /// <summary>The C spelling, e.g. "const int32_t *", for error messages.</summary>
    public string Spelling => LibClang.Take(LibClang.clang_getTypeSpelling(_raw));

    public ClangType Canonical => new(LibClang.clang_getCanonicalType(_raw));

    public ClangType Pointee => new(LibClang.clang_getPointeeType(_raw));

    public ClangType Result => new(LibClang.clang_getResultType(_raw));

    /// <summary>For an elaborated type (<c>struct X</c>, <c>enum Y</c>), the type it names.</summary>
    public ClangType NamedType => new(LibClang.clang_Type_getNamedType(_raw));

    public ClangCursor Declaration => new(LibClang.clang_getTypeDeclaration(_raw));

    public bool IsVariadic => LibClang.clang_isFunctionTypeVariadic(_raw) != 0;

    /// <summary>sizeof in bytes, or a negative CXTypeLayoutError.</summary>
    public long SizeOf => LibClang.clang_Type_getSizeOf(_raw);
}
