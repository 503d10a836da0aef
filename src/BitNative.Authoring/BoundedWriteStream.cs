namespace BitNative.Authoring;

/// <summary>
/// A write-only view of another stream that accepts exactly a promised number of bytes. Writers hand it
/// to callbacks that stream tensor data straight to the output, so a callback that writes too much
/// cannot shift the following tensors and one that writes too little is detected afterwards.
/// </summary>
internal sealed class BoundedWriteStream(Stream inner, long expectedBytes, string what) : Stream
{
    public long Written { get; private set; }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => Written;
        set => throw new NotSupportedException();
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (buffer.Length > expectedBytes - Written)
        {
            throw new InvalidOperationException(
                $"The data callback for {what} wrote more than the {expectedBytes} bytes its shape and type need.");
        }

        inner.Write(buffer);
        Written += buffer.Length;
    }

    public override void WriteByte(byte value) => Write([value]);

    /// <summary>Throws unless exactly the promised number of bytes was written.</summary>
    public void EnsureComplete()
    {
        if (Written != expectedBytes)
        {
            throw new InvalidOperationException(
                $"The data callback for {what} wrote {Written} bytes; its shape and type need exactly {expectedBytes}.");
        }
    }

    public override void Flush() => inner.Flush();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
