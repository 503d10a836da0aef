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
            w.Line();
            w.Doc(e.Doc);
            w.Line(e.Underlying == Builtin.Int32
                ? $"internal enum {CSharp.Identifier(e.Name)}"
                : $"internal enum {CSharp.Identifier(e.Name)} : {CSharp.Builtin(e.Underlying)}");
            w.Open();
            for (int i = 0; i < e.Constants.Count; i++)
            {
                EnumConstant constant = e.Constants[i];
                MemberSeparator(w, i, constant.Doc, i > 0 ? e.Constants[i - 1].Doc : null);
                w.Doc(constant.Doc);
                w.Line($"{CSharp.Identifier(constant.Name)} = {constant.Value},");
            }

            w.Close();
        }

        foreach (StructDecl s in model.Structs)
        {
            w.Line();
            w.Doc(s.Doc);
            w.Line("[StructLayout(LayoutKind.Sequential)]");
            string modifiers = s.Fields.Any(f => CSharp.HasPointer(f.Type)) ? "internal unsafe struct" : "internal struct";
            w.Line($"{modifiers} {CSharp.Identifier(s.Name)}");
            w.Open();
            for (int i = 0; i < s.Fields.Count; i++)
            {
                FieldDecl field = s.Fields[i];
                MemberSeparator(w, i, field.Doc, i > 0 ? s.Fields[i - 1].Doc : null);
                w.Doc(field.Doc);
                w.Line($"public {CSharp.Type(field.Type)} {CSharp.Identifier(field.Name)};");
            }

            w.Close();
        }

        foreach (OpaqueDecl o in model.Opaques)
        {
            w.Line();
            w.Doc(o.Doc);
            w.Line($"internal struct {CSharp.Identifier(o.Name)}");
            w.Open();
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
    private static void MemberSeparator(CodeWriter w, int index, DocComment? doc, DocComment? previousDoc)
    {
        if (index > 0 && (doc is not null || previousDoc is not null))
        {
            w.Line();
        }
    }
}
