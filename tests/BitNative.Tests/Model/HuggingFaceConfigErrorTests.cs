using BitNative.Authoring.Safetensors;
using System.Text.Json.Nodes;
using BitNative.Formats.Safetensors;
using BitNative.Tests.Formats;
using Xunit;

namespace BitNative.Tests.Model;

/// <summary>
/// Checkpoints whose config transformers would reject, read differently across its releases, or run as another model
/// than its tensors describe, and configs this engine does not implement: each fails to load with one line that names
/// the key or tensor at fault, instead of loading as a guess.
/// </summary>
public sealed class HuggingFaceConfigErrorTests : TempFolderTests
{
    private static readonly HfCheckpointSpec Packed = new("bitnet", "autobitlinear", "offline", true, false, HfWeights.Packed);
    private static readonly HfCheckpointSpec Online = new("bitnet", "autobitlinear", "online", true, false, HfWeights.FloatContinuous);
    private const string Q = "model.layers.0.self_attn.q_proj";

    private static JsonObject Quant(JsonObject config) => config["quantization_config"]!.AsObject();

    private static readonly Dictionary<string, (HfCheckpointSpec Spec, Action<JsonObject>? Config, Action<IDictionary<string, HfTensor>>? Tensors, string Expected)> Cases = new()
    {
        ["unknown linear_class"] = (Packed, c => Quant(c)["linear_class"] = "bitlinear158", null, "quantization_config.linear_class 'bitlinear158' is not supported"),
        ["unknown quantization_mode"] = (Packed, c => Quant(c)["quantization_mode"] = "dynamic", null, "quantization_config.quantization_mode 'dynamic' is not supported"),
        ["other quant_method"] = (Packed, c => Quant(c)["quant_method"] = "gptq", null, "quantization_config.quant_method 'gptq' is not supported"),
        ["no quant_method"] = (Packed, c => Quant(c).Remove("quant_method"), null, "quantization_config.quant_method is missing"),
        ["use_rms_norm not a bool"] = (Packed, c => Quant(c)["use_rms_norm"] = "yes", null, "quantization_config.use_rms_norm is the string 'yes', expected true or false"),
        ["modules_to_not_convert not a list"] = (Packed, c => Quant(c)["modules_to_not_convert"] = "lm_head", null, "quantization_config.modules_to_not_convert is the string 'lm_head'"),
        ["entry read differently across releases"] = (Packed, c => Quant(c)["modules_to_not_convert"] = new JsonArray("self_attn"), null, "modules_to_not_convert entry 'self_attn' does not skip model.layers.0.self_attn.q_proj in current transformers but skips it in earlier releases"),
        ["entry not a regular expression"] = (Packed, c => Quant(c)["modules_to_not_convert"] = new JsonArray("q_proj("), null, "entry 'q_proj(' is not a regular expression"),
        ["unknown hidden_act"] = (Packed, c => c["hidden_act"] = "gelu", null, "hidden_act 'gelu' is not supported"),
        ["unknown model_type"] = (Packed, c => c["model_type"] = "mistral", null, "model_type 'mistral' is not supported"),
        ["rope scaling"] = (Packed, c => c["rope_scaling"] = new JsonObject { ["rope_type"] = "llama3", ["factor"] = 8.0 }, null, "rope_scaling.rope_type 'llama3' is not supported"),
        ["attention bias"] = (Packed, c => c["attention_bias"] = true, null, "attention_bias is true"),
        ["tie_word_embeddings not a bool"] = (Packed, c => c["tie_word_embeddings"] = "false", null, "tie_word_embeddings is the string 'false'"),
        ["untied without lm_head"] = (Packed with { Tie = false }, null, t => t.Remove("lm_head.weight"), "tensor lm_head.weight is missing; config.json does not tie the output head"),
        ["tie absent (false) without lm_head"] = (Packed with { Tie = null }, null, t => t.Remove("lm_head.weight"), "tensor lm_head.weight is missing"),
        ["tied with another lm_head"] = (Packed, null, t => t["lm_head.weight"] = HfCheckpointWriter.Bf16([HfCheckpointWriter.Vocab, HfCheckpointWriter.Hidden], new float[HfCheckpointWriter.Vocab * HfCheckpointWriter.Hidden]), "(tie_word_embeddings true), but lm_head.weight holds other values"),
        ["bitlinear over float weights"] = (new("bitnet", "bitlinear", "offline", true, false, HfWeights.FloatTernary), null, null, $"{Q}.weight is BF16, but quantization_config.linear_class bitlinear reads packed uint8 weights"),
        ["online over packed weights"] = (Packed with { Mode = "online" }, null, null, $"{Q}.weight is packed uint8, but quantization_config.quantization_mode online quantizes master weights"),
        ["online with a weight_scale"] = (Online, null, t => t[Q + ".weight_scale"] = HfCheckpointWriter.Bf16([1], [0.5f]), $"{Q}.weight_scale is present, but quantization_config.quantization_mode online"),
        ["offline without weight_scale"] = (Packed, null, t => t.Remove(Q + ".weight_scale"), $"tensor {Q}.weight_scale is missing"),
        ["bitlinear dividing by zero"] = (Packed with { LinearClass = "bitlinear" }, null, t => t[Q + ".weight_scale"] = HfCheckpointWriter.Bf16([1], [0f]), $"{Q}.weight_scale is 0"),
        ["use_rms_norm without its weights"] = (Online with { UseRmsNorm = true }, null, t => t.Remove(Q + ".rms_norm.weight"), $"tensor {Q}.rms_norm.weight is missing; quantization_config.use_rms_norm"),
        ["packed without quantization_config"] = (Packed, c => c.Remove("quantization_config"), null, "is packed uint8, but config.json has no quantization_config"),
        ["packed module kept full precision"] = (Packed, c => Quant(c)["modules_to_not_convert"] = new JsonArray(Q), null, $"modules_to_not_convert keeps {Q} a full-precision nn.Linear"),
        ["packed code 3"] = (Packed, null, t => t[Q + ".weight"].Data[0] = 0xFF, "holds code 3"),
        ["llama with sub-norms"] = (Packed with { ModelType = "llama" }, null, t => t["model.layers.0.self_attn.attn_sub_norm.weight"] = HfCheckpointWriter.Bf16([HfCheckpointWriter.Hidden], new float[HfCheckpointWriter.Hidden]), "model_type llama has no sub-norms"),
    };

