using BitNative.Authoring.Safetensors;
using System.Text;
using BitNative.Formats;
using BitNative.Formats.Safetensors;
using Xunit;

namespace BitNative.Tests.Formats;

public sealed class SafetensorsTests : TempFolderTests
{
    private static readonly (string Name, SafetensorsDType DType, long[] Shape)[] Tensors =
    [
        ("model.embed_tokens.weight", SafetensorsDType.BF16, [6, 4]),
        ("model.norm.weight", SafetensorsDType.F32, [4]),
        ("model.layers.0.self_attn.q_proj.weight", SafetensorsDType.U8, [1, 4]),
        ("model.layers.0.self_attn.q_proj.weight_scale", SafetensorsDType.F32, []),
        ("half", SafetensorsDType.F16, [3, 1]),
        ("int8", SafetensorsDType.I8, [5]),
        ("int32", SafetensorsDType.I32, [2]),
        ("int64", SafetensorsDType.I64, [2]),
        ("double", SafetensorsDType.F64, [1]),
        ("flags", SafetensorsDType.BOOL, [3]),
        ("empty", SafetensorsDType.F32, [0, 4]),
    ];

    [Fact]
    public void Single_file_round_trip_keeps_metadata_shapes_and_bytes()
    {
        var writer = new SafetensorsWriter().AddMetadata("format", "pt").AddMetadata("note", "ünïcode");
        var data = new Dictionary<string, byte[]>();
        int seed = 0;
        foreach ((string name, SafetensorsDType dtype, long[] shape) in Tensors)
        {
            byte[] bytes = GgufRoundTripTests.RandomBytes((int)SafetensorsWriter.GetTensorByteSize(dtype, shape), seed++);
            if (dtype == SafetensorsDType.BOOL)
            {
                bytes = [1, 0, 1];
            }

            data[name] = bytes;
            // Half via callback to cover the streaming path.
            if (seed % 2 == 0)
            {
                writer.AddTensor(name, dtype, shape, s => s.Write(bytes));
            }
            else
            {
                writer.AddTensor(name, dtype, shape, bytes);
            }
        }

        string path = Folder.File("model.safetensors");
        writer.WriteTo(path);
        Assert.Equal(0, (new FileInfo(path).Length - data.Values.Sum(b => b.Length)) % 8);

        using SafetensorsFile file = SafetensorsFile.Open(path);
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.Equal("ünïcode", file.Metadata["note"]);
        Assert.Equal(0, file.DataOffset % 8);
        Assert.Equal(Tensors.Length, file.Tensors.Count);
        foreach ((string name, SafetensorsDType dtype, long[] shape) in Tensors)
        {
            SafetensorsTensorInfo tensor = file.GetTensor(name);
            Assert.Equal(dtype, tensor.DType);
            Assert.Equal(shape, tensor.Shape);
            Assert.Equal(shape.Aggregate(1L, (a, d) => a * d), tensor.ElementCount);
            Assert.True(file.GetTensorData(name).SequenceEqual(data[name]), name);
        }

        Assert.Contains("'nope' is missing", Assert.Throws<BitNativeFormatException>(() => file.GetTensor("nope")).Message);
    }

    [Fact]
    public void Sharded_checkpoint_resolves_tensors_across_shards()
    {
        byte[] a = GgufRoundTripTests.RandomBytes(24, 1), b = GgufRoundTripTests.RandomBytes(16, 2), c = GgufRoundTripTests.RandomBytes(8, 3);
        new SafetensorsWriter().AddMetadata("format", "pt")
            .AddTensor("model.embed_tokens.weight", SafetensorsDType.F32, [3, 2], a)
            .WriteTo(Folder.File("model-00001-of-00002.safetensors"));
        new SafetensorsWriter()
            .AddTensor("model.norm.weight", SafetensorsDType.BF16, [8], b)
            .AddTensor("lm_head.weight", SafetensorsDType.U8, [2, 4], c)
            .WriteTo(Folder.File("model-00002-of-00002.safetensors"));
        WriteIndex(("model.embed_tokens.weight", "model-00001-of-00002.safetensors"),
            ("model.norm.weight", "model-00002-of-00002.safetensors"),
            ("lm_head.weight", "model-00002-of-00002.safetensors"));

        foreach (string path in new[] { Folder.Path, Folder.File(SafetensorsCheckpoint.IndexFileName) })
        {
            using SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.Open(path);
            Assert.Equal(2, checkpoint.Files.Count);
            Assert.Equal(3, checkpoint.Tensors.Count);
            Assert.True(checkpoint.GetTensorData("model.embed_tokens.weight").SequenceEqual(a));
            Assert.True(checkpoint.GetTensorData("model.norm.weight").SequenceEqual(b));
            Assert.True(checkpoint.GetTensorData(checkpoint.GetTensor("lm_head.weight")).SequenceEqual(c));
            Assert.Equal(SafetensorsDType.BF16, checkpoint.GetTensor("model.norm.weight").DType);
            Assert.Equal("pt", checkpoint.Files[0].Metadata["format"]);
            Assert.False(checkpoint.TryGetTensor("missing", out _));
        }
    }

