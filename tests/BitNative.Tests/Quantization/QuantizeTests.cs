using BitNative.Authoring.Synthetic;
using BitNative.Authoring.Quantization;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using BitNative.Formats.Gguf;
using BitNative.Formats.Safetensors;
using BitNative.Model;
using BitNative.Tests.Cli;
using BitNative.Tests.Formats;
using BitNative.Tests.Model;
using Xunit;

namespace BitNative.Tests.Quantization;

/// <summary>
/// <c>bitnative quantize</c> end to end on Hugging Face folders written by the tests (float llama and BitNet models,
/// sharded, BF16 or FP8): every type quantizes, loads and runs, close to the source by as much as its bits allow;
/// LLM.int8()'s decomposition keeps injected outlier features that plain absmax int8 loses; an FP8 checkpoint reads as
/// its dequantized values; and a run killed midway leaves no output file and resumes.
/// </summary>
public sealed class QuantizeTests(ITestOutputHelper output) : TempFolderTests
{
    private const int Positions = 40;

    private static HfCheckpointSpec FloatModel(string modelType) =>
        new(modelType, null, null, Tie: modelType == "bitnet", ScaleAboveOne: false, HfWeights.FloatContinuous, Sharded: true,
            NoQuantizationConfig: true);

    /// <summary>Every type, the smallest cosine its logits keep against the source's (random weights: bits show plainly).</summary>
    public static TheoryData<string, string, double> Types => new()
    {
        { "llama", "f16", 0.9999 }, { "llama", "bf16", 0.999 }, { "llama", "f8", 0.99 }, { "llama", "q8_0", 0.995 },
        { "llama", "int8-outlier", 0.995 }, { "llama", "q4_0", 0.9 }, { "llama", "q4_k", 0.9 }, { "llama", "tq2_0", 0 },
        { "llama", "tq1_0", 0 }, { "llama", "i2_s", 0 }, { "llama", "q2_0", 0.5 }, { "llama", "binary", 0 },
        { "llama", "binary-onebit", 0 },
        { "bitnet", "f16", 0.9999 }, { "bitnet", "q8_0", 0.995 }, { "bitnet", "int8-outlier", 0.995 }, { "bitnet", "q4_k", 0.9 },
        { "bitnet", "i2_s", 0 }, { "bitnet", "binary", 0 }, { "bitnet", "binary-onebit", 0 },
    };

    [Theory]
    [MemberData(nameof(Types))]
    public void EveryTypeRoundTripsFromAHuggingFaceFolder(string modelType, string type, double minCosine)
    {
        string hf = HfCheckpointWriter.Write(Folder.File("hf"), FloatModel(modelType), seed: 7);
        string gguf = Folder.File($"{type}.gguf");
        QuantizeReport report = Quantize(hf, gguf, type);
        Assert.False(File.Exists(gguf + ".partial"));

        int[] tokens = Tokens();
        float[][] source = Run(hf, tokens), quantized = Run(gguf, tokens);
        double sourcePpl = Perplexity(source, tokens), ppl = Perplexity(quantized, tokens);
        LogitAgreement agreement = LogitAgreement.Of(source, quantized);
        output.WriteLine($"{modelType} {type}: {report.ProjectionBitsPerWeight:F3} bits per projection weight, {report.FileBytes} bytes; " +
                         $"PPL {ppl:F3} (source {sourcePpl:F3}); {agreement}");
        Assert.True(double.IsFinite(ppl) && ppl > 1, $"{type}: perplexity {ppl}");
        Assert.True(agreement.MinCosine >= minCosine, $"{modelType} {type}: {agreement}");
        if (type == "f16")
        {
            // the same weights: a llama file's permuted Q/K rows under interleaved RoPE give the HF rotate-half result
            Assert.True(Math.Abs(ppl / sourcePpl - 1) < 1e-3, $"f16 PPL {ppl} vs the source's {sourcePpl}");
        }

        using GgufFile file = GgufFile.Open(gguf);
        Assert.Equal(type, file.Metadata.GetString(SourceModel.QuantizationKey));
        Assert.Equal(modelType == "llama" ? "llama" : "bitnet-b1.58", file.Metadata.GetString("general.architecture"));
        double bits = type switch
        {
            "f16" or "bf16" => 16, "f8" or "q8_0" => 8.5, "q4_0" or "q4_k" => 4.5, "tq2_0" => 2.0625, "tq1_0" => 1.6875,
            "q2_0" => 2.25, _ => double.NaN,
        };
        if (double.IsFinite(bits))
        {
            Assert.Equal(bits, report.ProjectionBitsPerWeight, 3);
        }
    }

