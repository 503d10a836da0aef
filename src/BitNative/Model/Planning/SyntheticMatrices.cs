using BitNative.Kernels;

namespace BitNative.Model.Planning;

/// <summary>
/// Distinct matrices of one shape and layout filled with random bytes, for timing only: a kernel's speed does not depend
/// on the values (a code no packer writes reads as a fixed value in every kernel), so no packing is needed.
/// </summary>
internal sealed class SyntheticMatrices : IDisposable
{
    private readonly NativeBuffer<byte> _buffer;
    private readonly int _matrixBytes;

    private SyntheticMatrices(NativeBuffer<byte> buffer, int matrixBytes, int count)
    {
        _buffer = buffer;
        _matrixBytes = matrixBytes;
        Count = count;
    }

    public int Count { get; }

    /// <summary>As many matrices as <see cref="KernelPlanKey.WorkingSetBytes"/> holds (at least one).</summary>
    public static SyntheticMatrices Create(WeightType layout, KernelPlanKey key)
    {
        long matrixBytes = WeightTypes.Bytes(layout, key.N, key.K);
        if (matrixBytes > int.MaxValue / 2)
        {
            throw new InvalidDataException($"A {key.N} x {key.K} matrix is too large to time.");
        }

        int count = (int)Math.Clamp(key.WorkingSetBytes / Math.Max(1, matrixBytes), 1, Math.Max(1, int.MaxValue / matrixBytes));
        var buffer = new NativeBuffer<byte>(checked((int)(matrixBytes * count)));
        Fill(buffer.GetSpan(), (ulong)key.N * 31 + (ulong)key.K);
        return new SyntheticMatrices(buffer, (int)matrixBytes, count);
    }

    public ReadOnlySpan<byte> Matrix(int index) => _buffer.GetSpan().Slice(index * _matrixBytes, _matrixBytes);

    public void Dispose() => ((IDisposable)_buffer).Dispose();

    /// <summary>xorshift64* bytes: fast enough for a hundred megabytes in well under a second.</summary>
    private static void Fill(Span<byte> bytes, ulong seed)
    {
        ulong s = seed | 1;
        Span<ulong> words = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ulong>(bytes);
        for (int i = 0; i < words.Length; i++)
        {
            s ^= s >> 12;
            s ^= s << 25;
            s ^= s >> 27;
            words[i] = s * 0x2545F4914F6CDD1DUL;
        }
    }
}
