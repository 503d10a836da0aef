namespace BitNative;

/// <summary>Where BitNative keeps files between runs (measured kernel plans, synthetic models).</summary>
public static class CacheFolders
{
    /// <summary>The environment variable that overrides the cache folder.</summary>
    public const string Variable = "BITNATIVE_CACHE_DIR";

    /// <summary>
    /// <c>$BITNATIVE_CACHE_DIR</c>, else <c>$XDG_CACHE_HOME/bitnative</c>, <c>~/.cache/bitnative</c>, or
    /// <c>%LOCALAPPDATA%\BitNative</c> on Windows; null when none of them can be found (then nothing is cached).
    /// </summary>
    public static string? Default
    {
        get
        {
            string? configured = Environment.GetEnvironmentVariable(Variable);
            if (!string.IsNullOrWhiteSpace(configured))
            {
                return configured;
            }

            if (OperatingSystem.IsWindows())
            {
                string local = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData);
                return local.Length > 0 ? Path.Combine(local, "BitNative") : null;
            }

            string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            if (!string.IsNullOrWhiteSpace(xdg))
            {
                return Path.Combine(xdg, "bitnative");
            }

            string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            return home.Length > 0 ? Path.Combine(home, ".cache", "bitnative") : null;
        }
    }
}