    /// <summary>
    /// OneBit's decomposition is exact for weights that are sign ⊙ a bᵀ: a projection stored so runs as the float one (up to
    /// the fp16 rounding of a), which checks the input scale's path through the engine.
    /// </summary>
    [Fact]
    public void OneBitIsExactForSignTimesRankOneWeights()
    {
        var rng = new Random(11);
        string hf = HfCheckpointWriter.Write(Folder.File("hf"), FloatModel("llama"), seed: 3, editTensors: tensors =>
        {
            foreach (string name in tensors.Keys.Where(n => n.Contains("_proj.")).ToList())
            {
                long[] shape = tensors[name].Shape;
                int rows = (int)shape[0], columns = (int)shape[1];
                float[] a = Enumerable.Range(0, rows).Select(_ => MathF.ScaleB(1f, rng.Next(-9, -5))).ToArray();
                float[] b = Enumerable.Range(0, columns).Select(_ => MathF.ScaleB(1f, rng.Next(-1, 2))).ToArray();
                var w = new float[rows * columns];
                for (int i = 0; i < w.Length; i++)
                {
                    w[i] = (rng.Next(2) == 0 ? -1 : 1) * a[i / columns] * b[i % columns];
                }

                tensors[name] = HfCheckpointWriter.Bf16(shape, w);
            }
        });
        string gguf = Folder.File("onebit.gguf");
        Quantize(hf, gguf, "binary-onebit");
        int[] tokens = Tokens();
        LogitAgreement agreement = LogitAgreement.Of(Run(hf, tokens), Run(gguf, tokens));
        output.WriteLine($"sign x rank-1 weights as OneBit: {agreement}");
        Assert.True(agreement.Meets(0.999, 0.9), agreement.ToString());
    }

    /// <summary>
    /// LLM.int8() on injected outlier features (a few hidden dimensions of every Q/K/V and gate/up input scaled by 20
    /// through the norms, the columns that read them divided by 20: the same float function): the decomposition keeps the
    /// logits of the fp16 file, plain absmax int8 (Q8_0 over per-token int8 rows) does not.
    /// </summary>
    [Fact]
    public void OutlierDecompositionKeepsWhatAbsmaxInt8Loses()
    {
        int[] dims = [17, 101, 180, 230];
        string hf = HfCheckpointWriter.Write(Folder.File("hf"), FloatModel("llama"), seed: 5, editTensors: tensors =>
        {
            foreach (string name in tensors.Keys.ToList())
            {
                bool norm = name.EndsWith("input_layernorm.weight") || name.EndsWith("post_attention_layernorm.weight");
                bool reads = name.EndsWith("q_proj.weight") || name.EndsWith("k_proj.weight") || name.EndsWith("v_proj.weight")
                             || name.EndsWith("gate_proj.weight") || name.EndsWith("up_proj.weight");
                if (!norm && !reads)
                {
                    continue;
                }

                float[] v = Bf16Values(tensors[name]);
                int columns = (int)tensors[name].Shape[^1];
                for (int i = 0; i < v.Length; i++)
                {
                    if (dims.Contains(i % columns))
                    {
                        v[i] = norm ? v[i] * 20 : v[i] / 20;
                    }
                }

                tensors[name] = HfCheckpointWriter.Bf16(tensors[name].Shape, v);
            }
        });
        int[] tokens = Tokens();
        float[][] Logits(string type)
        {
            string gguf = Folder.File($"{type}.gguf");
            Quantize(hf, gguf, type);
            return Run(gguf, tokens);
        }

        float[][] f16 = Logits("f16");
        double absmax = MeanKl(f16, Logits("q8_0")), outlier = MeanKl(f16, Logits("int8-outlier"));
        output.WriteLine($"KL to the fp16 file: absmax int8 {absmax:E3}, int8 with fp16 outliers {outlier:E3}");
        Assert.True(outlier * 10 < absmax, $"outlier decomposition KL {outlier:E3} vs absmax int8 {absmax:E3}");
    }

