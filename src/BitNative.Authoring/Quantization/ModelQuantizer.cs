using BitNative.Authoring.Gguf;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using BitNative.Formats.Gguf;
using BitNative.Kernels;
using BitNative.Model;

namespace BitNative.Authoring.Quantization;

/// <summary>How to quantize.</summary>
public sealed record QuantizeOptions
{
    public required QuantizationType Type { get; init; }

    /// <summary>LLM.int8()'s outlier threshold: input columns whose calibration magnitude exceeds it stay fp16 (the paper's 6.0).</summary>
    public float Threshold { get; init; } = 6f;

    /// <summary>Calibration text (int8-outlier needs it; binary uses it for BiLLM's saliency when given).</summary>
    public string? CalibrationText { get; init; }

    /// <summary>Tokens of the calibration text evaluated at most.</summary>
    public int CalibrationTokens { get; init; } = 8192;

    /// <summary>The token embedding's (and an untied head's) type: F16 by default, as bitnet.cpp ships it.</summary>
    public WeightType EmbeddingType { get; init; } = WeightType.F16;

    /// <summary>Threads for encoding and calibration (0: every logical CPU).</summary>
    public int Threads { get; init; }

    /// <summary>The options as one line (a resumed run must have been started with the same ones).</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"type={QuantizationTypes.NameOf(Type)} threshold={Threshold} embedding={WeightTypes.Info(EmbeddingType).Name} calibration-tokens={CalibrationTokens} calibration={(CalibrationText is null ? "none" : Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(CalibrationText))))}");
}

/// <summary>One tensor written (or skipped on a resumed run).</summary>
public sealed record QuantizeProgress(int Done, int Count, string Tensor, string Type, long BytesDone, long BytesTotal, bool Resumed);

/// <summary>What was made: sizes for the memory rule (parameters × bytes per parameter × 1.25) before and after.</summary>
public sealed record QuantizeReport(
    string Source, long Parameters, long SourceBytes, long OutputBytes, long FileBytes, long ProjectionParameters, long ProjectionBytes,
    int ResumedAt, IReadOnlyList<string> Notes)
{
    public double SourceBitsPerWeight => 8.0 * SourceBytes / Parameters;

    public double BitsPerWeight => 8.0 * OutputBytes / Parameters;

    /// <summary>Bits per weight of the quantized projections (side matrices and input scales included).</summary>
    public double ProjectionBitsPerWeight => 8.0 * ProjectionBytes / ProjectionParameters;

    public static long MemoryRule(long parameters, long bytes) => (long)(parameters * ((double)bytes / parameters) * 1.25);
}

/// <summary>
/// <c>bitnative quantize</c>: reads a full-precision model (<see cref="SourceModel"/>), quantizes its seven projections per
/// block to one type (norms stay F32, the embedding / head take <see cref="QuantizeOptions.EmbeddingType"/>) and writes a
/// GGUF the engine runs with native kernels.
/// <list type="bullet">
/// <item>Nothing half-written: the file grows as OUT.partial, renamed to OUT only when every tensor is in it.</item>
/// <item>Resumable per tensor: after each tensor the partial file is flushed to disk and OUT.partial.progress records how
/// many are complete, with a fingerprint of the header and the options; running the same command again truncates the
/// partial file to that many tensors and continues.</item>
/// <item>Calibration (LLM.int8()'s outliers, BiLLM's saliency): the source is first written as a dense F16 GGUF beside
/// OUT and run by the engine on the text (<see cref="Calibration"/>), then deleted.</item>
/// </list>
/// </summary>
public static class ModelQuantizer
{
    /// <summary>Sleeps this many milliseconds after each tensor (tests kill a run midway with it).</summary>
    public const string TensorDelayVariable = "BITNATIVE_QUANTIZE_TENSOR_DELAY_MS";

