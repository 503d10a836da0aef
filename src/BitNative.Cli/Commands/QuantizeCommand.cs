using BitNative.Authoring.Quantization;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using BitNative.Formats;
using BitNative.Kernels;

namespace BitNative.Cli.Commands;

/// <summary>
/// <c>bitnative quantize IN OUT --type TYPE</c>: a full-precision model (GGUF F32 / F16 / BF16, or a Hugging Face folder
/// of F32 / F16 / BF16 / FP8 safetensors) to a GGUF whose projections are TYPE, every one of which the engine runs with
/// native kernels (<see cref="ModelQuantizer"/>). Prints the memory rule (parameters × bytes per parameter × 1.25)
/// before and after, a progress line per tensor on stderr; OUT appears only when complete, and an interrupted run
/// resumes where it stopped when started again with the same arguments.
/// </summary>
internal static class QuantizeCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("IN") { Description = "GGUF file (F32 / F16 / BF16) or Hugging Face folder (safetensors)" };
        var output = new Argument<FileInfo>("OUT") { Description = "GGUF file to write" };
        var type = new Option<string>("--type") { Description = string.Join(" | ", QuantizationTypes.CommandLineNames), Required = true };
        var threshold = new Option<float>("--threshold") { Description = "int8-outlier: inputs beyond this magnitude stay fp16 (LLM.int8(): 6.0)", DefaultValueFactory = _ => 6f };
        var calibration = new Option<FileInfo?>("--calibration") { Description = "Text whose activations choose outlier (int8-outlier) or salient (binary) columns" };
        var calibrationTokens = new Option<int>("--calibration-tokens") { Description = "Calibration tokens at most", DefaultValueFactory = _ => 8192 };
        var oneBit = new Option<bool>("--onebit") { Description = "binary: OneBit's sign x rank-1 form instead of BiLLM's residual binarization" };
        var embedding = new Option<string>("--embedding-type") { Description = "Token embedding / output head: f16 | f32 | q8_0 | q6_k | q4_0", DefaultValueFactory = _ => "f16" };
        var threads = new Option<int>("--threads", "-t") { Description = "Threads (default: all logical CPUs)", DefaultValueFactory = _ => 0 };
        var command = new Command("quantize", "Quantize a full-precision model to a GGUF of one weight type");
        command.Arguments.Add(input);
        command.Arguments.Add(output);
        foreach (Option o in new Option[] { type, threshold, calibration, calibrationTokens, oneBit, embedding, threads })
        {
            command.Options.Add(o);
        }

        command.SetAction(r =>
        {
            QuantizationType quantization;
            try
            {
                quantization = QuantizationTypes.Parse(r.GetValue(type)!, r.GetValue(oneBit));
            }
            catch (ArgumentException e)
            {
                throw new CliException(e.Message);
            }

            WeightType embeddingType = r.GetValue(embedding)!.ToLowerInvariant() switch
            {
                "f16" => WeightType.F16,
                "f32" => WeightType.F32,
                "q8_0" => WeightType.Q8_0,
                "q6_k" => WeightType.Q6_K,
                "q4_0" => WeightType.Q4_0,
                var other => throw new CliException($"--embedding-type {other} is not one of f16, f32, q8_0, q6_k, q4_0."),
            };
            string? text = null;
            if (r.GetValue(calibration) is { } file)
            {
                text = InputFile.ReadAllText(file.FullName);
            }

            var options = new QuantizeOptions
            {
                Type = quantization,
                Threshold = r.GetValue(threshold),
                CalibrationText = text,
                CalibrationTokens = r.GetValue(calibrationTokens),
                EmbeddingType = embeddingType,
                Threads = r.GetValue(threads),
            };
            string source = r.GetValue(input)!, target = r.GetValue(output)!.FullName;
            var clock = Stopwatch.StartNew();
            var bar = new ProgressLine(Console.Error);
            QuantizeReport report = ModelQuantizer.Run(source, target, options, bar.Show);
            bar.Finish();
            Console.Error.WriteLine(Inv($"{source}: {report.Source}"));
            Console.Error.WriteLine(Inv(
                $"  before  {report.Parameters / 1e6:F2} M parameters x {report.SourceBitsPerWeight / 8:F3} bytes x 1.25 = {Mb(QuantizeReport.MemoryRule(report.Parameters, report.SourceBytes))} to run ({Mb(report.SourceBytes)} of weights)"));
            Console.Error.WriteLine(Inv(
                $"  after   {report.Parameters / 1e6:F2} M parameters x {report.BitsPerWeight / 8:F3} bytes x 1.25 = {Mb(QuantizeReport.MemoryRule(report.Parameters, report.OutputBytes))} to run ({Mb(report.OutputBytes)} of weights, projections {QuantizationTypes.NameOf(quantization)} at {report.ProjectionBitsPerWeight:F3} bits per weight)"));
            foreach (string note in report.Notes)
            {
                Console.Error.WriteLine($"  note: {note}");
            }

            Console.Error.WriteLine(Inv($"wrote {target} ({Mb(report.FileBytes)}) in {clock.Elapsed.TotalSeconds:F1} s{(report.ResumedAt > 0 ? $", resumed at tensor {report.ResumedAt + 1}" : "")}"));
            return 0;
        });
        return command;
    }

    private static string Mb(long bytes) => Inv($"{bytes / 1e6:F2} MB");

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    /// <summary>One line redrawn per tensor on a terminal ([#####-----] 12/46 name type); a line every tenth otherwise.</summary>
    private sealed class ProgressLine(TextWriter output)
    {
        private readonly bool _terminal = !Console.IsErrorRedirected;
        private int _lastDecile = -1;

        public void Show(QuantizeProgress p)
        {
            double fraction = (double)p.BytesDone / Math.Max(p.BytesTotal, 1);
            int filled = (int)(fraction * 30);
            string line = Inv($"[{new string('#', filled)}{new string('-', 30 - filled)}] {p.Done,4}/{p.Count} {fraction,4:P0} {p.Tensor} {p.Type}{(p.Resumed ? " (already written)" : "")}");
            if (_terminal)
            {
                output.Write("\r" + line.PadRight(Math.Max(Console.WindowWidth - 1, 80))[..Math.Max(Console.WindowWidth - 1, 80)]);
            }
            else if ((int)(fraction * 10) != _lastDecile || p.Done == p.Count)
            {
                _lastDecile = (int)(fraction * 10);
                output.WriteLine(line);
            }
        }

        public void Finish()
        {
            if (_terminal)
            {
                output.WriteLine();
            }
        }
    }
}