    /// <summary>
    /// An FP8 checkpoint (transformers' fp8: E4M3 weights, one weight_scale_inv per 128 x 128 block) quantizes exactly as
    /// the same weights stored as their float values; the engine itself refuses to run it unconverted.
    /// </summary>
    [Fact]
    public void Fp8CheckpointReadsAsItsDequantizedValues()
    {
        var dequantized = new Dictionary<string, float[]>();
        string fp8 = HfCheckpointWriter.Write(Folder.File("fp8"), FloatModel("llama"), seed: 9,
            editConfig: c => c["quantization_config"] = new JsonObject
            {
                ["quant_method"] = "fp8",
                ["weight_block_size"] = new JsonArray(128, 128),
            },
            editTensors: tensors =>
            {
                foreach (string name in tensors.Keys.Where(n => n.Contains("_proj.")).ToList())
                {
                    int rows = (int)tensors[name].Shape[0], columns = (int)tensors[name].Shape[1];
                    float[] w = Bf16Values(tensors[name]);
                    int br = (rows + 127) / 128, bc = (columns + 127) / 128;
                    var scales = new float[br * bc];
                    var codes = new byte[w.Length];
                    var values = new float[w.Length];
                    for (int b = 0; b < scales.Length; b++)
                    {
                        int r0 = b / bc * 128, c0 = b % bc * 128;
                        float amax = 0;
                        for (int r = r0; r < Math.Min(rows, r0 + 128); r++)
                        {
                            for (int c = c0; c < Math.Min(columns, c0 + 128); c++)
                            {
                                amax = MathF.Max(amax, MathF.Abs(w[r * columns + c]));
                            }
                        }

                        scales[b] = amax / 448f;
                        for (int r = r0; r < Math.Min(rows, r0 + 128); r++)
                        {
                            for (int c = c0; c < Math.Min(columns, c0 + 128); c++)
                            {
                                codes[r * columns + c] = WeightEncoding.E4M3(w[r * columns + c] / scales[b]);
                                values[r * columns + c] = WeightEncoding.E4M3Value(codes[r * columns + c]) * scales[b];
                            }
                        }
                    }

                    tensors[name] = new HfTensor(SafetensorsDType.F8_E4M3, tensors[name].Shape, codes);
                    tensors[name + "_scale_inv"] = new HfTensor(SafetensorsDType.F32, [br, bc], MemoryMarshal.AsBytes(scales.AsSpan()).ToArray());
                    dequantized[name] = values;
                }
            });
        string floats = HfCheckpointWriter.Write(Folder.File("f32"), FloatModel("llama"), seed: 9, editTensors: tensors =>
        {
            foreach ((string name, float[] values) in dequantized)
            {
                tensors[name] = new HfTensor(SafetensorsDType.F32, tensors[name].Shape, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
            }
        });
        Quantize(fp8, Folder.File("fp8.gguf"), "f16");
        Quantize(floats, Folder.File("f32.gguf"), "f16");
        using (GgufFile a = GgufFile.Open(Folder.File("fp8.gguf")), b = GgufFile.Open(Folder.File("f32.gguf")))
        {
            Assert.Equal(b.Tensors.Count, a.Tensors.Count);
            foreach (GgufTensorInfo t in a.Tensors)
            {
                Assert.True(a.GetTensorData(t).SequenceEqual(b.GetTensorData(t.Name)), $"{t.Name} differs");
            }
        }

        Assert.Contains("bitnative quantize", Assert.Throws<InvalidDataException>(() => BitNetModel.Load(fp8)).Message);
    }

    /// <summary>
    /// The process killed midway (after some tensors, slowed by the test hook) leaves OUT.partial and no OUT; the same
    /// command then resumes at the next tensor and writes the bytes an uninterrupted run writes.
    /// </summary>
    [Fact]
    public void KilledMidwayLeavesNoOutputAndResumes()
    {
        string hf = HfCheckpointWriter.Write(Folder.File("hf"), FloatModel("llama"), seed: 13);
        string target = Folder.File("out.gguf"), progress = target + ".partial.progress";
        string[] args = ["quantize", hf, target, "--type", "q4_k", "-t", "1"];
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "BitNative.Cli.dll"));
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment[ModelQuantizer.TensorDelayVariable] = "200";
        using (Process process = Process.Start(info)!)
        {
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var clock = Stopwatch.StartNew();
            while (Done(progress) < 3)
            {
                Assert.False(process.HasExited, "the quantizer finished before it could be killed");
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), "no progress in 60 s");
                Thread.Sleep(20);
            }

            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }

        Assert.False(File.Exists(target), "a killed run left OUT behind");
        Assert.True(File.Exists(target + ".partial"));
        int done = Done(progress);

        var resumed = CliRunner.Run(args);
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.Contains($"resumed at tensor {done + 1}", resumed.Stderr);
        Assert.Contains("before", resumed.Stderr);
        Assert.Contains("x 1.25", resumed.Stderr);
        Assert.False(File.Exists(target + ".partial") || File.Exists(progress));

        string fresh = Folder.File("fresh.gguf");
        Assert.Equal(0, CliRunner.Run("quantize", hf, fresh, "--type", "q4_k", "-t", "1").ExitCode);
        Assert.True(File.ReadAllBytes(fresh).AsSpan().SequenceEqual(File.ReadAllBytes(target)), "the resumed file differs from a fresh one");
    }

    [Fact]
    public void BadArgumentsAreClearErrors()
    {
        string hf = HfCheckpointWriter.Write(Folder.File("hf"), FloatModel("llama"), seed: 1);
        var noCalibration = CliRunner.Run("quantize", hf, Folder.File("x.gguf"), "--type", "int8-outlier");
        Assert.Equal(2, noCalibration.ExitCode);
        Assert.Contains("--calibration", noCalibration.Stderr);
        var badType = CliRunner.Run("quantize", hf, Folder.File("x.gguf"), "--type", "q3_k");
        Assert.Equal(2, badType.ExitCode);
        Assert.Contains("int8-outlier", badType.Stderr);
        string ternary = Folder.File("ternary.gguf");
        SyntheticModelWriter.Write(SyntheticModelSpec.Parse("tiny", SyntheticWeights.I2S, SyntheticHead.F16, "bitnet-b1.58", 1, null), ternary);
        var quantized = CliRunner.Run("quantize", ternary, Folder.File("x.gguf"), "--type", "q8_0");
        Assert.Equal(1, quantized.ExitCode);
        Assert.Contains("I2_S", quantized.Stderr);
        Assert.False(File.Exists(Folder.File("x.gguf")));
    }

    private QuantizeReport Quantize(string input, string target, string type)
    {
        bool oneBit = type == "binary-onebit";
        var options = new QuantizeOptions
        {
            Type = QuantizationTypes.Parse(oneBit ? "binary" : type, oneBit),
            CalibrationText = type is "int8-outlier" or "binary" ? SyntheticText.Sample : null,
            Threads = 2,
        };
        return ModelQuantizer.Run(input, target, options);
    }

    private static int Done(string progress)
    {
        try
        {
            string[] lines = File.ReadAllLines(progress);
            return lines.Length == 2 ? int.Parse(lines[1]) : 0;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static float[] Bf16Values(HfTensor t)
    {
        ReadOnlySpan<ushort> h = MemoryMarshal.Cast<byte, ushort>(t.Data);
        return h.ToArray().Select(v => BitConverter.UInt32BitsToSingle((uint)v << 16)).ToArray();
    }

    /// <summary>The first tokens of the text the test tokenizer was trained on.</summary>
    private static int[] Tokens()
    {
        int[] text = BitNative.Tokenization.ByteLevelBpeTokenizer.Create(HfCheckpointWriter.Tokenizer).Encode(SyntheticText.Sample, addBos: false);
        return text[..Math.Min(Positions, text.Length)];
    }

    private static float[][] Run(string path, int[] tokens) => LogitAgreement.EngineLogits(path, tokens);

    /// <summary>Perplexity of predicting token t + 1 from the logits at t.</summary>
    private static double Perplexity(float[][] logits, int[] tokens)
    {
        double nll = 0;
        for (int t = 0; t + 1 < tokens.Length; t++)
        {
            double max = logits[t].Max(), sum = logits[t].Sum(v => Math.Exp(v - max));
            nll -= logits[t][tokens[t + 1]] - max - Math.Log(sum);
        }

        return Math.Exp(nll / (tokens.Length - 1));
    }

    private static double MeanKl(float[][] p, float[][] q) => p.Zip(q, GgufModelTests.KullbackLeibler).Average();
}
