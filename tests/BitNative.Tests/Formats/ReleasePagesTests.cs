using BitNative.Formats;
using BitNative.Kernels;
using Xunit;

namespace BitNative.Tests.Formats;

/// <summary>
/// Dropping converted tensors' file pages from the resident set must never change what the mapping reads, and weight
/// buffers (huge-page backed when large) start zeroed and hold what is written.
/// </summary>
public sealed class ReleasePagesTests
{
    [Fact]
    public void ReleasedPagesOfAMappedFileReadTheSameBytesAgain()
    {
        using var folder = new TempFolder();
        string path = Path.Combine(folder.Path, "data.bin");
        var bytes = new byte[3 * 65536 + 123];
        new Random(7).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);

        using IByteSource source = ByteSource.OpenFile(path);
        Assert.True(source.GetSpan(0, bytes.Length).SequenceEqual(bytes));
        source.ReleasePages(100, bytes.Length - 200); // unaligned: only whole pages inside are dropped
        source.ReleasePages(0, bytes.Length);
        Assert.True(source.GetSpan(0, bytes.Length).SequenceEqual(bytes));
        Assert.Throws<ArgumentOutOfRangeException>(() => source.ReleasePages(bytes.Length - 10, 11));
    }

    [Fact]
    public void ReleasingAnInMemorySourceKeepsItsBytes()
    {
        byte[] bytes = [1, 2, 3, 4];
        using IByteSource source = new ByteArraySource(bytes);
        source.ReleasePages(0, 4);
        Assert.Equal(bytes, source.GetSpan(0, 4).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => source.ReleasePages(2, 3));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4097)]
    [InlineData(2 * 1024 * 1024)]
    [InlineData(5 * 1024 * 1024 + 3)]
    public void WeightBuffersStartZeroedAndKeepWhatIsWritten(int length)
    {
        using var buffer = new NativeBuffer<byte>(length);
        Span<byte> span = buffer.GetSpan();
        Assert.False(span.ContainsAnyExcept((byte)0));
        span.Fill(0xA5);
        Assert.False(buffer.Memory.Span.ContainsAnyExcept((byte)0xA5));
    }
}
