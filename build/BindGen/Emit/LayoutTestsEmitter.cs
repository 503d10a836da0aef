using BindGen.Model;

namespace BindGen.Emit;

/// <summary>
/// Writes tests/BitNative.Kernels.Tests/Interop/LayoutTests.g.cs: for every struct, its size and
/// every field offset as libclang computed them for C; for every enum, its size and values; and
/// the #define constants. The tests never call the native library.
/// </summary>
internal static class LayoutTestsEmitter
{
    public const string Namespace = "BitNative.Kernels.Tests.Interop";

    public static string Emit(HeaderModel model)
    {
        var w = new CodeWriter();
        w.GeneratedBanner(model);
        w.Line("#nullable enable");
        w.Line("using System.Runtime.CompilerServices;");
        w.Line("using System.Runtime.InteropServices;");
        w.Line($"using {BindingsEmitter.Namespace};");
        w.Line("using Xunit;");
        w.Line();
        w.Line($"namespace {Namespace};");
        w.Line();
        w.Line("/// <summary>");
        w.Line($"/// The C# mirrors in NativeMethods.g.cs against the C layout libclang computed for {model.HeaderName}.");
        w.Line("/// </summary>");
        w.Line("public sealed class LayoutTests");
        w.Open();
        bool first = true;

        foreach (StructDecl s in model.Structs)
        {
            string type = Test(w, ref first, s.Name, "size_and_field_offsets");
            w.Line($"Assert.Equal({s.Size}, Unsafe.SizeOf<{type}>());");
            w.Line($"Assert.Equal({s.Size}, Marshal.SizeOf<{type}>());");
            foreach (FieldDecl field in s.Fields)
            {
                w.Line($"Assert.Equal({field.Offset}L, OffsetOf<{type}>(nameof({type}.{CSharp.Identifier(field.Name)})));");
            }

            w.Close();
        }

        foreach (EnumDecl e in model.Enums)
        {
            string type = Test(w, ref first, e.Name, "size_and_values");
            w.Line($"Assert.Equal({e.Size}, Unsafe.SizeOf<{type}>());");
            foreach (EnumConstant constant in e.Constants)
            {
                w.Line($"Assert.Equal({constant.Value}L, (long){type}.{CSharp.Identifier(constant.Name)});");
            }

            w.Close();
        }

        if (model.Constants.Count > 0)
        {
            Separate(w, ref first);
            w.Line("[Fact]");
            w.Line("public void Defines_match_C()");
            w.Open();
            foreach (ConstantDecl c in model.Constants)
            {
                w.Line($"Assert.Equal({CSharp.Constant(c.Value).Literal}, NativeMethods.{CSharp.Identifier(c.Name)});");
            }

            w.Close();
        }

        Separate(w, ref first);
        w.Line("private static long OffsetOf<T>(string field) => Marshal.OffsetOf<T>(field).ToInt64();");
        w.Close();
        return w.ToString();
    }

    private static void Separate(CodeWriter w, ref bool first)
    {
        if (!first)
        {
            w.Line();
        }

        first = false;
    }

    /// <summary>Opens the test that C type <paramref name="name"/>'s <paramref name="what"/> match C; returns the C#
    /// type's name.</summary>
    private static string Test(CodeWriter w, ref bool first, string name, string what)
    {
        Separate(w, ref first);
        w.Line("[Fact]");
        w.Line($"public void {name}_{what}_match_C()");
        w.Open();
        return CSharp.Identifier(name);
    }
}
