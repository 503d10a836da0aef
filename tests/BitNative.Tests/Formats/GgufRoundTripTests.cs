using BitNative.Authoring.Gguf;
using System.Buffers.Binary;
using BitNative.Formats;
using BitNative.Formats.Gguf;
using Xunit;

namespace BitNative.Tests.Formats;

public sealed class GgufRoundTripTests : TempFolderTests
{
    /// <summary>Byte sizes written out independently of the library's type table (reference/formats.md section 1).</summary>
    private static long ExpectedByteSize(GgmlType type, long n) => type switch
    {
        GgmlType.F32 => n * 4,
        GgmlType.F16 or GgmlType.BF16 => n * 2,
        GgmlType.Q4_0 => n / 32 * 18,
        GgmlType.Q8_0 => n / 32 * 34,
        GgmlType.Q6_K => n / 256 * 210,
        GgmlType.Q4_K => n / 256 * 144,
        GgmlType.Q5_K => n / 256 * 176,
        GgmlType.TQ1_0 => n / 256 * 54,
        GgmlType.TQ2_0 => n / 256 * 66,
        GgmlType.I2_S => n / 4 + 32,
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    public static TheoryData<GgmlType, long[]> TensorShapes => new()
    {
        { GgmlType.F32, [7, 3] },
        { GgmlType.F32, [2, 3, 4, 5] },
        { GgmlType.F16, [5, 2, 3] },
        { GgmlType.Q4_0, [64, 3] },
        { GgmlType.Q8_0, [32, 2, 2] },
        { GgmlType.Q6_K, [256, 2] },
        { GgmlType.Q4_K, [512, 2] },
        { GgmlType.Q5_K, [256, 3] },
        { GgmlType.BF16, [9] },
        { GgmlType.TQ1_0, [256, 3] },
        { GgmlType.TQ2_0, [512, 2] },
        { GgmlType.I2_S, [256, 3] },
    };

    [Theory]
    [MemberData(nameof(TensorShapes))]
    public void Tensor_bytes_survive_a_round_trip(GgmlType type, long[] dims)
    {
        long elements = dims.Aggregate(1L, (a, d) => a * d);
        byte[] data = RandomBytes((int)ExpectedByteSize(type, elements), seed: (int)type);
        Assert.Equal(data.Length, GgufWriter.GetTensorByteSize(type, dims));
        string path = Folder.File("t.gguf");
        new GgufWriter().AddTensor("w", type, dims, data).WriteTo(path);

        using GgufFile file = GgufFile.Open(path);
        GgufTensorInfo tensor = Assert.Single(file.Tensors);
        Assert.Equal("w", tensor.Name);
        Assert.Equal(type, tensor.Type);
        Assert.Equal(dims, tensor.Dimensions);
        Assert.Equal(elements, tensor.ElementCount);
        Assert.Equal(data.Length, tensor.ByteSize);
        Assert.True(file.GetTensorData(tensor).SequenceEqual(data));
    }

    [Theory]
    [InlineData(1u)]
    [InlineData(8u)]
    [InlineData(32u)]
    [InlineData(64u)]
    [InlineData(4096u)]
    public void Every_tensor_type_in_one_file_is_laid_out_like_llama_cpp(uint alignment)
    {
        var writer = new GgufWriter().AddUInt32("general.alignment", alignment).AddString("general.architecture", "test");
        var expected = new List<(string Name, GgmlType Type, long[] Dims, byte[] Data)>();
        int seed = 0;
        foreach (TheoryDataRow<GgmlType, long[]> row in TensorShapes)
        {
            var (type, dims) = row.Data;
            byte[] data = RandomBytes((int)ExpectedByteSize(type, dims.Aggregate(1L, (a, d) => a * d)), seed++);
            string name = $"blk.{seed}.{type}.weight";
            writer.AddTensor(name, type, dims, data);
            expected.Add((name, type, dims, data));
        }

        Assert.Equal(alignment, writer.Alignment);
        string path = Folder.File("all.gguf");
        writer.WriteTo(path);
        byte[] raw = File.ReadAllBytes(path);

        using GgufFile file = GgufFile.Open(path);
        Assert.Equal(alignment, file.Alignment);
        Assert.Equal(0, file.DataOffset % alignment);
        long running = 0;
        for (int i = 0; i < expected.Count; i++)
        {
            GgufTensorInfo tensor = file.Tensors[i];
            Assert.Equal(expected[i].Name, tensor.Name);
            Assert.Equal(expected[i].Type, tensor.Type);
            Assert.Equal(expected[i].Dims, tensor.Dimensions);
            Assert.Equal(running, tensor.Offset);
            Assert.Equal(file.DataOffset + running, tensor.FileOffset);
            Assert.True(file.GetTensorData(tensor).SequenceEqual(expected[i].Data));
            long padded = (tensor.ByteSize + alignment - 1) / alignment * alignment;
            // llama.cpp pads every tensor, the last one included, with zeros.
            Assert.All(raw[(int)(tensor.FileOffset + tensor.ByteSize)..(int)(file.DataOffset + running + padded)], b => Assert.Equal(0, b));
            running += padded;
        }

        Assert.Equal(file.DataOffset + running, raw.Length);
    }

    [Fact]
    public void Every_metadata_value_type_survives_a_round_trip()
    {
        var values = new List<KeyValuePair<string, GgufValue>>
        {
            new("u8", GgufValue.FromUInt8(byte.MaxValue)),
            new("i8", GgufValue.FromInt8(sbyte.MinValue)),
            new("u16", GgufValue.FromUInt16(ushort.MaxValue)),
            new("i16", GgufValue.FromInt16(short.MinValue)),
            new("u32", GgufValue.FromUInt32(uint.MaxValue)),
            new("i32", GgufValue.FromInt32(int.MinValue)),
            new("f32", GgufValue.FromFloat32(-0.0f)),
            new("f32.nan", GgufValue.FromFloat32(float.NaN)),
            new("bool.true", GgufValue.FromBool(true)),
            new("bool.false", GgufValue.FromBool(false)),
            new("string", GgufValue.FromString("héllo, 世界 \U0001F600\n")),
            new("string.empty", GgufValue.FromString("")),
            new("u64", GgufValue.FromUInt64(ulong.MaxValue)),
            new("i64", GgufValue.FromInt64(long.MinValue)),
            new("f64", GgufValue.FromFloat64(Math.PI)),
            new("arr.u8", GgufValue.FromArray<byte>([0, 1, 255])),
            new("arr.i8", GgufValue.FromArray<sbyte>([-128, 0, 127])),
            new("arr.u16", GgufValue.FromArray<ushort>([0, 65535])),
            new("arr.i16", GgufValue.FromArray<short>([-32768, 32767])),
            new("arr.u32", GgufValue.FromArray<uint>([1, uint.MaxValue])),
            new("arr.i32", GgufValue.FromArray<int>([-1, int.MaxValue])),
            new("arr.f32", GgufValue.FromArray<float>([1.5f, float.NegativeInfinity, float.Epsilon])),
            new("arr.bool", GgufValue.FromArray<bool>([true, false, true])),
            new("arr.u64", GgufValue.FromArray<ulong>([ulong.MaxValue, 0])),
            new("arr.i64", GgufValue.FromArray<long>([long.MinValue, 42])),
            new("arr.f64", GgufValue.FromArray<double>([double.MaxValue, -1e-300])),
            new("arr.string", GgufValue.FromStringArray(["a", "", "Ġthe", "日本"])),
            new("arr.empty", GgufValue.FromArray<int>([])),
            new("arr.string.empty", GgufValue.FromStringArray([])),
        };
        var writer = new GgufWriter();
        foreach ((string key, GgufValue value) in values)
        {
            writer.Add(key, value);
        }

        string path = Folder.File("kv.gguf");
        writer.WriteTo(path);
        using GgufFile file = GgufFile.Open(path);

        Assert.Equal(3u, file.Version);
        Assert.Empty(file.Tensors);
        Assert.Equal(values.Count, file.Metadata.Count);
        for (int i = 0; i < values.Count; i++)
        {
            Assert.Equal(values[i].Key, file.Metadata[i].Key);
            Assert.Equal(values[i].Value, file.Metadata[i].Value);
        }

        GgufMetadata m = file.Metadata;
        Assert.Equal(byte.MaxValue, m.GetUInt8("u8"));
        Assert.Equal(sbyte.MinValue, m.GetInt8("i8"));
        Assert.Equal(ushort.MaxValue, m.GetUInt16("u16"));
        Assert.Equal(short.MinValue, m.GetInt16("i16"));
        Assert.Equal(uint.MaxValue, m.GetUInt32("u32"));
        Assert.Equal(int.MinValue, m.GetInt32("i32"));
        Assert.True(float.IsNegative(m.GetFloat32("f32")));
        Assert.True(float.IsNaN(m.GetFloat32("f32.nan")));
        Assert.True(m.GetBool("bool.true"));
        Assert.Equal("héllo, 世界 \U0001F600\n", m.GetString("string"));
        Assert.Equal(ulong.MaxValue, m.GetUInt64("u64"));
        Assert.Equal(long.MinValue, m.GetInt64("i64"));
        Assert.Equal(Math.PI, m.GetFloat64("f64"));
        Assert.Equal([-1, int.MaxValue], m.GetArray<int>("arr.i32").ToArray());
        Assert.Equal([1.5f, float.NegativeInfinity, float.Epsilon], m.GetArray<float>("arr.f32").ToArray());
        Assert.Equal([true, false, true], m.GetArray<bool>("arr.bool").ToArray());
        Assert.Equal(["a", "", "Ġthe", "日本"], m.GetStringArray("arr.string"));
        Assert.Equal(0, m["arr.empty"].ArrayLength);
        Assert.Equal("i32[]", m["arr.i32"].TypeName);
    }

    [Fact]
    public void Writer_output_is_llama_cpp_layout_byte_for_byte()
    {
        // The same file spelled out field by field as llama.cpp's gguf_write_out produces it.
        byte[] q8 = RandomBytes(34 * 2, seed: 7);
        byte[] f32 = RandomBytes(4 * 3, seed: 8);
        byte[] expected = RawGguf.Header(tensors: 2, keyValues: 3)
            .KvStr("general.architecture", "bitnet-b1.58")
            .KvU32("general.alignment", 64)
            .KvStrings("tokenizer.ggml.tokens", "a", "b")
            .Tensor("output_norm.weight", [3], type: 0, offset: 0)
            .Tensor("blk.0.attn_q.weight", [32, 2], type: 8, offset: 64)
            .PadTo(64)
            .Bytes(f32).PadTo(64)
            .Bytes(q8).PadTo(64)
            .ToArray();

        var stream = new MemoryStream();
        new GgufWriter()
            .AddString("general.architecture", "bitnet-b1.58")
            .AddUInt32("general.alignment", 64)
            .AddStringArray("tokenizer.ggml.tokens", ["a", "b"])
            .AddTensor("output_norm.weight", GgmlType.F32, [3], f32)
            .AddTensor("blk.0.attn_q.weight", GgmlType.Q8_0, [32, 2], q8)
            .WriteTo(stream);

        Assert.Equal(expected, stream.ToArray());
    }

    [Fact]
    public void Version_2_files_are_read()
    {
        var stream = new MemoryStream();
        new GgufWriter().AddString("general.name", "v2").AddTensor("t", GgmlType.F32, [4], new byte[16]).WriteTo(stream);
        byte[] bytes = stream.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), 2);

