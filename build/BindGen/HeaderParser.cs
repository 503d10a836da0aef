using System.Security.Cryptography;
using BindGen.Clang;
using BindGen.Model;

namespace BindGen;

/// <summary>
/// Walks the top-level declarations of the header's main file and builds a <see cref="HeaderModel"/>.
/// Every declaration must map; each one that cannot is reported with its file:line:col, and
/// generation stops after the walk with all of them listed (nothing is skipped silently).
/// </summary>
internal sealed class HeaderParser
{
    /// <summary>Macros that belong to the export machinery, not to the ABI.</summary>
    private static readonly HashSet<string> s_ignoredMacros = ["BN_API"];

    /// <summary>The only spelling that marks an exported function.</summary>
    private const string ExportMacro = "BN_API";

    private static readonly Dictionary<string, (Builtin Kind, int Size)> s_fixedWidth = new()
    {
        ["int8_t"] = (Builtin.Int8, 1),
        ["uint8_t"] = (Builtin.UInt8, 1),
        ["int16_t"] = (Builtin.Int16, 2),
        ["uint16_t"] = (Builtin.UInt16, 2),
        ["int32_t"] = (Builtin.Int32, 4),
        ["uint32_t"] = (Builtin.UInt32, 4),
        ["int64_t"] = (Builtin.Int64, 8),
        ["uint64_t"] = (Builtin.UInt64, 8),
    };

    private const string FixedWidthHint = "use a fixed-width type (int8_t..uint64_t, float, double)";

    private readonly List<string> _errors = [];
    private readonly IReadOnlyList<Token> _tokens;

    // Struct/enum USR -> C# name: the typedef name when there is one, else the tag name.
    private readonly Dictionary<string, string> _tagNames = [];

    // Struct/enum USR -> comment of the typedef that names it (used when the tag itself has none).
    private readonly Dictionary<string, DocComment> _typedefComments = [];

    private readonly HashSet<string> _tagTypedefs = [];

    private readonly Dictionary<int, int> _tokenIndexByOffset = [];

    private HeaderParser(IReadOnlyList<Token> tokens)
    {
        _tokens = tokens;
        for (int i = 0; i < tokens.Count; i++)
        {
            _tokenIndexByOffset.TryAdd(tokens[i].Start.Offset, i);
        }
    }

    /// <summary>
    /// Parses the header at headerPath as C11 and returns its declarations; headerName is how the
    /// generated files name it (repository-relative); libclang warnings go to log.
    /// </summary>
    public static HeaderModel Parse(string headerPath, string headerName, TextWriter log)
    {
        if (!File.Exists(headerPath))
        {
            throw new BindGenException($"header not found: {headerPath}");
        }

        byte[] bytes = File.ReadAllBytes(headerPath);
        using TranslationUnit tu = TranslationUnit.Parse(headerPath, ClangArguments(headerPath));
        foreach (string warning in tu.Warnings)
        {
            log.WriteLine(warning);
        }

        var parser = new HeaderParser(tu.TokenizeMainFile());
        HeaderModel model = parser.Build(tu.Root, headerName, Sha256OfLfText(bytes));
        if (parser._errors.Count > 0)
        {
            throw new BindGenException(
                $"{parser._errors.Count} declaration(s) in {headerName} cannot be mapped to C#:\n" +
                string.Join('\n', parser._errors));
        }

        return model;
    }

    // The target is pinned so the output does not depend on the machine running BindGen: the ABI
    // only has fixed-width fields, whose layout is the same on every 64-bit target the package
    // ships (LP64 and LLP64 agree on them). -ffreestanding makes clang's own <stdint.h> define the
    // types without reaching for the C library's headers.
    private static List<string> ClangArguments(string headerPath)
    {
        var args = new List<string>
        {
            "-x", "c", "-std=c11", "-ffreestanding", "--target=x86_64-unknown-linux-gnu",
            "-I" + Path.GetDirectoryName(Path.GetFullPath(headerPath)),
        };
        string? resourceDir = ClangResourceDir.Find();
        if (resourceDir is not null)
        {
            args.Add("-resource-dir");
            args.Add(resourceDir);
        }

        return args;
    }