    public static QuantizeReport Run(string input, string output, QuantizeOptions options, Action<QuantizeProgress>? progress = null)
    {
        if (options.Type == QuantizationType.Int8Outlier && options.CalibrationText is null)
        {
            throw new ArgumentException("--type int8-outlier chooses its outlier columns from calibration activations: give --calibration FILE.");
        }

        int threads = options.Threads > 0 ? options.Threads : Environment.ProcessorCount;
        using SourceModel source = SourceModel.Open(input);
        IReadOnlyDictionary<string, ColumnStatistics>? statistics = null;
        if (options.CalibrationText is not null && options.Type is QuantizationType.Int8Outlier or QuantizationType.Binary)
        {
            string dense = output + ".calibration.gguf";
            try
            {
                Plan(source, options with { Type = QuantizationType.F16, EmbeddingType = WeightType.F16 }, null, threads).Writer.WriteTo(dense);
                statistics = Calibration.Collect(dense, options.CalibrationText, options.CalibrationTokens, threads);
            }
            finally
            {
                File.Delete(dense);
            }
        }

        var plan = Plan(source, options, statistics, threads);
        int resumedAt = Write(plan.Writer, output, $"{options.Describe()} input={Path.GetFullPath(input)}", plan.Names, progress);
        return new QuantizeReport(source.Description, source.Parameters, source.StoredBytes, plan.Writer.GetTensorDataOffset(plan.Writer.TensorCount),
            new FileInfo(output).Length, plan.ProjectionParameters, plan.ProjectionBytes, resumedAt, plan.Notes);
    }

    private sealed record QuantizePlan(GgufWriter Writer, List<(string Name, string Type)> Names, long ProjectionParameters, long ProjectionBytes,
        List<string> Notes);

    /// <summary>Every output tensor, in the source's order, with a callback that encodes it when the writer gets to it.</summary>
    private static QuantizePlan Plan(SourceModel source, QuantizeOptions options, IReadOnlyDictionary<string, ColumnStatistics>? statistics,
        int threads)
    {
        var writer = new GgufWriter();
        foreach (var (key, value) in source.Metadata)
        {
            writer.Add(key, value);
        }

        if (QuantizationTypes.FileType(options.Type) is uint fileType)
        {
            writer.AddUInt32("general.file_type", fileType);
        }

        writer.AddString(SourceModel.QuantizationKey, QuantizationTypes.NameOf(options.Type));
        if (source.Config.IsTernary && !QuantizationTypes.IsTernary(options.Type))
        {
            writer.AddBool(GgufModelReader.DenseProjectionsKey, true); // a BitNet-architecture model with dense projections
        }

        var names = new List<(string, string)>();
        var notes = new List<string>();
        long projectionParameters = 0, projectionBytes = 0;
        var cache = new ProjectionCache();
        foreach (SourceTensor t in source.Tensors)
        {
            switch (t.Role)
            {
                case TensorRole.Vector:
                    Add(writer, names, t.Name, WeightType.F32, [t.Columns], () => MemoryMarshal.AsBytes(t.Read().AsSpan()).ToArray());
                    break;
                case TensorRole.Embedding or TensorRole.Head:
                    WeightType e = Fits(options.EmbeddingType, t.Columns) ? options.EmbeddingType : WeightType.F16;
                    Add(writer, names, t.Name, e, [t.Columns, t.Rows], () => EncodeRows(t.Read(), t.Rows, t.Columns, e, threads));
                    break;
                default:
                    long before = writer.GetTensorDataOffset(writer.TensorCount);
                    AddProjection(writer, names, t, options, statistics?.GetValueOrDefault(t.Name), cache, notes, threads);
                    projectionParameters += t.Elements;
                    projectionBytes += writer.GetTensorDataOffset(writer.TensorCount) - before;
                    break;
            }
        }

        return new QuantizePlan(writer, names, projectionParameters, projectionBytes, notes);
    }

    private static void Add(GgufWriter writer, List<(string, string)> names, string name, WeightType type, long[] dimensions, Func<byte[]> encode)
    {
        GgmlType ggml = (GgmlType)WeightTypes.Info(type).GgmlType!.Value;
        writer.AddTensor(name, ggml, dimensions, stream => stream.Write(encode()));
        names.Add((name, WeightTypes.Info(type).Name));
    }

