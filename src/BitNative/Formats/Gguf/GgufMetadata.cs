using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace BitNative.Formats.Gguf;

/// <summary>
/// The key/value metadata of a GGUF file, in file order, with typed getters.
/// </summary>
/// <remarks>
/// The getters treat a missing key or a value of the wrong type as a problem with the file: they throw
/// <see cref="BitNativeFormatException"/> naming the file, the key, the expected and the actual type.
/// Use <see cref="TryGetValue"/> or <see cref="ContainsKey"/> for optional keys.
/// </remarks>
public sealed class GgufMetadata : IReadOnlyList<KeyValuePair<string, GgufValue>>
{
    private readonly KeyValuePair<string, GgufValue>[] _entries;
    private readonly long[] _offsets;
    private readonly Dictionary<string, int> _index;
    private readonly string _filePath;

    internal GgufMetadata(string filePath, KeyValuePair<string, GgufValue>[] entries, long[] offsets)
    {
        _filePath = filePath;
        _entries = entries;
        _offsets = offsets;
        _index = new Dictionary<string, int>(entries.Length, StringComparer.Ordinal);
        for (int i = 0; i < entries.Length; i++)
        {
            _index.Add(entries[i].Key, i);
        }
    }

    /// <summary>Number of key/value pairs.</summary>
    public int Count => _entries.Length;

    /// <summary>The keys in file order.</summary>
    public IEnumerable<string> Keys => _entries.Select(e => e.Key);

    /// <summary>The key/value pair at <paramref name="index"/> in file order.</summary>
    /// <param name="index">Zero-based position in the file.</param>
    public KeyValuePair<string, GgufValue> this[int index] => _entries[index];

    /// <summary>The value of <paramref name="key"/>.</summary>
    /// <param name="key">The metadata key, for example "general.architecture".</param>
    /// <exception cref="BitNativeFormatException">The key is missing.</exception>
    public GgufValue this[string key] => Find(key);

    /// <summary>Whether the file has <paramref name="key"/>.</summary>
    /// <param name="key">The metadata key.</param>
    public bool ContainsKey(string key) => _index.ContainsKey(key);

