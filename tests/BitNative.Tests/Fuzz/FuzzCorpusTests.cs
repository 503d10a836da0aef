using BitNative.Fuzz;
using Xunit;

namespace BitNative.Tests.Fuzz;

/// <summary>
/// Every committed fuzz input, run through its harness without the fuzzer: the seeds (fuzz/corpus/TARGET), which must
/// keep reaching the readers, and the inputs that once broke a reader (fuzz/regressions/TARGET), which must not break it
/// again. A harness fails the way the fuzzer would have seen it: by an exception outside the reader's contract.
/// </summary>
public sealed class FuzzCorpusTests
{
    public static TheoryData<string> Targets() => new(FuzzTargets.All.Select(t => t.Name));

    [Theory]
    [MemberData(nameof(Targets))]
    public void EveryCommittedInputKeepsItsHarnessContract(string target)
    {
        FuzzTarget harness = FuzzTargets.Find(target)!;
        string[] seeds = Inputs("corpus", target);
        Assert.NotEmpty(seeds);
        foreach (string file in seeds.Concat(Inputs("regressions", target)))
        {
            try
            {
                harness.Run(File.ReadAllBytes(file));
            }
            catch (Exception e)
            {
                Assert.Fail($"{target} on {Path.GetRelativePath(AppContext.BaseDirectory, file)}: {e}");
            }
        }
    }

    private static string[] Inputs(string kind, string target)
    {
        string dir = Path.Combine(AppContext.BaseDirectory, "fuzz", kind, target);
        return Directory.Exists(dir) ? Directory.GetFiles(dir).Order(StringComparer.Ordinal).ToArray() : [];
    }
}
