using BitNative.Authoring.Synthetic;
using System.Text.Json;
using BitNative.Kernels;
using BitNative.Model.Planning;
using BitNative.Tests.Formats;
using Xunit;

namespace BitNative.Tests.Model;

/// <summary>
/// The kernel plan measured at load: it only chooses among variants this CPU runs, its choices never change the logits,
/// it is cached per CPU and build and read back instead of measured again, a damaged or foreign cache file is ignored,
/// and a forced ISA skips the measurement.
/// </summary>
public sealed class KernelPlanTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly string _model;
    private static readonly int[] Tokens = [1, 17, 300, 42, 9, 250, 3];

    public KernelPlanTests()
    {
        _model = _folder.File("tiny.gguf");
        SyntheticModelWriter.Write(SyntheticModelSpec.Parse("tiny", SyntheticWeights.I2S, SyntheticHead.F16, "bitnet-b1.58", 11, null), _model);
    }

    public void Dispose() => _folder.Dispose();

    private float[] Logits(ModelOptions options, out IReadOnlyList<KernelPlanEntry> plan)
    {
        using BitNetModel model = BitNetModel.Load(_model, options);
        plan = model.KernelPlan;
        using InferenceSession session = model.CreateSession();
        return session.EvaluateAll(Tokens);
    }

    [Fact]
    public void ThePlanChoosesOnlyRunnableVariantsAndNeverChangesTheLogits()
    {
        string cache = _folder.File("cache");
        float[] planned = Logits(new ModelOptions { Threads = 2, CacheDirectory = cache }, out var plan);
        Assert.NotEmpty(plan);
        foreach (KernelPlanEntry e in plan)
        {
            Assert.True(Matmul.IsSupported(e.Layout, e.Key.Input, e.Gemv), $"{e.Key}: {e.Gemv} cannot run {e.Layout}");
            Assert.True(Matmul.IsSupported(e.Layout, e.Key.Input, e.Gemm), $"{e.Key}: {e.Gemm} cannot run {e.Layout}");
            Assert.Contains(e.Layout, new[] { WeightType.I2S, WeightType.Tl1 }); // Auto: multiply-add or lookup tables
            if (e.Timings.Count > 0)
            {
                // the one-token choice is the fastest candidate measured; the batch choice the fastest on the kept layout
                Assert.Equal(e.Timings.Min(t => t.GemvMicroseconds), e.Timings.Single(t => t.Layout == e.Layout && t.Isa == e.Gemv).GemvMicroseconds);
                Assert.Equal(e.Timings.Where(t => t.Layout == e.Layout).Min(t => t.GemmMicroseconds),
                    e.Timings.Single(t => t.Layout == e.Layout && t.Isa == e.Gemm).GemmMicroseconds);
                Assert.All(e.Timings, t => Assert.True(KernelDispatch.IsSupported(t.Isa) && t.Isa != Isa.Reference));
            }
        }

        // every ISA and layout a plan could pick gives the same bits
        foreach (Isa isa in Enum.GetValues<Isa>().Where(KernelDispatch.IsSupported))
        {
            foreach (TernaryKernel kernel in new[] { TernaryKernel.MultiplyAdd, TernaryKernel.LookupTable })
            {
                float[] forced = Logits(new ModelOptions { Threads = 2, Isa = isa, Kernel = kernel }, out var forcedPlan);
                Assert.All(forcedPlan, e => Assert.True(e.Gemv == isa && e.Gemm == isa && e.Timings.Count == 0));
                Assert.Equal(planned, forced);
            }
        }
    }

    [Fact]
    public void APlanIsMeasuredOnceThenReadFromTheCacheAndAForeignOrDamagedFileIsIgnored()
    {
        string cache = _folder.File("cache");
        Logits(new ModelOptions { Threads = 1, CacheDirectory = cache }, out var first);
        string file = Assert.Single(Directory.GetFiles(Path.Combine(cache, "kernel-plans"), "*.json"));
        string written = File.ReadAllText(file);
        AssertThisMachine(file);

        // read back: the same choices and timings (a second measurement would give other timings)
        Logits(new ModelOptions { Threads = 1, CacheDirectory = cache }, out var second);
        Assert.Equal(first.Select(Describe), second.Select(Describe));
        Assert.Equal(written, File.ReadAllText(file));

        // a file whose CPU differs is not this machine's plan: measured again and rewritten
        File.WriteAllText(file, written.Replace(MachineIdentity.Cpu.Replace("'", "\\u0027"), "another CPU"));
        Logits(new ModelOptions { Threads = 1, CacheDirectory = cache }, out var remeasured);
        Assert.Equal(first.Count, remeasured.Count);
        AssertThisMachine(file);

        // a damaged file loads (measured again) and is replaced by a valid one
        File.WriteAllText(file, "{ not json");
        float[] logits = Logits(new ModelOptions { Threads = 1, CacheDirectory = cache }, out _);
        Assert.All(logits, v => Assert.True(float.IsFinite(v)));
        AssertThisMachine(file);
    }

    private static void AssertThisMachine(string file)
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(file));
        Assert.Equal(MachineIdentity.Cpu, doc.RootElement.GetProperty("Cpu").GetString());
        Assert.Equal(MachineIdentity.Library, doc.RootElement.GetProperty("Library").GetString());
    }

    [Fact]
    public void ThePlanIsKeyedByThreadsAndKernelFamily()
    {
        string cache = _folder.File("cache");
        Logits(new ModelOptions { Threads = 1, CacheDirectory = cache }, out var one);
        Logits(new ModelOptions { Threads = 2, CacheDirectory = cache }, out var two);
        Logits(new ModelOptions { Threads = 1, Kernel = TernaryKernel.MultiplyAdd, CacheDirectory = cache }, out var mad);
        Assert.All(one, e => Assert.Equal(1, e.Key.Threads));
        Assert.All(two, e => Assert.Equal(2, e.Key.Threads));
        Assert.All(mad, e => Assert.Equal(WeightType.I2S, e.Layout));
    }

    private static string Describe(KernelPlanEntry e) =>
        $"{e.Key} {e.Layout} {e.Gemv} {e.Gemm} {string.Join(",", e.Timings.Select(t => $"{t.Layout}/{t.Isa}={t.GemvMicroseconds}/{t.GemmMicroseconds}"))}";
}
