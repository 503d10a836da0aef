using System.Text.Json.Serialization;

namespace BitNative.Model.Planning;

/// <summary>The cache file's contents: the CPU and build it was measured on, and the entries.</summary>
internal sealed record KernelPlanFile(string Cpu, string Library, List<KernelPlanEntry> Entries);

/// <summary>Source-generated JSON for the cache file (no reflection: the library stays trimmable).</summary>
[JsonSourceGenerationOptions(WriteIndented = true, UseStringEnumConverter = true)]
[JsonSerializable(typeof(KernelPlanFile))]
internal sealed partial class KernelPlanJson : JsonSerializerContext;