    // Hashing LF text keeps the stamp identical on a Windows checkout with CRLF line endings.
    private static string Sha256OfLfText(byte[] bytes)
    {
        var lf = new List<byte>(bytes.Length);
        for (int i = 0; i < bytes.Length; i++)
        {
            if (!(bytes[i] == (byte)'\r' && i + 1 < bytes.Length && bytes[i + 1] == (byte)'\n'))
            {
                lf.Add(bytes[i]);
            }
        }

        return Convert.ToHexStringLower(SHA256.HashData(lf.ToArray()));
    }

    private HeaderModel Build(ClangCursor root, string headerName, string sha256)
    {
        List<ClangCursor> decls = root.Children().Where(c => c.IsFromMainFile).ToList();
        NameTags(decls);

        var enums = new List<EnumDecl>();
        var structs = new List<StructDecl>();
        var opaques = new List<OpaqueDecl>();
        var constants = new List<ConstantDecl>();
        var functions = new List<FunctionDecl>();
        var seen = new HashSet<string>();
        string? includeGuard = FindIncludeGuard();

        foreach (ClangCursor c in decls)
        {
            switch (c.Kind)
            {
                case CXCursorKind.InclusionDirective:
                case CXCursorKind.MacroExpansion:
                    break;

                case CXCursorKind.MacroDefinition:
                    if (c.Spelling != includeGuard && !s_ignoredMacros.Contains(c.Spelling) && !c.IsMacroBuiltin &&
                        ParseConstant(c) is { } constant)
                    {
                        constants.Add(constant);
                    }

                    break;

                case CXCursorKind.EnumDecl when c.IsDefinition:
                    if (ParseEnum(c) is { } e)
                    {
                        enums.Add(e);
                    }

                    break;

                case CXCursorKind.EnumDecl:
                    if (c.Definition.IsNull)
                    {
                        Error(c, $"enum '{c.Spelling}' is declared but never defined");
                    }

                    break;

                case CXCursorKind.StructDecl when c.IsDefinition:
                    if (ParseStruct(c) is { } s)
                    {
                        structs.Add(s);
                    }

                    break;

                case CXCursorKind.StructDecl:
                    // A forward declaration: opaque when the struct is never defined; otherwise
                    // the definition produces it.
                    if (c.Definition.IsNull && seen.Add(c.Usr) && _tagNames.TryGetValue(c.Usr, out string? opaque))
                    {
                        opaques.Add(new OpaqueDecl(opaque, CommentOfTag(c)));
                    }

                    break;

                case CXCursorKind.TypedefDecl:
                    if (!_tagTypedefs.Contains(c.Usr))
                    {
                        // An alias (typedef int32_t bn_x;) is used through its underlying type;
                        // checking it here reports unmappable typedefs (function pointers, ...)
                        // even when nothing uses them yet.
                        Map(c.TypedefUnderlyingType, c, $"typedef '{c.Spelling}'");
                    }

                    break;

                case CXCursorKind.FunctionDecl:
                    if (seen.Add(c.Usr) && ParseFunction(c) is { } f)
                    {
                        functions.Add(f);
                    }

                    break;

                case CXCursorKind.UnionDecl:
                    Error(c, $"union '{c.Spelling}': unions are not supported; use a struct of fixed-width fields");
                    break;

                case CXCursorKind.VarDecl:
                    Error(c, $"variable '{c.Spelling}': global variables are not supported; export a function");
                    break;

                default:
                    Error(c, $"'{c.Spelling}': unsupported declaration kind {c.KindSpelling}");
                    break;
            }
        }

        CheckUniqueNames(enums.Select(e => e.Name).Concat(structs.Select(s => s.Name)).Concat(opaques.Select(o => o.Name)),
            "type");
        CheckUniqueNames(constants.Select(c => c.Name).Concat(functions.Select(f => f.Name)), "NativeMethods member");
        return new HeaderModel(headerName, sha256, enums, structs, opaques, constants, functions);
    }

