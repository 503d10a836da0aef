namespace BitNative.Trainer.Model;

/// <summary>What a parameter tensor is, which decides its initialization, weight decay and export type.</summary>
internal enum TensorKind
{
    Embedding,  // tied token embedding / output head: F16 in the file
    Norm,       // RMSNorm weights: F32, no weight decay
    Projection, // ternary projection: I2_S
}

/// <summary>One tensor in the flat parameter vector: GGUF name, offset, [Rows, Columns] (Rows = 1 for vectors).</summary>
internal sealed record ParameterTensor(string Name, TensorKind Kind, int Offset, int Rows, int Columns)
{
    public int Length => Rows * Columns;
}

/// <summary>
/// All parameters in one float vector (llm.c's ParameterTensors), in the order and with the names of the GGUF file, so
/// gradients, AdamW moments and checkpoints are single arrays and export is a walk over this list.
/// </summary>
internal sealed class ParameterLayout
{
    private readonly Dictionary<string, ParameterTensor> _byName = new(StringComparer.Ordinal);

    public ParameterLayout(ModelShape shape)
    {
        int d = shape.Dim, f = shape.FeedForward, kv = shape.KvDim;
        Add("token_embd.weight", TensorKind.Embedding, shape.Vocab, d);
        Add("output_norm.weight", TensorKind.Norm, 1, d);
        for (int l = 0; l < shape.Layers; l++)
        {
            string p = $"blk.{l}.";
            Add(p + "attn_norm.weight", TensorKind.Norm, 1, d);
            Add(p + "attn_q.weight", TensorKind.Projection, d, d);
            Add(p + "attn_k.weight", TensorKind.Projection, kv, d);
            Add(p + "attn_v.weight", TensorKind.Projection, kv, d);
            Add(p + "attn_output.weight", TensorKind.Projection, d, d);
            Add(p + "attn_sub_norm.weight", TensorKind.Norm, 1, d);
            Add(p + "ffn_norm.weight", TensorKind.Norm, 1, d);
            Add(p + "ffn_gate.weight", TensorKind.Projection, f, d);
            Add(p + "ffn_up.weight", TensorKind.Projection, f, d);
            Add(p + "ffn_down.weight", TensorKind.Projection, d, f);
            Add(p + "ffn_sub_norm.weight", TensorKind.Norm, 1, f);
        }
    }

    public List<ParameterTensor> Tensors { get; } = [];

    public int Count { get; private set; }

    public ParameterTensor this[string name] => _byName[name];

    private void Add(string name, TensorKind kind, int rows, int columns)
    {
        var t = new ParameterTensor(name, kind, Count, rows, columns);
        Tensors.Add(t);
        _byName.Add(name, t);
        Count = checked(Count + t.Length);
    }
}
