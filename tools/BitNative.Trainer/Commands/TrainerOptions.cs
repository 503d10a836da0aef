using System.CommandLine;

namespace BitNative.Trainer.Commands;

/// <summary>The option shapes every trainer command declares (System.CommandLine), and the paths they name.</summary>
internal static class TrainerOptions
{
    /// <summary>An option the command cannot run without.</summary>
    public static Option<T> Required<T>(string name, string description) => new(name) { Description = description, Required = true };

    /// <summary>An option that takes <paramref name="value"/> when it is not given.</summary>
    public static Option<T> WithDefault<T>(string name, T value, string? description = null) =>
        new(name) { Description = description, DefaultValueFactory = _ => value };

    /// <summary>The full path of the file or folder a (required) option names.</summary>
    public static string GetPath<T>(this ParseResult result, Option<T> option) where T : FileSystemInfo => result.GetValue(option)!.FullName;
}
