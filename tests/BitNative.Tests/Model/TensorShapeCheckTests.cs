using BitNative.Formats.Gguf;
using BitNative.Authoring.Gguf;
using BitNative.Authoring.Synthetic;
using BitNative.Tests.Formats;
using Xunit;

namespace BitNative.Tests.Model;

/// <summary>
/// A tensor whose shape is not the architecture's (transposed, wrong rank, wrong size) fails the load with one line naming
/// the tensor and both shapes, in GGUF files and in Hugging Face checkpoints alike: same element count is not enough.
/// </summary>
public sealed class TensorShapeCheckTests : TempFolderTests
{
    private static readonly HfCheckpointSpec Online = new("bitnet", "autobitlinear", "online", true, false, HfWeights.FloatContinuous);
    private const string Q = "model.layers.0.self_attn.q_proj.weight";

    public static TheoryData<string, string> SafetensorsCases => new()
    {
        { "transposed embedding", $"tensor model.embed_tokens.weight has shape [{HfCheckpointWriter.Hidden}, {HfCheckpointWriter.Vocab}], but the hyperparameters need [{HfCheckpointWriter.Vocab}, {HfCheckpointWriter.Hidden}] (it is stored transposed)" },
        { "rank-1 projection", $"tensor {Q} has shape [{Projection.Out * Projection.In}], but the hyperparameters need [{Projection.Out}, {Projection.In}]" },
        { "norm of another size", $"tensor model.norm.weight has shape [{HfCheckpointWriter.Hidden / 2}], but the hyperparameters need [{HfCheckpointWriter.Hidden}]" },
    };

    private static (int Out, int In) Projection => HfCheckpointWriter.Shape("self_attn.q_proj");

    [Theory]
    [MemberData(nameof(SafetensorsCases))]
    public void SafetensorsTensorOfTheWrongShapeIsAnErrorNamingBothShapes(string name, string expected)
    {
        string dir = HfCheckpointWriter.Write(Folder.File("hf"), Online, seed: 5, editTensors: t =>
        {
            switch (name)
            {
                case "transposed embedding":
                    t["model.embed_tokens.weight"] = t["model.embed_tokens.weight"] with { Shape = [HfCheckpointWriter.Hidden, HfCheckpointWriter.Vocab] };
                    break;
                case "rank-1 projection":
                    t[Q] = t[Q] with { Shape = [Projection.Out * Projection.In] };
                    break;
                case "norm of another size":
                    HfTensor norm = t["model.norm.weight"];
                    t["model.norm.weight"] = norm with { Shape = [HfCheckpointWriter.Hidden / 2], Data = norm.Data[..(norm.Data.Length / 2)] };
                    break;
            }
        });
        var e = Assert.Throws<InvalidDataException>(() => BitNetModel.Load(dir).Dispose());
        Assert.Contains(expected, e.Message);
    }

    public static TheoryData<string> GgufCases => ["transposed embedding", "rank-1 projection", "norm of another size"];

    [Theory]
    [MemberData(nameof(GgufCases))]
    public void GgufTensorOfTheWrongShapeIsAnErrorNamingBothShapes(string name)
    {
        string good = Folder.File("good.gguf");
        SyntheticModelWriter.Write(SyntheticModelSpec.Parse("tiny", SyntheticWeights.I2S, SyntheticHead.F16, "bitnet-b1.58", 5, null), good);
        (string tensor, Func<long[], long[]> reshape, string expected) = name switch
        {
            "transposed embedding" => ("token_embd.weight", new Func<long[], long[]>(d => [d[1], d[0]]), "(it is stored transposed)"),
            "rank-1 projection" => ("blk.0.attn_q.weight", d => [d[0] * d[1]], "but the hyperparameters need [256, 256]"),
            _ => ("output_norm.weight", d => [d[0] / 2], "but the hyperparameters need [256]"),
        };
        string bad = Rewrite(good, Folder.File("bad.gguf"), tensor, reshape);
        var e = Assert.Throws<InvalidDataException>(() => BitNetModel.Load(bad, new ModelOptions { Threads = 1 }).Dispose());
        Assert.Contains($"tensor {tensor} has shape [", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    /// <summary>Copies a GGUF file with one tensor's dimensions changed (its data cut to the new size).</summary>
    private static string Rewrite(string source, string target, string tensor, Func<long[], long[]> reshape)
    {
        using GgufFile file = GgufFile.Open(source);
        var writer = new GgufWriter();
        foreach ((string key, GgufValue value) in file.Metadata)
        {
            if (key != "general.alignment")
            {
                writer.Add(key, value);
            }
        }

        foreach (GgufTensorInfo t in file.Tensors)
        {
            long[] dims = t.Dimensions.ToArray();
            byte[] data = file.GetTensorData(t).ToArray();
            if (t.Name == tensor)
            {
                long[] shaped = reshape(dims);
                data = data[..(int)(data.Length * shaped.Aggregate(1L, (a, b) => a * b) / t.ElementCount)];
                dims = shaped;
            }

            writer.AddTensor(t.Name, t.Type, dims, data);
        }

        writer.WriteTo(target);
        return target;
    }
}