        using GgufFile file = GgufFile.Open(Folder.Write("v2.gguf", bytes));
        Assert.Equal(2u, file.Version);
        Assert.Equal("v2", file.Metadata.GetString("general.name"));
        Assert.Equal(16, file.GetTensorData("t").Length);
    }

    [Fact]
    public void I2S_tensor_exposes_codes_and_its_per_tensor_scale()
    {
        const int rows = 4, columns = 256;
        byte[] codes = RandomBytes(rows * columns / 4, seed: 3);
        byte[] data = new byte[codes.Length + 32];
        codes.CopyTo(data, 0);
        BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(codes.Length), 0.8125f);
        string path = Folder.File("i2s.gguf");
        new GgufWriter()
            .AddTensor("blk.0.ffn_up.weight", GgmlType.I2_S, [columns, rows], data)
            .AddTensor("blk.0.ffn_norm.weight", GgmlType.F32, [columns], new byte[columns * 4])
            .WriteTo(path);

        using GgufFile file = GgufFile.Open(path);
        GgufTensorInfo tensor = file.GetTensor("blk.0.ffn_up.weight");
        Assert.Equal(rows * columns / 4 + 32, tensor.ByteSize);
        Assert.Equal(0.8125f, file.GetI2SScale(tensor));
        Assert.True(file.GetTensorData(tensor)[..codes.Length].SequenceEqual(codes));
        Assert.Throws<ArgumentException>(() => file.GetI2SScale(file.GetTensor("blk.0.ffn_norm.weight")));
    }

    [Fact]
    public void Callback_tensors_stream_to_the_output_and_must_write_exactly_their_size()
    {
        byte[] data = RandomBytes(2 * 66, seed: 5);
        string path = Folder.File("cb.gguf");
        new GgufWriter()
            .AddTensor("a", GgmlType.TQ2_0, [256, 2], stream => { stream.Write(data, 0, 100); stream.Write(data, 100, 32); })
            .AddTensor("b", GgmlType.F16, [3], stream => stream.Write([1, 2, 3, 4, 5, 6]))
            .WriteTo(path);
        using (GgufFile file = GgufFile.Open(path))
        {
            Assert.True(file.GetTensorData("a").SequenceEqual(data));
            Assert.True(file.GetTensorData("b").SequenceEqual(new byte[] { 1, 2, 3, 4, 5, 6 }));
        }

        string shortPath = Folder.File("short.gguf");
        var tooShort = new GgufWriter().AddTensor("a", GgmlType.F32, [4], stream => stream.Write(new byte[15]));
        Assert.Contains("wrote 15 bytes", Assert.Throws<InvalidOperationException>(() => tooShort.WriteTo(shortPath)).Message);
        Assert.False(File.Exists(shortPath));

        var tooLong = new GgufWriter().AddTensor("a", GgmlType.F32, [4], stream => stream.Write(new byte[17]));
        Assert.Contains("more than the 16 bytes", Assert.Throws<InvalidOperationException>(() => tooLong.WriteTo(new MemoryStream())).Message);
    }

    [Fact]
    public void Typed_getters_name_the_key_the_expected_and_the_actual_type()
    {
        var s = new MemoryStream();
        new GgufWriter().AddInt32("llama.context_length", 4096).WriteTo(s);
        using GgufFile file = GgufFile.Parse(s.ToArray(), "model.gguf");

        var wrongType = Assert.Throws<BitNativeFormatException>(() => file.Metadata.GetUInt32("llama.context_length"));
        Assert.Contains("model.gguf", wrongType.Message);
        Assert.Contains("'llama.context_length' is i32, expected u32", wrongType.Message);
        Assert.Equal(24, wrongType.Offset);

        var missing = Assert.Throws<BitNativeFormatException>(() => file.Metadata.GetString("general.architecture"));
        Assert.Contains("'general.architecture' is missing", missing.Message);
        Assert.Contains("'nope' is missing", Assert.Throws<BitNativeFormatException>(() => file.GetTensor("nope")).Message);
        Assert.Contains("expected string[]", Assert.Throws<BitNativeFormatException>(() => file.Metadata.GetStringArray("llama.context_length")).Message);
        Assert.Contains("expected f32[]", Assert.Throws<BitNativeFormatException>(() => file.Metadata.GetArray<float>("llama.context_length")).Message);
    }

    [Fact]
    public void Writer_refuses_what_the_reader_would_reject()
    {
        Assert.Contains("power of two", Assert.Throws<ArgumentException>(() => new GgufWriter().AddUInt32("general.alignment", 48)).Message);
        Assert.Contains("expected u32", Assert.Throws<ArgumentException>(() => new GgufWriter().AddInt32("general.alignment", 64)).Message);
        Assert.Contains("expected string[]", Assert.Throws<ArgumentException>(() => new GgufWriter().AddArray<int>("tokenizer.ggml.tokens", [1])).Message);
        Assert.Contains("has 1 entries", Assert.Throws<ArgumentException>(() =>
            new GgufWriter().AddStringArray("tokenizer.ggml.tokens", ["a", "b"]).AddArray<float>("tokenizer.ggml.scores", [1f])).Message);
        Assert.Throws<ArgumentException>(() => new GgufWriter().AddUInt8("k", 1).AddUInt8("k", 2));
        Assert.Throws<ArgumentException>(() => new GgufWriter().AddUInt8("", 1));
        Assert.Throws<ArgumentException>(() => new GgufWriter().AddTensor(new string('x', 64), GgmlType.F32, [1], new byte[4]));
        Assert.Throws<ArgumentException>(() => new GgufWriter().AddTensor("t", GgmlType.F32, [1], new byte[4]).AddTensor("t", GgmlType.F32, [1], new byte[4]));
        Assert.Throws<ArgumentException>(() => new GgufWriter().AddTensor("t", GgmlType.F32, [0], []));
        Assert.Throws<ArgumentException>(() => new GgufWriter().AddTensor("t", GgmlType.F32, [1, 1, 1, 1, 1], new byte[4]));
        Assert.Throws<ArgumentException>(() => new GgufWriter().AddTensor("t", GgmlType.Q8_0, [16], new byte[17]));
        Assert.Throws<ArgumentException>(() => new GgufWriter().AddTensor("t", GgmlType.I2_S, [64, 2], new byte[64]));
        Assert.Throws<ArgumentException>(() => new GgufWriter().AddTensor("t", GgmlType.F32, [2], new byte[7]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GgufWriter().AddTensor("t", (GgmlType)3, [32], new byte[20]));
    }

    [Fact]
    public void A_tensor_of_2_GiB_or_more_is_refused_as_a_span_but_the_file_opens()
    {
        // 2^29 F32 elements = 2^31 bytes > int.MaxValue. The file is sparse, so this costs no disk.
        const ulong elements = 1UL << 29;
        byte[] header = RawGguf.Header(tensors: 1, keyValues: 0).Tensor("huge", [elements], type: 0, offset: 0).PadTo(32).ToArray();
        string path = Folder.File("huge.gguf");
        using (var stream = new FileStream(path, FileMode.Create))
        {
            stream.Write(header);
            stream.SetLength(header.Length + (long)elements * 4);
        }

        using GgufFile file = GgufFile.Open(path);
        GgufTensorInfo tensor = file.GetTensor("huge");
        Assert.Equal(1L << 31, tensor.ByteSize);
        var e = Assert.Throws<BitNativeFormatException>(() => file.GetTensorData(tensor).Length);
        Assert.Contains("2 GiB", e.Message);
        Assert.Contains("huge", e.Message);
    }

    [Fact]
    public void Spans_are_refused_after_dispose_and_foreign_infos_are_refused()
    {
        string path = Folder.File("d.gguf");
        new GgufWriter().AddTensor("t", GgmlType.F32, [1], new byte[4]).WriteTo(path);
        GgufFile file = GgufFile.Open(path);
        GgufTensorInfo tensor = file.Tensors[0];
        using (GgufFile other = GgufFile.Open(path))
        {
            Assert.Throws<ArgumentException>(() => other.GetTensorData(tensor).Length);
        }

        file.Dispose();
        file.Dispose();
        Assert.Throws<ObjectDisposedException>(() => file.GetTensorData(tensor).Length);
    }

    internal static byte[] RandomBytes(int count, int seed)
    {
        var bytes = new byte[count];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
