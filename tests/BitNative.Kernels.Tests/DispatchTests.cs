using Xunit;

namespace BitNative.Kernels.Tests;

[Collection(NativeIsaCollection.Name)]
public sealed class DispatchTests
{
    [Fact]
    public void TheLibraryLoadsFromTheRuntimesFolderAndReportsSaneFeatures()
    {
        Assert.NotNull(KernelDispatch.LibraryPath);
        CpuFeatures features = KernelDispatch.Features;
        Assert.True(features.LogicalCpus >= 1);
        Assert.True(KernelDispatch.IsSupported(features.BestIsa));
        Assert.True(KernelDispatch.IsSupported(Isa.Reference));
        Assert.Equal(features.BestIsa, KernelDispatch.ActiveIsa);
        if (System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64)
        {
            Assert.Equal(features.Avx2 && features.Fma && features.F16c, KernelDispatch.IsSupported(Isa.Avx2));
            Assert.False(KernelDispatch.IsSupported(Isa.Neon));
        }
    }

    [Theory]
    [ClassData(typeof(AllIsas))]
    public void ForcingAnUnavailableVariantIsRefusedWithTheReason(Isa isa)
    {
        if (KernelDispatch.IsSupported(isa))
        {
            using var _ = IsaScope.Force(isa);
            Assert.Equal(isa, KernelDispatch.ActiveIsa);
            return;
        }

        var e = Assert.Throws<PlatformNotSupportedException>(() => KernelDispatch.Force(isa));
        Assert.Contains(KernelDispatch.NameOf(isa), e.Message);
    }

    [Fact]
    public void AnUndefinedIsaValueIsAnArgumentError()
    {
        Assert.False(KernelDispatch.IsSupported((Isa)42));
        Assert.Throws<ArgumentException>(() => KernelDispatch.Force((Isa)42));
    }

    [Fact]
    public void ThreadPoolValidatesItsSizeAndRefusesUseAfterDispose()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => KernelThreadPool.Create(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => KernelThreadPool.Create(257));
        var pool = KernelThreadPool.Create(2);
        Assert.Equal(2, pool.Threads);
        pool.Dispose();
        pool.Dispose();
        Assert.Throws<ObjectDisposedException>(() =>
            ActivationQuantizer.QuantizeInt8(new float[4], 1, 4, new sbyte[4], new float[1], pool));
    }
}
