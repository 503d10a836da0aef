namespace BitNative.Trainer;

/// <summary>
/// SplitMix64: tiny, fast, and its whole state is one ulong, so a run is reproducible from (seed, stream) alone and a
/// checkpoint never needs to store generator state (batches are drawn from a generator seeded per step).
/// </summary>
internal struct Rng
{
    private ulong _state;

    public Rng(ulong seed, ulong stream = 0)
    {
        _state = seed * 0x9E3779B97F4A7C15ul ^ (stream + 1) * 0xD1B54A32D192ED03ul;
        NextUInt64(); // decorrelate nearby seeds
    }

    public ulong NextUInt64()
    {
        ulong z = _state += 0x9E3779B97F4A7C15ul;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ul;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBul;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform integer in [0, n).</summary>
    public int NextInt(int n) => (int)((NextUInt64() >> 33) % (ulong)n);

    /// <summary>Uniform in [0, 1) with 24 bits.</summary>
    public float NextFloat() => (NextUInt64() >> 40) * (1f / (1 << 24));

    /// <summary>Standard normal (Box–Muller; one value per call keeps the stream position simple).</summary>
    public float NextGaussian()
    {
        double u1 = ((NextUInt64() >> 11) + 1) * (1.0 / (1ul << 53));
        double u2 = (NextUInt64() >> 11) * (1.0 / (1ul << 53));
        return (float)(Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
    }
}