    /// <summary>Gets the value of <paramref name="key"/> if present.</summary>
    /// <param name="key">The metadata key.</param>
    /// <param name="value">The value, when found.</param>
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out GgufValue value)
    {
        if (_index.TryGetValue(key, out int i))
        {
            value = _entries[i].Value;
            return true;
        }

        value = null;
        return false;
    }

    /// <summary>Gets a u8 value.</summary>
    /// <param name="key">The metadata key.</param>
    /// <exception cref="BitNativeFormatException">The key is missing or not a u8.</exception>
    public byte GetUInt8(string key) => Find(key, GgufValueType.UInt8).AsUInt8();

    /// <summary>Gets an i8 value.</summary>
    /// <param name="key">The metadata key.</param>
    /// <exception cref="BitNativeFormatException">The key is missing or not an i8.</exception>
    public sbyte GetInt8(string key) => Find(key, GgufValueType.Int8).AsInt8();

    /// <summary>Gets a u16 value.</summary>
    /// <param name="key">The metadata key.</param>
    /// <exception cref="BitNativeFormatException">The key is missing or not a u16.</exception>
    public ushort GetUInt16(string key) => Find(key, GgufValueType.UInt16).AsUInt16();

    /// <summary>Gets an i16 value.</summary>
    /// <param name="key">The metadata key.</param>
    /// <exception cref="BitNativeFormatException">The key is missing or not an i16.</exception>
    public short GetInt16(string key) => Find(key, GgufValueType.Int16).AsInt16();

    /// <summary>Gets a u32 value.</summary>
    /// <param name="key">The metadata key.</param>
    /// <exception cref="BitNativeFormatException">The key is missing or not a u32.</exception>
    public uint GetUInt32(string key) => Find(key, GgufValueType.UInt32).AsUInt32();

    /// <summary>Gets an i32 value.</summary>
    /// <param name="key">The metadata key.</param>
    /// <exception cref="BitNativeFormatException">The key is missing or not an i32.</exception>
    public int GetInt32(string key) => Find(key, GgufValueType.Int32).AsInt32();

    /// <summary>Gets an f32 value.</summary>
    /// <param name="key">The metadata key.</param>
    /// <exception cref="BitNativeFormatException">The key is missing or not an f32.</exception>
    public float GetFloat32(string key) => Find(key, GgufValueType.Float32).AsFloat32();

    /// <summary>Gets a bool value.</summary>
    /// <param name="key">The metadata key.</param>
    /// <exception cref="BitNativeFormatException">The key is missing or not a bool.</exception>
    public bool GetBool(string key) => Find(key, GgufValueType.Bool).AsBool();

    /// <summary>Gets a string value.</summary>
    /// <param name="key">The metadata key.</param>
    /// <exception cref="BitNativeFormatException">The key is missing or not a string.</exception>
    public string GetString(string key) => Find(key, GgufValueType.String).AsString();

    /// <summary>Gets a u64 value.</summary>
    /// <param name="key">The metadata key.</param>
    /// <exception cref="BitNativeFormatException">The key is missing or not a u64.</exception>
    public ulong GetUInt64(string key) => Find(key, GgufValueType.UInt64).AsUInt64();

    /// <summary>Gets an i64 value.</summary>
    /// <param name="key">The metadata key.</param>
    /// <exception cref="BitNativeFormatException">The key is missing or not an i64.</exception>
    public long GetInt64(string key) => Find(key, GgufValueType.Int64).AsInt64();

    /// <summary>Gets an f64 value.</summary>
    /// <param name="key">The metadata key.</param>
    /// <exception cref="BitNativeFormatException">The key is missing or not an f64.</exception>
    public double GetFloat64(string key) => Find(key, GgufValueType.Float64).AsFloat64();

    /// <summary>Gets a string array (for example <c>tokenizer.ggml.tokens</c>).</summary>
    /// <param name="key">The metadata key.</param>
    /// <exception cref="BitNativeFormatException">The key is missing or not a string[].</exception>
    public IReadOnlyList<string> GetStringArray(string key) =>
        Find(key, GgufValueType.Array, GgufValueType.String).AsStringArray();

    /// <summary>Gets a scalar array without copying (for example <c>GetArray&lt;float&gt;("tokenizer.ggml.scores")</c>).</summary>
    /// <typeparam name="T">The .NET element type: byte, sbyte, ushort, short, uint, int, float, bool, ulong, long or double.</typeparam>
    /// <param name="key">The metadata key.</param>
    /// <exception cref="BitNativeFormatException">The key is missing or not an array of <typeparamref name="T"/>.</exception>
    /// <exception cref="ArgumentException"><typeparamref name="T"/> is not a GGUF scalar type.</exception>
    public ReadOnlySpan<T> GetArray<T>(string key)
        where T : unmanaged
    {
        GgufValueType elementType = GgufValue.ElementTypeOf<T>()
            ?? throw new ArgumentException($"{typeof(T).Name} is not a GGUF scalar type.", nameof(T));
        return Find(key, GgufValueType.Array, elementType).AsArray<T>();
    }

    /// <summary>Returns an enumerator over the key/value pairs in file order.</summary>
    public IEnumerator<KeyValuePair<string, GgufValue>> GetEnumerator() =>
        ((IEnumerable<KeyValuePair<string, GgufValue>>)_entries).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private GgufValue Find(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return _index.TryGetValue(key, out int i)
            ? _entries[i].Value
            : throw BitNativeFormatException.Create("GGUF", _filePath, $"required key '{key}' is missing");
    }

    private GgufValue Find(string key, GgufValueType type, GgufValueType? elementType = null)
    {
        GgufValue value = Find(key);
        if (value.Type != type || value.ElementType != elementType)
        {
            throw BitNativeFormatException.Create("GGUF", _filePath,
                $"key '{key}' is {value.TypeName}, expected {GgufValueTypes.DisplayName(type, elementType)}",
                _offsets[_index[key]], $"key '{key}'");
        }

        return value;
    }
}