    // Pass 1: give every struct and enum of the main file its C# name before any type is mapped,
    // so a function may use a type that a later typedef names.
    private void NameTags(List<ClangCursor> decls)
    {
        foreach (ClangCursor c in decls)
        {
            if (c.Kind is CXCursorKind.StructDecl or CXCursorKind.EnumDecl && !c.IsAnonymous)
            {
                _tagNames.TryAdd(c.Usr, c.Spelling);
            }
        }

        foreach (ClangCursor c in decls)
        {
            if (c.Kind != CXCursorKind.TypedefDecl)
            {
                continue;
            }

            ClangType underlying = StripElaborated(c.TypedefUnderlyingType);
            if (underlying.Kind is CXTypeKind.Record or CXTypeKind.Enum && underlying.Declaration.IsFromMainFile)
            {
                string usr = underlying.Declaration.Usr;
                _tagNames[usr] = c.Spelling;
                _tagTypedefs.Add(c.Usr);
                if (CommentBefore(c) is { } doc)
                {
                    _typedefComments.TryAdd(usr, doc);
                }
            }
        }
    }

    private EnumDecl? ParseEnum(ClangCursor c)
    {
        if (!_tagNames.TryGetValue(c.Usr, out string? name) || name.Length == 0)
        {
            Error(c, "anonymous enum: give it a typedef name (typedef enum bn_x { ... } bn_x;)");
            return null;
        }

        // C compilers give an enum without negative values type unsigned int; C# keeps int (as the
        // C enum constants themselves are int) unless a value needs the 32nd bit.
        long size = c.Type.SizeOf;
        bool unsigned = c.EnumIntegerType.Canonical.Kind == CXTypeKind.UInt;
        if (size != 4 || c.EnumIntegerType.Canonical.Kind is not (CXTypeKind.Int or CXTypeKind.UInt))
        {
            Error(c, $"enum '{name}': its values need type '{c.EnumIntegerType.Spelling}'; keep them within 32 bits");
            return null;
        }

        var constants = new List<EnumConstant>();
        foreach (ClangCursor child in c.Children())
        {
            if (child.Kind != CXCursorKind.EnumConstantDecl)
            {
                Error(child, $"enum '{name}': unsupported member kind {child.KindSpelling}");
                continue;
            }

            long value = unsigned ? (long)child.EnumConstantUnsignedValue : child.EnumConstantValue;
            constants.Add(new EnumConstant(child.Spelling, value, MemberComment(child)));
        }

        Builtin underlying = constants.Any(k => k.Value > int.MaxValue) ? Builtin.UInt32 : Builtin.Int32;
        return new EnumDecl(name, underlying, size, CommentOfTag(c), constants);
    }

    private StructDecl? ParseStruct(ClangCursor c)
    {
        if (!_tagNames.TryGetValue(c.Usr, out string? name) || name.Length == 0)
        {
            Error(c, "anonymous struct: give it a typedef name (typedef struct bn_x { ... } bn_x;)");
            return null;
        }

        var fields = new List<FieldDecl>();
        foreach (ClangCursor child in c.Children())
        {
            string what = $"struct '{name}' field '{child.Spelling}'";
            if (child.Kind != CXCursorKind.FieldDecl)
            {
                Error(child, $"struct '{name}': unsupported member {child.KindSpelling} '{child.Spelling}' " +
                    "(nested types and attributes such as packed/aligned are not mapped)");
                continue;
            }

            if (child.IsBitField)
            {
                Error(child, $"{what}: bit-fields are not supported");
                continue;
            }

            if (child.Spelling == name)
            {
                Error(child, $"{what}: C# does not allow a member named like its struct");
                continue;
            }

            long offsetBits = child.FieldOffsetBits;
            if (offsetBits < 0 || offsetBits % 8 != 0)
            {
                Error(child, $"{what}: libclang cannot give a byte offset (error {offsetBits})");
                continue;
            }

            if (Map(child.Type, child, what) is { } type)
            {
                fields.Add(new FieldDecl(child.Spelling, type, offsetBits / 8, MemberComment(child)));
            }
        }

        long size = c.Type.SizeOf;
        if (size < 0)
        {
            Error(c, $"struct '{name}': libclang cannot give its size (error {size})");
        }

        return new StructDecl(name, size, CommentOfTag(c), fields);
    }