    [Fact]
    public void Single_file_checkpoint_opens_from_file_or_folder()
    {
        new SafetensorsWriter().AddTensor("w", SafetensorsDType.I8, [2], [1, 255]).WriteTo(Folder.File(SafetensorsCheckpoint.SingleFileName));
        using (var fromFolder = SafetensorsCheckpoint.Open(Folder.Path))
        {
            Assert.Equal([1, 255], fromFolder.GetTensorData("w").ToArray());
        }

        using var fromFile = SafetensorsCheckpoint.Open(Folder.File(SafetensorsCheckpoint.SingleFileName));
        Assert.Single(fromFile.Files);
        using var empty = new TempFolder();
        Assert.Throws<FileNotFoundException>(() => SafetensorsCheckpoint.Open(empty.Path));
    }

    public static TheoryData<string, string> IndexDefects => new()
    {
        { "{\"weight_map\":{\"w\":\"../escape.safetensors\"}}", "not a plain file name" },
        { "{\"weight_map\":{\"w\":\"/etc/passwd\"}}", "not a plain file name" },
        { "{\"weight_map\":{\"w\":\"a.safetensors\",\"w\":\"a.safetensors\"}}", "lists tensor 'w' twice" },
        { "{\"weight_map\":{\"w\":1}}", "must be a file name string" },
        { "{\"weight_map\":{}}", "weight_map is empty" },
        { "{\"metadata\":{}}", "\"weight_map\" object" },
        { "{\"weight_map\":{\"w\":\"a.safetensors\"}", "not valid JSON" },
        { "{\"weight_map\":{\"w\":\"a.safetensors\",\"ghost\":\"a.safetensors\"}}", "puts tensor 'ghost' in 'a.safetensors', which does not contain it" },
        { "{\"weight_map\":{\"v\":\"a.safetensors\"}}", "which does not contain it" },
        { "{\"weight_map\":{\"w\":\"b.safetensors\"}}", "shard 'b.safetensors' has tensor 'extra', which weight_map does not list" },
        { "{\"weight_map\":{\"w\":\"a.safetensors\",\"extra\":\"a.safetensors\"}}", "which does not contain it" },
    };

    [Theory]
    [MemberData(nameof(IndexDefects))]
    public void Index_defects_are_rejected_clearly(string index, string expected)
    {
        new SafetensorsWriter().AddTensor("w", SafetensorsDType.U8, [1], [7]).WriteTo(Folder.File("a.safetensors"));
        new SafetensorsWriter().AddTensor("w", SafetensorsDType.U8, [1], [7]).AddTensor("extra", SafetensorsDType.U8, [1], [8])
            .WriteTo(Folder.File("b.safetensors"));
        string path = Folder.File(SafetensorsCheckpoint.IndexFileName);
        File.WriteAllText(path, index);

        var e = Assert.Throws<BitNativeFormatException>(() => SafetensorsCheckpoint.Open(path).Dispose());
        Assert.Contains(expected, e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void A_shard_with_a_defect_is_named_in_the_error()
    {
        File.WriteAllBytes(Folder.File("a.safetensors"), Encoding.ASCII.GetBytes("garbage!"));
        string path = Folder.File(SafetensorsCheckpoint.IndexFileName);
        File.WriteAllText(path, "{\"weight_map\":{\"w\":\"a.safetensors\"}}");
        var e = Assert.Throws<BitNativeFormatException>(() => SafetensorsCheckpoint.Open(path).Dispose());
        Assert.Contains("a.safetensors", e.Message);
    }

    [Fact]
    public void Writer_refuses_reserved_duplicate_and_mis_sized_tensors()
    {
        Assert.Throws<ArgumentException>(() => new SafetensorsWriter().AddTensor("__x", SafetensorsDType.U8, [1], [1]));
        Assert.Throws<ArgumentException>(() => new SafetensorsWriter().AddTensor("a", SafetensorsDType.U8, [1], [1]).AddTensor("a", SafetensorsDType.U8, [1], [1]));
        Assert.Throws<ArgumentException>(() => new SafetensorsWriter().AddTensor("a", SafetensorsDType.F32, [2], new byte[7]));
        Assert.Throws<ArgumentException>(() => new SafetensorsWriter().AddTensor("a", SafetensorsDType.F32, [-1], []));
        var tooShort = new SafetensorsWriter().AddTensor("a", SafetensorsDType.F32, [2], s => s.Write(new byte[4]));
        Assert.Throws<InvalidOperationException>(() => tooShort.WriteTo(new MemoryStream()));
    }

    private void WriteIndex(params (string Tensor, string Shard)[] map)
    {
        string entries = string.Join(",", map.Select(m => $"\"{m.Tensor}\":\"{m.Shard}\""));
        File.WriteAllText(Folder.File(SafetensorsCheckpoint.IndexFileName), $"{{\"metadata\":{{\"total_size\":48}},\"weight_map\":{{{entries}}}}}");
    }
}
