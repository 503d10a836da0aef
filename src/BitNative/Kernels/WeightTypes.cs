using System.Runtime.InteropServices;
using BitNative.Interop;

namespace BitNative.Kernels;

/// <summary>A weight type's row of the native traits table.</summary>
/// <param name="Type">The type.</param>
/// <param name="Name">The library's short name ("i2s", "q8_0", ...).</param>
/// <param name="BlockWeights">Columns per block: a row length must be a multiple of it.</param>
/// <param name="BlockBytes">Bytes per block.</param>
/// <param name="RowTile">Rows are stored in groups of this many (TL1: 32), the last group padded.</param>
/// <param name="TensorTrailerBytes">Bytes a file stores after a whole tensor's rows (I2_S: its scale and padding).</param>
/// <param name="GgmlType">The GGUF tensor type id of this layout, or null where no file stores it.</param>
/// <param name="Activation">The activation type its kernels pair with.</param>
/// <param name="IsTernary">True when the values are ternary codes (packable with <see cref="WeightPacker"/>).</param>
public sealed record WeightTypeInfo(WeightType Type, string Name, int BlockWeights, int BlockBytes, int RowTile,
    int TensorTrailerBytes, int? GgmlType, ActivationType Activation, bool IsTernary);

/// <summary>The native library's weight-type traits, read once: the single source of block geometry.</summary>
public static unsafe class WeightTypes
{
    private static readonly WeightTypeInfo[] Rows = Enum.GetValues<WeightType>().Select(Read).ToArray();

    /// <summary>Every weight type's row.</summary>
    public static IReadOnlyList<WeightTypeInfo> All => Rows;

    /// <summary>The row of a weight type.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a <see cref="WeightType"/>.</exception>
    public static WeightTypeInfo Info(WeightType type) =>
        Enum.IsDefined(type) ? Rows[(int)type] : throw new ArgumentOutOfRangeException(nameof(type), type, "Not a weight type.");

    /// <summary>The weight type a GGUF tensor type id names, if the library has a row for it.</summary>
    public static WeightType? FromGgmlType(int ggmlType) => Rows.FirstOrDefault(r => r.GgmlType == ggmlType)?.Type;

    /// <summary>Bytes of an <paramref name="n"/> × <paramref name="k"/> matrix (n rows of k columns, no tensor trailer).</summary>
    /// <exception cref="ArgumentException">k is not a multiple of the type's block, or a size is negative.</exception>
    public static long Bytes(WeightType type, int n, int k)
    {
        long bytes;
        NativeMethods.bn_wtype_bytes((bn_wtype)type, n, k, &bytes).ThrowIfFailed(nameof(NativeMethods.bn_wtype_bytes));
        return bytes;
    }

    private static WeightTypeInfo Read(WeightType type)
    {
        bn_wtype_info i;
        NativeMethods.bn_wtype_get_info((bn_wtype)type, &i).ThrowIfFailed(nameof(NativeMethods.bn_wtype_get_info));
        string name = Marshal.PtrToStringUTF8((nint)NativeMethods.bn_wtype_name((bn_wtype)type)) ?? type.ToString();
        return new WeightTypeInfo(type, name, i.block_weights, i.block_bytes, i.row_tile, i.tensor_trailer_bytes,
            i.ggml_type >= 0 ? i.ggml_type : null, (ActivationType)i.atype, i.ternary != 0);
    }
}
