using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using BitNative.Formats;
using BitNative.Trainer.Model;
using BitNative.Trainer.Optim;

namespace BitNative.Trainer.Training;

/// <summary>Where a run stands: enough to resume it bit for bit.</summary>
internal sealed record CheckpointHeader(ModelShape Shape, TrainOptions Options, int Step, long TokensSeen, double Seconds);

/// <summary>
/// A training checkpoint: "BNQAT001", a little-endian int32 length and a JSON <see cref="CheckpointHeader"/>, then the
/// latent parameters, AdamW's first and second moments (float32 each, in <see cref="ParameterLayout"/> order).
/// Written through <see cref="AtomicFile"/> (a flushed temporary file renamed over the old one), so an interrupted save or a
/// full disk never leaves a torn checkpoint and never loses the previous one.
/// </summary>
internal static class Checkpoint
{
    private static readonly byte[] Magic = "BNQAT001"u8.ToArray();

    public static void Save(string path, CheckpointHeader header, TrainingModel model, AdamW optimizer)
    {
        AtomicFile.Write(path, stream =>
        {
            using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
            byte[] json = JsonSerializer.SerializeToUtf8Bytes(header);
            writer.Write(Magic);
            writer.Write(json.Length);
            writer.Write(json);
            writer.Write(MemoryMarshal.AsBytes(model.Parameters.AsSpan()));
            writer.Write(MemoryMarshal.AsBytes(optimizer.M.AsSpan()));
            writer.Write(MemoryMarshal.AsBytes(optimizer.V.AsSpan()));
        });
    }

    public static CheckpointHeader ReadHeader(string path)
    {
        using var stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream);
        return ReadHeader(reader, path);
    }

    /// <summary>Loads the model (and the optimizer state, when <paramref name="optimizer"/> is given) saved at <paramref name="path"/>.</summary>
    public static (CheckpointHeader Header, TrainingModel Model) Load(string path, Func<CheckpointHeader, AdamW>? optimizer, out AdamW? state)
    {
        using var stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream);
        CheckpointHeader header = ReadHeader(reader, path);
        var model = new TrainingModel(header.Shape);
        ReadFloats(reader, model.Parameters, path);
        state = optimizer?.Invoke(header);
        if (state is not null)
        {
            ReadFloats(reader, state.M, path);
            ReadFloats(reader, state.V, path);
            state.Step = header.Step;
        }

        return (header, model);
    }

    private static CheckpointHeader ReadHeader(BinaryReader reader, string path)
    {
        if (!reader.ReadBytes(Magic.Length).AsSpan().SequenceEqual(Magic))
        {
            throw new InvalidDataException($"{path} is not a BitNative trainer checkpoint.");
        }

        int length = reader.ReadInt32();
        if (length is <= 0 or > 1 << 20)
        {
            throw new InvalidDataException($"{path}: header length {length} is invalid.");
        }

        return JsonSerializer.Deserialize<CheckpointHeader>(Encoding.UTF8.GetString(reader.ReadBytes(length)))
            ?? throw new InvalidDataException($"{path}: empty header.");
    }

    private static void ReadFloats(BinaryReader reader, float[] destination, string path)
    {
        try
        {
            reader.BaseStream.ReadExactly(MemoryMarshal.AsBytes(destination.AsSpan()));
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{path} is truncated: a parameter block ends early.", e);
        }
    }
}