    private FunctionDecl? ParseFunction(ClangCursor c)
    {
        string name = c.Spelling;
        int exportIndex = ExportMacroIndex(c);
        if (exportIndex < 0)
        {
            Error(c, $"function '{name}' is not marked {ExportMacro}: every function of the header is part of the ABI");
            return null;
        }

        ClangType type = c.Type;
        if (type.Kind == CXTypeKind.FunctionNoProto)
        {
            Error(c, $"function '{name}' has no prototype: declare an empty parameter list as (void)");
            return null;
        }

        if (type.IsVariadic)
        {
            Error(c, $"function '{name}' is variadic (...): varargs cannot be called through LibraryImport");
            return null;
        }

        TypeRef? result = Map(type.Result, c, $"function '{name}' return type");
        var parameters = new List<ParameterDecl>();
        IReadOnlyList<ClangCursor> arguments = c.Arguments;
        for (int i = 0; i < arguments.Count; i++)
        {
            ClangCursor argument = arguments[i];
            if (argument.Spelling.Length == 0)
            {
                Error(argument, $"function '{name}' parameter {i + 1} has no name; the bindings keep C parameter names");
                continue;
            }

            if (Map(argument.Type, argument, $"function '{name}' parameter '{argument.Spelling}'") is { } pt)
            {
                parameters.Add(new ParameterDecl(argument.Spelling, pt));
            }
        }

        return result is null || parameters.Count != arguments.Count
            ? null
            : new FunctionDecl(name, result, parameters, CommentBefore(exportIndex));
    }

    // BN_API expands differently per platform (an attribute, __declspec or nothing), so the
    // reliable test is the spelling: the macro is the declaration's first token (when it expands
    // to an attribute, the extent starts at it) or the token right before it (when it expands to
    // nothing). Returns the index of the BN_API token, or -1.
    private int ExportMacroIndex(ClangCursor c)
    {
        int index = FirstTokenAtOrAfter(c.ExtentStart.Offset);
        return IsExportMacro(index) ? index : IsExportMacro(index - 1) ? index - 1 : -1;

        bool IsExportMacro(int i) =>
            i >= 0 && i < _tokens.Count && _tokens[i] is { Kind: CXTokenKind.Identifier, Spelling: ExportMacro };
    }

    /// <summary>Maps a C type, or reports why it cannot be mapped and returns null.</summary>
    private TypeRef? Map(ClangType type, ClangCursor at, string what)
    {
        switch (type.Kind)
        {
            case CXTypeKind.Elaborated:
                return Map(type.NamedType, at, what);

            case CXTypeKind.Pointer:
            {
                ClangType pointee = type.Pointee;
                CXTypeKind pointeeKind = pointee.Canonical.Kind;
                if (pointeeKind is CXTypeKind.FunctionProto or CXTypeKind.FunctionNoProto)
                {
                    return Fail($"function pointer '{type.Spelling}' is not supported; expose the operation as a function");
                }

                // char* is text (const char* for results and names): bytes the hand-written layer decodes.
                if (pointeeKind is CXTypeKind.Char_S or CXTypeKind.Char_U)
                {
                    return new PointerType(new BuiltinType(Builtin.Char));
                }

                return Map(pointee, at, what) is { } mapped ? new PointerType(mapped) : null;
            }

            case CXTypeKind.Typedef:
            {
                ClangCursor decl = type.Declaration;
                string name = decl.Spelling;
                if (s_fixedWidth.TryGetValue(name, out (Builtin Kind, int Size) fixedWidth))
                {
                    long size = type.Canonical.SizeOf;
                    return size == fixedWidth.Size
                        ? new BuiltinType(fixedWidth.Kind)
                        : Fail($"'{name}' is {size} bytes here, not {fixedWidth.Size}: a broken <stdint.h>?");
                }

                if (!decl.IsFromMainFile)
                {
                    return Fail($"type '{name}' (from {decl.Location.File}) has no fixed-width C# equivalent; {FixedWidthHint}");
                }

                return Map(decl.TypedefUnderlyingType, at, what);
            }

            case CXTypeKind.Record:
            case CXTypeKind.Enum:
            {
                ClangCursor decl = type.Declaration;
                if (decl.Kind == CXCursorKind.UnionDecl)
                {
                    return Fail($"union '{type.Spelling}' is not supported");
                }

                return _tagNames.TryGetValue(decl.Usr, out string? name) && name.Length > 0
                    ? new NamedType(name)
                    : Fail($"'{type.Spelling}' is not declared (with a name) in the header");
            }

            case CXTypeKind.Void:
                return new BuiltinType(Builtin.Void);
            case CXTypeKind.Float:
                return new BuiltinType(Builtin.Float);
            case CXTypeKind.Double:
                return new BuiltinType(Builtin.Double);
            case CXTypeKind.Bool:
                return Fail($"'{type.Spelling}' has no single blittable C# spelling; use int32_t (0 or 1)");
            case CXTypeKind.ConstantArray:
            case CXTypeKind.IncompleteArray:
                return Fail($"array type '{type.Spelling}' is not supported; pass a pointer and a length");
            case CXTypeKind.FunctionProto:
            case CXTypeKind.FunctionNoProto:
                return Fail($"function type '{type.Spelling}' is not supported");
            case CXTypeKind.Char_S or CXTypeKind.Char_U or CXTypeKind.SChar or CXTypeKind.UChar or CXTypeKind.Short
                or CXTypeKind.UShort or CXTypeKind.Int or CXTypeKind.UInt or CXTypeKind.Long or CXTypeKind.ULong
                or CXTypeKind.LongLong or CXTypeKind.ULongLong:
                return Fail($"'{type.Spelling}' is not a fixed-width type; {FixedWidthHint}");
            default:
                return Fail($"type '{type.Spelling}' is not supported");
        }

        TypeRef? Fail(string problem)
        {
            Error(at, $"{what}: {problem}");
            return null;
        }
    }