    private static bool Fits(WeightType type, int columns) => columns % WeightTypes.Info(type).BlockWeights == 0;

    /// <summary>
    /// The tensors of one projection: its main matrix and, for int8-outlier / binary / OneBit, the side data the engine
    /// reads beside it (<c>.split_columns</c> + <c>.split_weight</c>, <c>.input_scale</c>). All of them come from one
    /// encoding of the weights, kept until the last of them is written.
    /// </summary>
    private static void AddProjection(GgufWriter writer, List<(string, string)> names, SourceTensor t, QuantizeOptions options,
        ColumnStatistics? stats, ProjectionCache cache, List<string> notes, int threads)
    {
        int n = t.Rows, k = t.Columns;
        QuantizationType type = options.Type;
        WeightType storage = QuantizationTypes.StorageOf(type);
        if (!Fits(storage, k))
        {
            WeightType fallback = Fits(WeightType.Q8_0, k) ? WeightType.Q8_0 : WeightType.F16;
            notes.Add($"{t.Name}: rows of {k} weights do not fit {WeightTypes.Info(storage).Name}'s blocks; stored as {WeightTypes.Info(fallback).Name}");
            Add(writer, names, t.Name, fallback, [k, n], () => EncodeRows(t.Read(), n, k, fallback, threads));
            return;
        }

        string b = t.BaseName;
        Func<Dictionary<string, byte[]>> encode;
        var extra = new List<(string Name, GgmlType Type, long[] Dimensions)>(); // the side tensors, in file order
        switch (type)
        {
            case QuantizationType.Int8Outlier:
            {
                int[] outliers = OutlierColumns(stats!, options.Threshold, k);
                if (outliers.Length > 0)
                {
                    extra.Add((b + ".split_columns", GgmlType.I32, [outliers.Length]));
                    extra.Add((b + ".split_weight", GgmlType.F16, [outliers.Length, n]));
                }

                encode = () => Int8Outlier(t, outliers, threads);
                break;
            }

            case QuantizationType.Binary:
            {
                int salient = Math.Min(128, k / 4), padded = 128 * ((salient + 127) / 128);
                extra.Add((b + ".split_columns", GgmlType.I32, [2 * padded]));
                extra.Add((b + ".split_weight", GgmlType.Q1_0, [2 * padded, n]));
                encode = () => BiLlm(t, stats, salient, padded, threads);
                break;
            }

            case QuantizationType.OneBit:
                extra.Add((b + ".input_scale", GgmlType.F32, [k]));
                encode = () => OneBit(t, threads);
                break;

            case QuantizationType.I2_S:
                encode = () => new() { [t.Name] = WeightEncoding.I2S(t.Read(), n, k) };
                break;

            default:
                encode = () => new() { [t.Name] = EncodeRows(t.Read(), n, k, storage, threads) };
                break;
        }

        Func<byte[]> Part(string name) => () => cache.Get(b, encode)[name];
        writer.AddTensor(t.Name, (GgmlType)WeightTypes.Info(storage).GgmlType!.Value, [k, n], stream => stream.Write(Part(t.Name)()));
        names.Add((t.Name, QuantizationTypes.NameOf(type)));
        foreach (var (name, ggml, dims) in extra)
        {
            writer.AddTensor(name, ggml, dims, stream => stream.Write(Part(name)()));
            names.Add((name, ggml.ToString().ToLowerInvariant()));
        }
    }

    /// <summary>The encoded tensors of the projection being written (one at a time: its tensors are written in a row).</summary>
    private sealed class ProjectionCache
    {
        private string? _key;
        private Dictionary<string, byte[]>? _parts;

        public Dictionary<string, byte[]> Get(string key, Func<Dictionary<string, byte[]>> encode)
        {
            if (_key != key)
            {
                _parts = encode();
                _key = key;
            }

            return _parts!;
        }
    }

