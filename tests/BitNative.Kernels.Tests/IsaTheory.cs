using Xunit;

namespace BitNative.Kernels.Tests;

/// <summary>Tests that force kernel variants share process-wide state, so they never run in parallel.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NativeIsaCollection
{
    public const string Name = "Native ISA (serial)";
}

/// <summary>Every <see cref="Isa"/>; tests skip, with the reason, the ones this CPU or build lacks.</summary>
public sealed class AllIsas : TheoryData<Isa>
{
    public AllIsas()
    {
        foreach (Isa isa in Enum.GetValues<Isa>())
        {
            Add(isa);
        }
    }
}

internal static class IsaScope
{
    /// <summary>Skips the test, naming the reason, when this CPU or build cannot run <paramref name="isa"/>.</summary>
    public static void SkipUnlessSupported(Isa isa)
    {
        if (!KernelDispatch.IsSupported(isa))
        {
            Assert.Skip($"{KernelDispatch.NameOf(isa)} kernels cannot run here (CPU: {Describe(KernelDispatch.Features)}).");
        }
    }

    /// <summary>Forces <paramref name="isa"/> (or skips the test when unavailable) and restores the default on dispose.</summary>
    public static IDisposable Force(Isa isa)
    {
        SkipUnlessSupported(isa);
        Isa previous = KernelDispatch.ActiveIsa;
        KernelDispatch.Force(isa);
        return new Restore(previous);
    }

    private static string Describe(CpuFeatures f) =>
        $"avx2={f.Avx2} avx512f={f.Avx512F} avx512vnni={f.Avx512Vnni} neon={f.Neon} dotprod={f.DotProd}, best={f.BestIsa}";

    private sealed class Restore(Isa previous) : IDisposable
    {
        public void Dispose() => KernelDispatch.Force(previous);
    }
}
