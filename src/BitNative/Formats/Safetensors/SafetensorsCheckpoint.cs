using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace BitNative.Formats.Safetensors;

/// <summary>
/// A Hugging Face safetensors checkpoint: one <c>.safetensors</c> file, or shards listed by a
/// <c>model.safetensors.index.json</c> (<c>{"metadata": {...}, "weight_map": {tensor: shard file}}</c>).
/// Tensors are looked up by name across all shards.
/// </summary>
/// <remarks>
/// Shard names must be plain file names in the index's folder (no paths, no ".."), every tensor the
/// index lists must be in its shard, and every tensor of a shard must be listed for that shard, so a
/// tensor name can never resolve to two different places.
/// </remarks>
public sealed class SafetensorsCheckpoint : IDisposable
{
    /// <summary>The file name Hugging Face uses for a single-file checkpoint.</summary>
    public const string SingleFileName = "model.safetensors";

    /// <summary>The file name Hugging Face uses for the index of a sharded checkpoint.</summary>
    public const string IndexFileName = "model.safetensors.index.json";

    private const string IndexFormat = "safetensors index";
    private const long MaxIndexBytes = 100_000_000;

    private readonly SafetensorsFile[] _files;
    private readonly Dictionary<string, SafetensorsFile> _fileByTensor;
    private readonly SafetensorsTensorInfo[] _tensors;

    private SafetensorsCheckpoint(string path, SafetensorsFile[] files)
    {
        Path = path;
        _files = files;
        _fileByTensor = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
        foreach (SafetensorsFile file in files)
        {
            foreach (SafetensorsTensorInfo tensor in file.Tensors)
            {
                _fileByTensor.Add(tensor.Name, file);
            }
        }

        _tensors = [.. files.SelectMany(f => f.Tensors)];
    }

    /// <summary>The path the checkpoint was opened from (file, index or folder).</summary>
    public string Path { get; }

    /// <summary>The safetensors files: one, or the shards in order of first appearance in the index.</summary>
    public IReadOnlyList<SafetensorsFile> Files => _files;

    /// <summary>All tensors of all files.</summary>
    public IReadOnlyList<SafetensorsTensorInfo> Tensors => _tensors;