    /// <summary>Encodes n rows of k values as a row type, rows split over threads.</summary>
    private static byte[] EncodeRows(float[] values, int n, int k, WeightType type, int threads)
    {
        foreach (float v in values)
        {
            if (!float.IsFinite(v))
            {
                throw new InvalidDataException("A weight is not finite.");
            }
        }

        int rowBytes = checked((int)WeightTypes.Bytes(type, 1, k));
        var output = new byte[checked(rowBytes * (long)n)];
        Parallel.For(0, n, new ParallelOptions { MaxDegreeOfParallelism = threads }, r =>
        {
            ReadOnlySpan<float> row = values.AsSpan(r * k, k);
            Span<byte> dest = output.AsSpan(r * rowBytes, rowBytes);
            switch (type)
            {
                case WeightType.F32: WeightEncoding.F32(row, dest); break;
                case WeightType.F16: WeightEncoding.F16(row, dest); break;
                case WeightType.BF16: WeightEncoding.BF16(row, dest); break;
                case WeightType.F8: WeightEncoding.F8(row, dest); break;
                case WeightType.Q8_0: WeightEncoding.Q8_0(row, dest); break;
                case WeightType.Q4_0: WeightEncoding.Q4_0(row, dest); break;
                case WeightType.Q4_K: WeightEncoding.Q4_K(row, dest); break;
                case WeightType.Q6_K: BlockDequantization.EncodeQ6_K(row, dest); break;
                case WeightType.Q2_0: WeightEncoding.Q2_0(row, dest); break;
                case WeightType.Q1_0: WeightEncoding.Q1_0(row, dest); break;
                case WeightType.Tq2 or WeightType.Tq1: WeightEncoding.TernaryBlocks(type, row, dest); break;
                default: throw new ArgumentException($"No row encoder for {WeightTypes.Info(type).Name}.", nameof(type));
            }
        });
        return output;
    }

    /// <summary>
    /// LLM.int8()'s outlier features: input columns whose calibration magnitude exceeds the threshold (the paper's
    /// criterion, made static: bitsandbytes decides per batch). At most an eighth of the columns, the largest first:
    /// past that the decomposition is no longer "a few columns in fp16".
    /// </summary>
    private static int[] OutlierColumns(ColumnStatistics stats, float threshold, int k) =>
        Enumerable.Range(0, k).Where(j => stats.MaxAbs[j] > threshold).OrderByDescending(j => stats.MaxAbs[j]).Take(k / 8).Order().ToArray();

