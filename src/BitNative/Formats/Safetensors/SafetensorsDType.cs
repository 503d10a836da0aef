namespace BitNative.Formats.Safetensors;

/// <summary>
/// Element types of safetensors tensors BitNative reads. Member names are the strings the format
/// stores in the header's "dtype" field.
/// </summary>
/// <remarks>
/// F32/F16/BF16 hold master weights and norms, U8 the packed BitNet checkpoints, I8 quantized data.
/// I32, I64, F64 and BOOL are accepted and exposed as raw bytes, F8_E4M3 as raw bytes for FP8 checkpoints
/// (bitnative quantize reads them with their scales). Other dtypes (F8_E5M2, U16, ...) are rejected by name.
/// </remarks>
public enum SafetensorsDType
{
    /// <summary>32-bit float.</summary>
    F32,

    /// <summary>16-bit IEEE half float.</summary>
    F16,

    /// <summary>bfloat16.</summary>
    BF16,

    /// <summary>Unsigned byte.</summary>
    U8,

    /// <summary>Signed byte.</summary>
    I8,

    /// <summary>Signed 32-bit integer (raw bytes).</summary>
    I32,

    /// <summary>Signed 64-bit integer (raw bytes).</summary>
    I64,

    /// <summary>64-bit float (raw bytes).</summary>
    F64,

    /// <summary>Boolean, one byte per element (raw bytes).</summary>
    BOOL,

    /// <summary>FP8 E4M3 (OCP "fn": no infinities, S.1111.111 is NaN), one byte per element (raw bytes).</summary>
    F8_E4M3,
}

/// <summary>The dtype table: header spelling and element size of each <see cref="SafetensorsDType"/>.</summary>
internal static class SafetensorsDTypes
{
    private static readonly (SafetensorsDType DType, string Name, int Size)[] Rows =
    [
        (SafetensorsDType.F32, "F32", 4),
        (SafetensorsDType.F16, "F16", 2),
        (SafetensorsDType.BF16, "BF16", 2),
        (SafetensorsDType.U8, "U8", 1),
        (SafetensorsDType.I8, "I8", 1),
        (SafetensorsDType.I32, "I32", 4),
        (SafetensorsDType.I64, "I64", 8),
        (SafetensorsDType.F64, "F64", 8),
        (SafetensorsDType.BOOL, "BOOL", 1),
        (SafetensorsDType.F8_E4M3, "F8_E4M3", 1),
    ];

    public static bool TryParse(string name, out SafetensorsDType dtype)
    {
        foreach (var row in Rows)
        {
            if (row.Name == name)
            {
                dtype = row.DType;
                return true;
            }
        }

        dtype = default;
        return false;
    }

    public static string Name(SafetensorsDType dtype) => Row(dtype).Name;

    public static int Size(SafetensorsDType dtype) => Row(dtype).Size;

    public static string SupportedList => string.Join(", ", Rows.Select(r => r.Name));

    private static (SafetensorsDType DType, string Name, int Size) Row(SafetensorsDType dtype)
    {
        foreach (var row in Rows)
        {
            if (row.DType == dtype)
            {
                return row;
            }
        }

        throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Not a safetensors dtype BitNative supports.");
    }
}
