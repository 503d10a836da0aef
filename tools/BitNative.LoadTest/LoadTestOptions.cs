using System.Globalization;

namespace BitNative.LoadTest;

/// <summary>What to run: <c>--url URL --streams N --seconds S --max-tokens T [--api-key KEY] [--temperature X]</c>.</summary>
internal sealed record LoadTestOptions(Uri Url, int Streams, int Seconds, int MaxTokens, string? ApiKey, double Temperature)
{
    public static LoadTestOptions Parse(string[] args)
    {
        var values = new Dictionary<string, string>();
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            values[args[i]] = args[i + 1];
        }

        string Get(string name, string fallback) => values.TryGetValue(name, out string? v) ? v : fallback;
        int Int(string name, int fallback) => int.Parse(Get(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
        var options = new LoadTestOptions(new Uri(Get("--url", "http://127.0.0.1:8080")), Int("--streams", 32), Int("--seconds", 60),
            Int("--max-tokens", 64), values.GetValueOrDefault("--api-key"),
            double.Parse(Get("--temperature", "0.8"), CultureInfo.InvariantCulture));
        if (options.Streams < 1 || options.Seconds < 1 || options.MaxTokens < 1)
        {
            throw new ArgumentException("--streams, --seconds and --max-tokens must be positive.");
        }

        return options;
    }
}
