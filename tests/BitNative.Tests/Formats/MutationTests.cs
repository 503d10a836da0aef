using System.Buffers.Binary;
using BitNative.Formats;
using BitNative.Formats.Gguf;
using BitNative.Formats.Safetensors;
using Xunit;

namespace BitNative.Tests.Formats;

/// <summary>
/// Seeded, deterministic fuzzing: byte flips, hostile integers and truncations of valid small files.
/// Whatever the damage, the loader either opens the file (and every tensor span can be read) or throws
/// BitNativeFormatException — nothing else may escape.
/// </summary>
public sealed class MutationTests : TempFolderTests
{
    private const int Seed = 20261125;
    [Fact]
    public void Mutated_gguf_files_only_ever_fail_with_BitNativeFormatException()
    {
        byte[] seed = MalformedGgufCorpus.ValidSmallFile();
        int rejected = Run(seed, 3000, bytes =>
        {
            using GgufFile file = GgufFile.Parse(bytes, "mutant.gguf");
            Touch(file);
        }, bytes =>
        {
            using GgufFile file = GgufFile.Open(Folder.Write("mutant.gguf", bytes));
            Touch(file);
        });
        // Sanity: the mutations do reach the validation paths (most of the file is header).
        Assert.True(rejected > 1000, $"only {rejected} mutants rejected");
    }

    [Fact]
    public void Mutated_safetensors_files_only_ever_fail_with_BitNativeFormatException()
    {
        byte[] seed = MalformedSafetensorsCorpus.ValidSmallFile();
        int rejected = Run(seed, 2000, bytes =>
        {
            using SafetensorsFile file = SafetensorsFile.Parse(bytes, "mutant.safetensors");
            Touch(file);
        }, bytes =>
        {
            using SafetensorsFile file = SafetensorsFile.Open(Folder.Write("mutant.safetensors", bytes));
            Touch(file);
        });
        Assert.True(rejected > 1000, $"only {rejected} mutants rejected");
    }

    /// <summary>Runs <paramref name="count"/> mutants through memory, and every 10th also through a real file; returns how many were rejected.</summary>
    private static int Run(byte[] seed, int count, Action<byte[]> loadFromMemory, Action<byte[]> loadFromFile)
    {
        var random = new Random(Seed);
        int rejected = 0;
        for (int i = 0; i < count; i++)
        {
            (string how, byte[] mutant) = Mutate(seed, random, i);
            foreach (Action<byte[]> load in i % 10 == 0 ? [loadFromMemory, loadFromFile] : new[] { loadFromMemory })
            {
                try
                {
                    load(mutant);
                }
                catch (BitNativeFormatException)
                {
                    rejected++;
                }
                catch (Exception e)
                {
                    Assert.Fail($"mutant #{i} ({how}) let {e.GetType().Name} escape: {e.Message}\n{e.StackTrace}");
                }
            }
        }

        return rejected;
    }

    private static (string How, byte[] Bytes) Mutate(byte[] seed, Random random, int index)
    {
        byte[] bytes = (byte[])seed.Clone();
        switch (index % 4)
        {
            case 0:
                int length = random.Next(seed.Length);
                return ($"truncated to {length} bytes", bytes[..length]);
            case 1:
                int flips = 1 + random.Next(4);
                var positions = new List<int>();
                for (int f = 0; f < flips; f++)
                {
                    int at = random.Next(bytes.Length);
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    positions.Add(at);
                }

                return ($"bit flips at {string.Join(",", positions)}", bytes);
            case 2:
                int p = random.Next(bytes.Length);
                bytes[p] = (byte)random.Next(256);
                return ($"byte {p} set to {bytes[p]}", bytes);
            default:
                // Hostile integers where lengths, counts, types and offsets live.
                ulong[] hostile = [0, 1, 0xFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 1UL << 24, 1UL << 31, 1UL << 40, long.MaxValue, ulong.MaxValue];
                ulong value = hostile[random.Next(hostile.Length)];
                int q = random.Next(Math.Max(1, bytes.Length - 8));
                if (random.Next(2) == 0)
                {
                    BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(q), value);
                }
                else
                {
                    BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(q), (uint)value);
                }

                return ($"integer {value} written at {q}", bytes);
        }
    }

    private static void Touch(GgufFile file)
    {
        long sum = 0;
        foreach (GgufTensorInfo tensor in file.Tensors)
        {
            foreach (byte b in file.GetTensorData(tensor))
            {
                sum += b;
            }

            if (tensor.Type == GgmlType.I2_S)
            {
                _ = file.GetI2SScale(tensor);
            }
        }

        foreach (KeyValuePair<string, GgufValue> entry in file.Metadata)
        {
            _ = entry.Value.ToString();
        }

        GC.KeepAlive(sum);
    }

    private static void Touch(SafetensorsFile file)
    {
        long sum = 0;
        foreach (SafetensorsTensorInfo tensor in file.Tensors)
        {
            foreach (byte b in file.GetTensorData(tensor))
            {
                sum += b;
            }
        }

        GC.KeepAlive(sum);
    }
}
