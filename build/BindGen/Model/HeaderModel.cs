namespace BindGen.Model;

// The declarations of the header, in header order within each kind, after every type has been
// checked to be mappable. The emitters turn this into C#; they never see libclang.

/// <summary>
/// Everything BindGen generates from, plus where it came from: HeaderName is the header's path
/// relative to the repository root ('/' separators), HeaderSha256 the lower-case hex SHA-256 of
/// the header with LF line endings.
/// </summary>
internal sealed record HeaderModel(
    string HeaderName,
    string HeaderSha256,
    IReadOnlyList<EnumDecl> Enums,
    IReadOnlyList<StructDecl> Structs,
    IReadOnlyList<OpaqueDecl> Opaques,
    IReadOnlyList<ConstantDecl> Constants,
    IReadOnlyList<FunctionDecl> Functions);

/// <summary>The C types the bindings understand (fixed-width integers, float, double, void, char for strings).</summary>
internal enum Builtin
{
    Void,
    Char,
    Int8,
    UInt8,
    Int16,
    UInt16,
    Int32,
    UInt32,
    Int64,
    UInt64,
    Float,
    Double,
}

/// <summary>A mapped C type: a builtin, a named enum/struct/opaque type of the header, or a pointer.</summary>
internal abstract record TypeRef;

internal sealed record BuiltinType(Builtin Kind) : TypeRef;

/// <summary>An enum, struct or opaque struct declared in the header, by its C# (= C typedef) name.</summary>
internal sealed record NamedType(string Name) : TypeRef;

/// <summary>A pointer; const is dropped (C# has no const pointee).</summary>
internal sealed record PointerType(TypeRef Pointee) : TypeRef;

/// <summary>
/// A C enum. Underlying is Int32 or UInt32 (the integer type the C compiler chose); Size is
/// sizeof the enum in C, in bytes.
/// </summary>
internal sealed record EnumDecl(string Name, Builtin Underlying, long Size, DocComment? Doc,
    IReadOnlyList<EnumConstant> Constants);

internal sealed record EnumConstant(string Name, long Value, DocComment? Doc);

/// <summary>A struct with a definition; Size is its sizeof in C, in bytes.</summary>
internal sealed record StructDecl(string Name, long Size, DocComment? Doc, IReadOnlyList<FieldDecl> Fields);

/// <summary>A struct field; Offset is its offsetof in C, in bytes.</summary>
internal sealed record FieldDecl(string Name, TypeRef Type, long Offset, DocComment? Doc);

/// <summary>A struct the header only declares (<c>typedef struct X X;</c>): a handle used through pointers.</summary>
internal sealed record OpaqueDecl(string Name, DocComment? Doc);

/// <summary>An object-like <c>#define NAME &lt;integer literal&gt;</c>.</summary>
internal sealed record ConstantDecl(string Name, Int128 Value, DocComment? Doc);

internal sealed record FunctionDecl(string Name, TypeRef ReturnType, IReadOnlyList<ParameterDecl> Parameters,
    DocComment? Doc);

internal sealed record ParameterDecl(string Name, TypeRef Type);
