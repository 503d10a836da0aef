using BitNative.Formats.Safetensors;

namespace BitNative.Model;

/// <summary>Typed reads of a Hugging Face checkpoint's tensors, each checked against the shape the config implies.</summary>
internal sealed class HuggingFaceTensors(SafetensorsCheckpoint checkpoint)
{
    public string Path => checkpoint.Path;

    public bool Has(string name) => checkpoint.TryGetTensor(name, out _);

    /// <summary>The tensor, or an error naming it (and <paramref name="why"/> it is needed, when given).</summary>
    public SafetensorsTensorInfo Get(string name, string? why = null) =>
        checkpoint.TryGetTensor(name, out SafetensorsTensorInfo? t)
            ? t
            : throw new InvalidDataException($"{Path}: tensor {name} is missing{(why is null ? "" : "; " + why)}.");

    public ReadOnlySpan<byte> Data(SafetensorsTensorInfo tensor) => checkpoint.GetTensorData(tensor);

    /// <summary>A F32, F16 or BF16 tensor of exactly <paramref name="shape"/> (as transformers' load_state_dict requires), as floats.</summary>
    public float[] Floats(string name, params int[] shape) => Floats(Get(name), shape);

    public float[] Floats(SafetensorsTensorInfo t, params int[] shape)
    {
        long[] expected = shape.Select(x => (long)x).ToArray();
        if (!TensorShapes.Match(t.Shape, expected, outerOnesAllowed: false))
        {
            throw TensorShapes.Mismatch(Path, t.Name, t.Shape, expected);
        }

        long count = t.ElementCount;
        ReadOnlySpan<byte> data = checkpoint.GetTensorData(t);
        var values = new float[count];
        switch (t.DType)
        {
            case SafetensorsDType.F32: BlockDequantization.F32(data, values); break;
            case SafetensorsDType.F16: BlockDequantization.F16(data, values); break;
            case SafetensorsDType.BF16: BlockDequantization.BF16(data, values); break;
            default: throw new InvalidDataException($"{Path}: tensor {t.Name} is {t.DType}; expected F32, F16 or BF16.");
        }

        return values;
    }
}