    private ConstantDecl? ParseConstant(ClangCursor c)
    {
        string name = c.Spelling;
        if (c.IsMacroFunctionLike)
        {
            Error(c, $"macro '{name}' is function-like; only `#define NAME <integer literal>` maps to C#");
            return null;
        }

        // The body: the tokens after the name up to the end of the definition, comments aside.
        int nameIndex = IndexOfTokenAt(c.Location.Offset);
        if (nameIndex < 0)
        {
            Error(c, $"macro '{name}': libclang gave no token at its location");
            return null;
        }

        int end = c.ExtentEnd.Offset;
        List<Token> body = _tokens.Skip(nameIndex + 1)
            .TakeWhile(t => t.Start.Offset < end)
            .Where(t => t.Kind != CXTokenKind.Comment)
            .ToList();
        if (!TryParseInteger(body, out Int128 value))
        {
            string text = string.Join(' ', body.Select(t => t.Spelling));
            Error(c, $"macro '{name}' = '{text}' is not an integer literal; only `#define NAME <integer literal>` maps to C#");
            return null;
        }

        // A macro's leading comment is the one before its "#define".
        return new ConstantDecl(name, value, CommentBefore(nameIndex - 2) ?? CommentAfter(c.ExtentEnd));
    }

    // Accepts 42, -1, (64), (-1), 0x7F, 017, 0b101 and the u/l suffixes.
    private static bool TryParseInteger(List<Token> body, out Int128 value)
    {
        value = 0;
        if (body.Count >= 3 && body[0].Spelling == "(" && body[^1].Spelling == ")")
        {
            body = body[1..^1];
        }

        bool negative = body.Count == 2 && body[0].Spelling == "-";
        if (body.Count != (negative ? 2 : 1) || body[^1].Kind != CXTokenKind.Literal)
        {
            return false;
        }

        string literal = body[^1].Spelling.TrimEnd('u', 'U', 'l', 'L');
        (string digits, int radix) = literal switch
        {
            ['0', 'x' or 'X', .. var rest] => (rest, 16),
            ['0', 'b' or 'B', .. var rest] => (rest, 2),
            ['0', .. var rest] when rest.Length > 0 => (rest, 8),
            _ => (literal, 10),
        };
        if (digits.Length == 0)
        {
            return false;
        }

        UInt128 magnitude = 0;
        foreach (char ch in digits)
        {
            int digit = char.IsAsciiDigit(ch) ? ch - '0' : char.IsAsciiHexDigit(ch) ? char.ToLowerInvariant(ch) - 'a' + 10 : 99;
            if (digit >= radix || magnitude > (UInt128.MaxValue - (UInt128)digit) / (UInt128)radix)
            {
                return false;
            }

            magnitude = magnitude * (UInt128)radix + (UInt128)digit;
        }

        if (magnitude > ulong.MaxValue)
        {
            return false;
        }

        value = negative ? -(Int128)magnitude : (Int128)magnitude;
        return true;
    }

