using BindGen.Model;

namespace BindGen.Emit;

/// <summary>
/// Writes src/BitNative/Interop/NativeMethods.g.cs: enums, structs, one empty struct per opaque
/// handle, and <c>NativeMethods</c> with a const per #define and a [LibraryImport] per function,
/// all with their exact C names, in header order within each kind.
/// </summary>
internal static class BindingsEmitter
{
    public const string Namespace = "BitNative.Interop";

    public static string Emit(HeaderModel model)
    {
        var w = new CodeWriter();
        w.GeneratedBanner(model);
        w.Line("#nullable enable");
        w.Line("using System.Runtime.InteropServices;");
        w.Line();
        w.Line($"namespace {Namespace};");

        foreach (EnumDecl e in model.Enums)
        {
            TypeStart(w, e.Doc, e.Underlying == Builtin.Int32
                ? $"internal enum {CSharp.Identifier(e.Name)}"
                : $"internal enum {CSharp.Identifier(e.Name)} : {CSharp.Builtin(e.Underlying)}");
            Members(w, e.Constants, c => c.Doc, c => $"{CSharp.Identifier(c.Name)} = {c.Value},");

            w.Close();
        }

        foreach (StructDecl s in model.Structs)
        {
            string modifiers = s.Fields.Any(f => CSharp.HasPointer(f.Type)) ? "internal unsafe struct" : "internal struct";
            TypeStart(w, s.Doc, $"{modifiers} {CSharp.Identifier(s.Name)}", "[StructLayout(LayoutKind.Sequential)]");
            Members(w, s.Fields, f => f.Doc, f => $"public {CSharp.Type(f.Type)} {CSharp.Identifier(f.Name)};");

            w.Close();
        }

        foreach (OpaqueDecl o in model.Opaques)
        {
            TypeStart(w, o.Doc, $"internal struct {CSharp.Identifier(o.Name)}");
            w.Close();
        }

        w.Line();
        w.Line("internal static unsafe partial class NativeMethods");
        w.Open();
        bool first = true;
        foreach (ConstantDecl c in model.Constants)
        {
            if (!first)
            {
                w.Line();
            }

            first = false;
            (string type, string literal) = CSharp.Constant(c.Value);
            w.Doc(c.Doc);
            w.Line($"internal const {type} {CSharp.Identifier(c.Name)} = {literal};");
        }

        foreach (FunctionDecl f in model.Functions)
        {
            if (!first)
            {
                w.Line();
            }

            first = false;
            string parameters = string.Join(", ",
                f.Parameters.Select(p => $"{CSharp.Type(p.Type)} {CSharp.Identifier(p.Name)}"));
            w.Doc(f.Doc);
            w.Line("[LibraryImport(Libraries.BitNative)]");
            w.Line($"internal static partial {CSharp.Type(f.ReturnType)} {CSharp.Identifier(f.Name)}({parameters});");
        }

        w.Close();
        return w.ToString();
    }

    // Undocumented members sit on consecutive lines; a documented one is set off by blank lines
    // so its comment reads as belonging to it alone.
    /// <summary>Opens a type: a blank line, its doc comment, an attribute line if any, the declaration.</summary>
    private static void TypeStart(CodeWriter w, DocComment? doc, string declaration, string? attribute = null)
    {
        w.Line();
        w.Doc(doc);
        if (attribute is not null)
        {
            w.Line(attribute);
        }

        w.Line(declaration);
        w.Open();
    }

    /// <summary>A type's members in order, each with its doc comment, separated as <see cref="MemberSeparator"/> decides.</summary>
    private static void Members<T>(CodeWriter w, IReadOnlyList<T> members, Func<T, DocComment?> doc, Func<T, string> line)
    {
        for (int i = 0; i < members.Count; i++)
        {
            MemberSeparator(w, i, doc(members[i]), i > 0 ? doc(members[i - 1]) : null);
            w.Doc(doc(members[i]));
            w.Line(line(members[i]));
        }
    }

    private static void MemberSeparator(CodeWriter w, int index, DocComment? doc, DocComment? previousDoc)
    {
        if (index > 0 && (doc is not null || previousDoc is not null))
        {
            w.Line();
        }
    }
}