    /// <summary>Q8_0 of W with the outlier columns zeroed, and those columns of W in fp16 as the side matrix.</summary>
    private static Dictionary<string, byte[]> Int8Outlier(SourceTensor t, int[] outliers, int threads)
    {
        float[] w = t.Read();
        int n = t.Rows, k = t.Columns, c = outliers.Length;
        var side = new float[n * c];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < c; j++)
            {
                side[i * c + j] = w[i * k + outliers[j]];
                w[i * k + outliers[j]] = 0;
            }
        }

        var parts = new Dictionary<string, byte[]> { [t.Name] = EncodeRows(w, n, k, WeightType.Q8_0, threads) };
        if (c > 0)
        {
            parts[t.BaseName + ".split_columns"] = MemoryMarshal.AsBytes(outliers.AsSpan()).ToArray();
            parts[t.BaseName + ".split_weight"] = EncodeRows(side, n, c, WeightType.F16, threads);
        }

        return parts;
    }

    /// <summary>
    /// BiLLM-style residual binarization (arXiv 2402.04291, without its error compensation and its bell-curve split of
    /// the other weights): the <paramref name="salient"/> input columns of largest saliency H_jj · ||W[:, j]||² (H_jj =
    /// mean x_j² over the calibration text, 1 without it) are binarized twice, W_s ≈ α1 sign(W_s) + α2 sign(W_s - α1
    /// sign(W_s)), as a Q1_0 side matrix over the columns listed twice (each list padded to whole 128-weight blocks with
    /// -1); every other column gets sign(W) with α = mean|W| per 128 weights (Q1_0), the salient ones left out of it.
    /// </summary>
    private static Dictionary<string, byte[]> BiLlm(SourceTensor t, ColumnStatistics? stats, int salient, int padded, int threads)
    {
        float[] w = t.Read();
        int n = t.Rows, k = t.Columns;
        var saliency = new double[k];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < k; j++)
            {
                saliency[j] += (double)w[i * k + j] * w[i * k + j];
            }
        }

        for (int j = 0; j < k; j++)
        {
            saliency[j] *= stats?.MeanSquare[j] ?? 1;
        }

        int[] chosen = Enumerable.Range(0, k).OrderByDescending(j => saliency[j]).ThenBy(j => j).Take(salient).Order().ToArray();
        var excluded = new bool[k];
        foreach (int j in chosen)
        {
            excluded[j] = true;
        }

        int rowBytes = (int)WeightTypes.Bytes(WeightType.Q1_0, 1, k), sideBytes = (int)WeightTypes.Bytes(WeightType.Q1_0, 1, 2 * padded);
        var main = new byte[rowBytes * n];
        var side = new byte[sideBytes * n];
        var sideExcluded = new bool[2 * padded];
        for (int j = salient; j < padded; j++)
        {
            sideExcluded[j] = sideExcluded[padded + j] = true;
        }

        Parallel.For(0, n, new ParallelOptions { MaxDegreeOfParallelism = threads }, i =>
        {
            ReadOnlySpan<float> row = w.AsSpan(i * k, k);
            WeightEncoding.Q1_0(row, main.AsSpan(i * rowBytes, rowBytes), excluded);
            var values = new float[2 * padded];
            double sum = 0;
            for (int j = 0; j < salient; j++)
            {
                values[j] = row[chosen[j]];
                sum += MathF.Abs(values[j]);
            }

            float alpha1 = (float)(Half)(sum / salient); // the first plane's scale as Q1_0 stores it
            for (int j = 0; j < salient; j++)
            {
                values[padded + j] = values[j] - alpha1 * (values[j] >= 0 ? 1 : -1);
            }

            WeightEncoding.Q1_0(values, side.AsSpan(i * sideBytes, sideBytes), sideExcluded);
        });
        int[] columns = new int[2 * padded];
        columns.AsSpan().Fill(-1);
        chosen.CopyTo(columns, 0);
        chosen.CopyTo(columns, padded);
        return new Dictionary<string, byte[]>
        {
            [t.Name] = main,
            [t.BaseName + ".split_columns"] = MemoryMarshal.AsBytes(columns.AsSpan()).ToArray(),
            [t.BaseName + ".split_weight"] = side,
        };
    }

    /// <summary>
    /// OneBit's sign-value-independent decomposition (arXiv 2402.11295): W ≈ sign(W) ⊙ a bᵀ with a bᵀ the best rank-1
    /// approximation of |W| (power iteration), b scaled to mean 1. y = a ⊙ (sign(W) (b ⊙ x)): the signs as Q1_0 with every
    /// block's d = a_i, b as the input scale. OneBit then distills the model (quantization-aware training); this is its
    /// initialization only.
    /// </summary>
    private static Dictionary<string, byte[]> OneBit(SourceTensor t, int threads)
    {
        float[] w = t.Read();
        int n = t.Rows, k = t.Columns;
        var a = new double[n];
        var b = new double[k];
        Array.Fill(b, 1.0);
        for (int iteration = 0; iteration < 30; iteration++)
        {
            double bb = b.Sum(v => v * v);
            for (int i = 0; i < n; i++)
            {
                double s = 0;
                for (int j = 0; j < k; j++)
                {
                    s += Math.Abs(w[i * k + j]) * b[j];
                }

                a[i] = s / bb;
            }

            double aa = a.Sum(v => v * v);
            for (int j = 0; j < k; j++)
            {
                double s = 0;
                for (int i = 0; i < n; i++)
                {
                    s += Math.Abs(w[i * k + j]) * a[i];
                }

                b[j] = s / aa;
            }
        }

        double mean = b.Average();
        float[] inputScale = b.Select(v => (float)(v / mean)).ToArray();
        int rowBytes = (int)WeightTypes.Bytes(WeightType.Q1_0, 1, k);
        var main = new byte[rowBytes * n];
        Parallel.For(0, n, new ParallelOptions { MaxDegreeOfParallelism = threads }, i =>
            WeightEncoding.Q1_0WithScale(w.AsSpan(i * k, k), (float)(a[i] * mean), main.AsSpan(i * rowBytes, rowBytes)));
        return new Dictionary<string, byte[]>
        {
            [t.Name] = main,
            [t.BaseName + ".input_scale"] = MemoryMarshal.AsBytes(inputScale.AsSpan()).ToArray(),
        };
    }

    /// <summary>
    /// Writes the file through OUT.partial (renamed at the end), resuming a partial file left by an interrupted run of the
    /// same command. Returns the tensor it resumed at (0 for a fresh start).
    /// </summary>
    private static int Write(GgufWriter writer, string output, string description, List<(string Name, string Type)> names,
        Action<QuantizeProgress>? progress)
    {
        string partial = output + ".partial", progressFile = output + ".partial.progress";
        byte[] header = writer.GetHeaderBytes();
        string fingerprint = Convert.ToHexString(SHA256.HashData(header.Concat(Encoding.UTF8.GetBytes(description)).ToArray()));
        int count = writer.TensorCount, start = 0;
        long total = header.Length + writer.GetTensorDataOffset(count);
        int.TryParse(Environment.GetEnvironmentVariable(TensorDelayVariable), NumberStyles.None, CultureInfo.InvariantCulture, out int delay);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
        using (FileStream file = OpenPartial(partial, progressFile, header, fingerprint, writer, ref start))
        {
            for (int i = 0; i < start; i++)
            {
                progress?.Invoke(new QuantizeProgress(i + 1, count, names[i].Name, names[i].Type, header.Length + writer.GetTensorDataOffset(i + 1), total, true));
            }

            for (int i = start; i < count; i++)
            {
                writer.WriteTensorData(file, i);
                file.Flush(flushToDisk: true);
                WriteProgress(progressFile, fingerprint, i + 1);
                progress?.Invoke(new QuantizeProgress(i + 1, count, names[i].Name, names[i].Type, file.Position, total, false));
                if (delay > 0 && i + 1 < count)
                {
                    Thread.Sleep(delay);
                }
            }
        }

        File.Move(partial, output, overwrite: true);
        File.Delete(progressFile);
        return start;
    }

    /// <summary>The partial file to continue (truncated after its last complete tensor), or a new one holding the header.</summary>
    private static FileStream OpenPartial(string partial, string progressFile, byte[] header, string fingerprint, GgufWriter writer, ref int start)
    {
        if (File.Exists(partial) && ReadProgress(progressFile, fingerprint) is int done && done <= writer.TensorCount)
        {
            long end = header.Length + writer.GetTensorDataOffset(done);
            var file = new FileStream(partial, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            var existing = new byte[header.Length];
            if (file.Length >= end && file.Read(existing) == header.Length && existing.AsSpan().SequenceEqual(header))
            {
                file.SetLength(end);
                file.Position = end;
                start = done;
                return file;
            }

            file.Dispose();
        }

        var fresh = new FileStream(partial, FileMode.Create, FileAccess.ReadWrite, FileShare.None);
        fresh.Write(header);
        fresh.Flush(flushToDisk: true);
        WriteProgress(progressFile, fingerprint, 0);
        start = 0;
        return fresh;
    }

    private static int? ReadProgress(string path, string fingerprint)
    {
        try
        {
            string[] lines = File.ReadAllLines(path);
            return lines.Length == 2 && lines[0] == fingerprint && int.TryParse(lines[1], NumberStyles.None, CultureInfo.InvariantCulture, out int done)
                ? done
                : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>The fingerprint and the count of complete tensors, replaced atomically (write, then rename).</summary>
    private static void WriteProgress(string path, string fingerprint, int done)
    {
        File.WriteAllText(path + ".tmp", $"{fingerprint}\n{done.ToString(CultureInfo.InvariantCulture)}\n");
        File.Move(path + ".tmp", path, overwrite: true);
    }
}
