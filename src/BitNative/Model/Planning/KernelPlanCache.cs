using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using BitNative.Kernels;

namespace BitNative.Model.Planning;

/// <summary>
/// Measured plan entries kept in a small JSON file per CPU and library build under the user's cache folder
/// (<c>kernel-plans/&lt;hash&gt;.json</c>), so a model's shapes are timed once per machine: a later load, of this model or
/// any other with the same shapes, reads them. A file of another CPU or build is never read (its name is a hash of both,
/// and its contents are checked); a damaged file is ignored and rewritten. Writes go to a temporary file that replaces
/// the old one, so a reader never sees half a file.
/// </summary>
internal sealed class KernelPlanCache
{
    private readonly string? _path;
    private readonly Dictionary<KernelPlanKey, KernelPlanEntry> _entries = new();
    private bool _dirty;

    /// <param name="directory">The cache folder, or null for no file (entries live only as long as this object).</param>
    public KernelPlanCache(string? directory)
    {
        if (directory is null)
        {
            return;
        }

        string identity = $"{MachineIdentity.Cpu}\n{MachineIdentity.Library}";
        string hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))[..16].ToLowerInvariant();
        _path = Path.Combine(directory, "kernel-plans", hash + ".json");
        foreach (KernelPlanEntry e in Read(_path, identity))
        {
            _entries[e.Key] = e;
        }
    }

    /// <summary>The file the entries are kept in, if any.</summary>
    public string? FilePath => _path;

    public bool TryGet(KernelPlanKey key, out KernelPlanEntry entry) => _entries.TryGetValue(key, out entry!);

    public void Add(KernelPlanEntry entry)
    {
        _entries[entry.Key] = entry;
        _dirty = true;
    }

    /// <summary>Writes new entries to the file (merged with any another process wrote meanwhile); a failure to write only loses the cache.</summary>
    public void Save()
    {
        if (_path is null || !_dirty)
        {
            return;
        }

        string identity = $"{MachineIdentity.Cpu}\n{MachineIdentity.Library}";
        foreach (KernelPlanEntry e in Read(_path, identity))
        {
            _entries.TryAdd(e.Key, e);
        }

        try
        {
            Formats.AtomicFile.WriteAllText(_path, JsonSerializer.Serialize(
                new KernelPlanFile(MachineIdentity.Cpu, MachineIdentity.Library, _entries.Values.ToList()), KernelPlanJson.Default.KernelPlanFile));
            _dirty = false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // the plan is still in use for this load; only the next load measures again
        }
    }

    private static IEnumerable<KernelPlanEntry> Read(string path, string identity)
    {
        try
        {
            if (!File.Exists(path))
            {
                return [];
            }

            KernelPlanFile? file = JsonSerializer.Deserialize(File.ReadAllText(path), KernelPlanJson.Default.KernelPlanFile);
            if (file is null || $"{file.Cpu}\n{file.Library}" != identity || file.Entries is null)
            {
                return [];
            }

            return file.Entries.Where(e => e?.Key is not null && e.Timings is not null && Enum.IsDefined(e.Layout)
                && Enum.IsDefined(e.Gemv) && Enum.IsDefined(e.Gemm)).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or NotSupportedException)
        {
            return [];
        }
    }
}
