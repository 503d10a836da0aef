using BitNative.Generation;
using Xunit;

namespace BitNative.Tests.Generation;

public sealed class StopStringMatcherTests
{
    [Fact]
    public void HoldsBackPossibleStartsAndCutsAtTheStop()
    {
        var m = new StopStringMatcher(["</end>", "STOP"]);
        Assert.Equal(("Hello ", false), m.Append("Hello "));
        Assert.Equal(("wor", false), m.Append("wor</"));   // "</" could start "</end>"
        Assert.Equal(("</x", false), m.Append("x"));       // no longer a prefix: released
        Assert.Equal(("a ", true), m.Append("a </end> ignored"));
    }

    [Fact]
    public void FlushReleasesHeldText()
    {
        var m = new StopStringMatcher(["STOP"]);
        Assert.Equal(("abc ", false), m.Append("abc ST"));
        Assert.Equal("ST", m.Flush());
    }

    [Fact]
    public void WithoutStopsEverythingPassesThrough() => Assert.Equal(("xyz", false), new StopStringMatcher([]).Append("xyz"));
}