    /// <summary>
    /// Opens a checkpoint from a <c>.safetensors</c> file, an index <c>.json</c> file, or a folder holding
    /// <see cref="IndexFileName"/> or <see cref="SingleFileName"/>.
    /// </summary>
    /// <param name="path">File or folder path.</param>
    /// <exception cref="BitNativeFormatException">A file or the index is malformed, or index and shards disagree.</exception>
    /// <exception cref="IOException">A file cannot be opened, or a folder has no checkpoint.</exception>
    public static SafetensorsCheckpoint Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path))
        {
            string index = System.IO.Path.Combine(path, IndexFileName);
            string single = System.IO.Path.Combine(path, SingleFileName);
            return File.Exists(index) ? OpenIndex(index)
                : File.Exists(single) ? new SafetensorsCheckpoint(path, [SafetensorsFile.Open(single)])
                : throw new FileNotFoundException($"Folder '{path}' has neither {IndexFileName} nor {SingleFileName}.", index);
        }

        return path.EndsWith(".json", StringComparison.OrdinalIgnoreCase)
            ? OpenIndex(path)
            : new SafetensorsCheckpoint(path, [SafetensorsFile.Open(path)]);
    }

    /// <summary>Finds a tensor by name in any file.</summary>
    /// <param name="name">The tensor name.</param>
    /// <param name="tensor">The tensor info, when found.</param>
    public bool TryGetTensor(string name, [MaybeNullWhen(false)] out SafetensorsTensorInfo tensor)
    {
        tensor = null;
        return _fileByTensor.TryGetValue(name, out SafetensorsFile? file) && file.TryGetTensor(name, out tensor);
    }

    /// <summary>Gets a tensor by name from any file.</summary>
    /// <param name="name">The tensor name.</param>
    /// <exception cref="BitNativeFormatException">No file has the tensor.</exception>
    public SafetensorsTensorInfo GetTensor(string name) =>
        TryGetTensor(name, out SafetensorsTensorInfo? tensor)
            ? tensor
            : throw BitNativeFormatException.Create("safetensors", Path, $"required tensor '{name}' is missing");

    /// <summary>The bytes of the named tensor, without copying.</summary>
    /// <param name="name">The tensor name.</param>
    /// <exception cref="BitNativeFormatException">The tensor is missing or 2 GiB or larger.</exception>
    public ReadOnlySpan<byte> GetTensorData(string name)
    {
        SafetensorsTensorInfo tensor = GetTensor(name);
        return _fileByTensor[name].GetTensorData(tensor);
    }

    /// <summary>The bytes of a tensor of this checkpoint, without copying.</summary>
    /// <param name="tensor">A tensor info from <see cref="Tensors"/> or <see cref="GetTensor"/>.</param>
    /// <exception cref="ArgumentException">The info belongs to another checkpoint.</exception>
    public ReadOnlySpan<byte> GetTensorData(SafetensorsTensorInfo tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return _fileByTensor.TryGetValue(tensor.Name, out SafetensorsFile? file)
            ? file.GetTensorData(tensor)
            : throw new ArgumentException($"Tensor '{tensor.Name}' does not belong to '{Path}'.", nameof(tensor));
    }

    /// <summary>Unmaps every file.</summary>
    public void Dispose()
    {
        foreach (SafetensorsFile file in _files)
        {
            file.Dispose();
        }
    }

    private static SafetensorsCheckpoint OpenIndex(string indexPath)
    {
        List<(string Tensor, string Shard)> weightMap = ReadWeightMap(indexPath);
        string folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(indexPath))!;
        var shardNames = weightMap.Select(w => w.Shard).Distinct(StringComparer.Ordinal).ToList();
        var files = new List<SafetensorsFile>(shardNames.Count);
        try
        {
            foreach (string shard in shardNames)
            {
                files.Add(SafetensorsFile.Open(System.IO.Path.Combine(folder, shard)));
            }

            CheckShardsMatchIndex(indexPath, weightMap, shardNames, files);
            return new SafetensorsCheckpoint(indexPath, [.. files]);
        }
        catch
        {
            foreach (SafetensorsFile file in files)
            {
                file.Dispose();
            }

            throw;
        }
    }

    private static List<(string Tensor, string Shard)> ReadWeightMap(string indexPath)
    {
        InputFile.RequireFile(indexPath);
        long length = new FileInfo(indexPath).Length;
        if (length > MaxIndexBytes)
        {
            throw Fail(indexPath, $"index is {length} bytes, more than the limit of {MaxIndexBytes}");
        }

        byte[] bytes = File.ReadAllBytes(indexPath);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            throw BitNativeFormatException.Create(IndexFormat, indexPath, $"not valid JSON: {e.Message}", inner: e);
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (JsonText.FindNonUnicode(bytes, root) is { } at)
            {
                throw Fail(indexPath, $"the string at {at} is not valid Unicode text (invalid UTF-8, or an escaped unpaired surrogate)");
            }

            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("weight_map", out JsonElement map)
                || map.ValueKind != JsonValueKind.Object)
            {
                throw Fail(indexPath, "expected a JSON object with a \"weight_map\" object");
            }

            var seen = new HashSet<string>(StringComparer.Ordinal);
            var weightMap = new List<(string, string)>();
            foreach (JsonProperty entry in map.EnumerateObject())
            {
                if (!seen.Add(entry.Name))
                {
                    throw Fail(indexPath, $"weight_map lists tensor '{entry.Name}' twice");
                }

                if (entry.Value.ValueKind != JsonValueKind.String)
                {
                    throw Fail(indexPath, $"weight_map entry '{entry.Name}' must be a file name string");
                }

                string shard = entry.Value.GetString()!;
                if (!IsPlainFileName(shard))
                {
                    throw Fail(indexPath, $"weight_map entry '{entry.Name}' names '{shard}', which is not a plain file name in the index's folder");
                }

                weightMap.Add((entry.Name, shard));
            }

            if (weightMap.Count == 0)
            {
                throw Fail(indexPath, "weight_map is empty");
            }

            return weightMap;
        }
    }

    /// <summary>A shard must sit beside the index: reject paths, "..", rooted or odd names (no traversal).</summary>
    private static bool IsPlainFileName(string name) =>
        name.Length > 0
        && name is not ("." or "..")
        && name.IndexOfAny(['/', '\\', ':', '\0']) < 0
        && name.IndexOfAny(System.IO.Path.GetInvalidFileNameChars()) < 0
        && System.IO.Path.GetFileName(name) == name;

    private static void CheckShardsMatchIndex(
        string indexPath, List<(string Tensor, string Shard)> weightMap, List<string> shardNames, List<SafetensorsFile> files)
    {
        var fileOf = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
        for (int i = 0; i < shardNames.Count; i++)
        {
            fileOf[shardNames[i]] = files[i];
        }

        var shardOf = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach ((string tensor, string shard) in weightMap)
        {
            if (!fileOf[shard].TryGetTensor(tensor, out _))
            {
                throw Fail(indexPath, $"weight_map puts tensor '{tensor}' in '{shard}', which does not contain it");
            }

            shardOf[tensor] = shard;
        }

        for (int i = 0; i < shardNames.Count; i++)
        {
            foreach (SafetensorsTensorInfo tensor in files[i].Tensors)
            {
                if (!shardOf.TryGetValue(tensor.Name, out string? listed) || listed != shardNames[i])
                {
                    throw Fail(indexPath, listed is null
                        ? $"shard '{shardNames[i]}' has tensor '{tensor.Name}', which weight_map does not list"
                        : $"shard '{shardNames[i]}' has tensor '{tensor.Name}', which weight_map puts in '{listed}'");
                }
            }
        }
    }

    private static BitNativeFormatException Fail(string indexPath, string problem) =>
        BitNativeFormatException.Create(IndexFormat, indexPath, problem);
}