    // "#ifndef X" then "#define X" as the first directives: X is the include guard.
    private string? FindIncludeGuard()
    {
        List<Token> code = _tokens.Where(t => t.Kind != CXTokenKind.Comment).Take(6).ToList();
        return code.Count == 6 && code[0].Spelling == "#" && code[1].Spelling == "ifndef" && code[3].Spelling == "#" &&
            code[4].Spelling == "define" && code[2].Spelling == code[5].Spelling
                ? code[2].Spelling
                : null;
    }

    private int IndexOfTokenAt(int offset) => _tokenIndexByOffset.GetValueOrDefault(offset, -1);

    // The comment of a struct or enum is above the tag, or above the typedef wrapped around it
    // ("/* ... */ typedef enum x { ... } x;").
    private DocComment? CommentOfTag(ClangCursor c) =>
        CommentBefore(c) ?? (_typedefComments.TryGetValue(c.Usr, out DocComment? doc) ? doc : null);

    private DocComment? CommentBefore(ClangCursor c) => CommentBefore(IndexOfTokenAt(c.ExtentStart.Offset));

    // Enumerators, fields and #defines may instead have a trailing comment on their own line:
    // "BN_X = 1, /* ... */", "int32_t n; // ...", "#define BN_X 1 /* ... */".
    private DocComment? MemberComment(ClangCursor c) => CommentBefore(c) ?? CommentAfter(c.ExtentEnd);

    // A leading comment is the block of comments that ends on the line above the declaration's
    // first token (or on the same line) with no other token in between; adjacent comments merge,
    // as in "// line 1\n// line 2". A comment separated by a blank line (a section banner) or
    // trailing another declaration's tokens does not count. libclang's own attachment
    // (clang_Cursor_getRawCommentText) is not used: clang 14 gives an undocumented enumerator the
    // comment of the enumerator before it, because only ";{}#@" between comment and declaration
    // stop its search.
    private DocComment? CommentBefore(int firstTokenIndex)
    {
        if (firstTokenIndex <= 0)
        {
            return null;
        }

        var parts = new List<string>();
        int line = _tokens[firstTokenIndex].Start.Line;
        int i = firstTokenIndex - 1;
        for (; i >= 0 && _tokens[i].Kind == CXTokenKind.Comment && _tokens[i].End.Line >= line - 1; i--)
        {
            parts.Insert(0, _tokens[i].Spelling);
            line = _tokens[i].Start.Line;
        }

        if (parts.Count > 0 && i >= 0 && _tokens[i].End.Line == line)
        {
            parts.RemoveAt(0); // it trails the previous declaration
        }

        return parts.Count == 0 ? null : DocComment.FromRaw(string.Join('\n', parts));
    }

    private DocComment? CommentAfter(SourcePosition end)
    {
        int i = FirstTokenAtOrAfter(end.Offset);
        if (i < _tokens.Count && _tokens[i].Spelling is "," or ";")
        {
            i++;
        }

        return i < _tokens.Count && _tokens[i].Kind == CXTokenKind.Comment && _tokens[i].Start.Line == end.Line
            ? DocComment.FromRaw(_tokens[i].Spelling)
            : null;
    }

    private int FirstTokenAtOrAfter(int offset)
    {
        int lo = 0, hi = _tokens.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) / 2;
            if (_tokens[mid].Start.Offset < offset)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    private static ClangType StripElaborated(ClangType type) =>
        type.Kind == CXTypeKind.Elaborated ? type.NamedType : type;

    private void CheckUniqueNames(IEnumerable<string> names, string what)
    {
        foreach (IGrouping<string, string> group in names.GroupBy(n => n).Where(g => g.Count() > 1))
        {
            _errors.Add($"error: two declarations map to the C# {what} '{group.Key}'");
        }
    }

    private void Error(ClangCursor at, string message) =>
        _errors.Add($"{at.Location}: error: {message}");
}