    public static TheoryData<string> Names
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (string name in Cases.Keys)
            {
                data.Add(name);
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void LoadFailsWithOneLineNamingTheProblem(string name)
    {
        var (spec, config, tensors, expected) = Cases[name];
        string dir = HfCheckpointWriter.Write(Folder.File("hf"), spec, seed: 3, config, tensors);
        Exception e = Assert.ThrowsAny<Exception>(() => BitNetModel.Load(dir).Dispose());
        Assert.IsNotType<NullReferenceException>(e);
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    /// <summary>Strings the JSON parser accepts but cannot read as text (found by fuzzing, fuzz/regressions/config).</summary>
    [Theory]
    [InlineData(new byte[] { 0x7B, 0x22, 0x6D, 0x6F, 0x64, 0x65, 0x6C, 0x5F, 0x74, 0x79, 0x70, 0x65, 0x22, 0x3A, 0x22, 0x62, 0xFF, 0x22, 0x7D }, "model_type")]
    [InlineData(new byte[] { 0x7B, 0x22, 0x61, 0x22, 0x3A, 0x5B, 0x22, 0x5C, 0x75, 0x64, 0x38, 0x30, 0x30, 0x22, 0x5D, 0x7D }, "a[0]")] // {"a":["\ud800"]}
    [InlineData(new byte[] { 0x22, 0x6D, 0x9B, 0x22 }, "the top level")] // a JSON string, not an object, and not UTF-8 either
    public void StringsThatAreNotUnicodeAreFormatErrors(byte[] json, string at)
    {
        string path = Path.Combine(Folder.Path, "config.json");
        File.WriteAllBytes(path, json);
        var e = Assert.Throws<InvalidDataException>(() => BitNative.Model.HuggingFaceConfig.Read(path));
        Assert.Contains($"the string at {at} is not valid Unicode text", e.Message);
    }

    [Fact]
    public void MissingConfigIsAClearError()
    {
        string dir = Path.Combine(Folder.Path, "empty");
        Directory.CreateDirectory(dir);
        new SafetensorsWriter().AddTensor("x", SafetensorsDType.F32, [1], new byte[4]).WriteTo(Path.Combine(dir, "model.safetensors"));
        var e = Assert.ThrowsAny<Exception>(() => BitNetModel.Load(dir));
        Assert.Contains("config.json", e.Message);
    }
}
