using BitNative.Authoring.Synthetic;
using System.Diagnostics;
using System.Net.Http.Headers;
using BitNative.Tests.Formats;

namespace BitNative.Tests.Serving;

/// <summary>
/// A real <c>bitnative serve</c> process (BitNative.Cli.dll next to the tests) on a free loopback port, over a synthetic
/// tiny model, with an API key; the tests talk to it with real HTTP clients.
/// </summary>
public sealed class ServerFixture : IDisposable
{
    public const string ApiKey = "test-key";
    public const int Slots = 4;
    public const int QueueLimit = 8;
    public const int ContextLength = 16384; // an endless stream keeps its slot for seconds even when a loaded machine delays the client's cancel (past tiny's 512: --force-ctx)

    private readonly TempFolder _folder = new();
    private readonly Process _process;

    public ServerFixture()
    {
        ModelPath = _folder.File("tiny.gguf");
        SyntheticModelWriter.Write(SyntheticModelSpec.Parse("tiny", SyntheticWeights.I2S, SyntheticHead.F16, "bitnet-b1.58", 21, null), ModelPath);
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[]
                 {
                     Path.Combine(AppContext.BaseDirectory, "BitNative.Cli.dll"), "serve", "-m", ModelPath, "--port", "0", "--parallel", $"{Slots}",
                     "--queue", $"{QueueLimit}", "-c", $"{ContextLength}", "--force-ctx", "-t", "2", "--api-key", ApiKey, "--alias", "tiny-test",
                 })
        {
            info.ArgumentList.Add(a);
        }

        _process = Process.Start(info)!;
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginErrorReadLine();
        var clock = Stopwatch.StartNew();
        while (BaseUrl is null)
        {
            Task<string?> line = _process.StandardOutput.ReadLineAsync();
            if (!line.Wait(TimeSpan.FromSeconds(60)) || line.Result is null)
            {
                Dispose();
                throw new InvalidOperationException("bitnative serve did not print its address.");
            }

            const string marker = "listening on ";
            int at = line.Result.IndexOf(marker, StringComparison.Ordinal);
            if (at >= 0)
            {
                BaseUrl = new Uri(line.Result[(at + marker.Length)..].Split(' ')[0]);
            }
        }

        _ = _process.StandardOutput.ReadToEndAsync(); // keep the pipe drained
        Http = NewHttp(ApiKey);
        while (Http.GetAsync("/health").Result.StatusCode != System.Net.HttpStatusCode.OK)
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(60))
            {
                Dispose();
                throw new TimeoutException("bitnative serve did not become ready in 60 s.");
            }

            Thread.Sleep(50);
        }

        Model = BitNetModel.Load(ModelPath, new ModelOptions { Threads = 1, ContextLength = ContextLength });
    }

    public Uri BaseUrl { get; } = null!;

    public string ModelPath { get; }

    /// <summary>The same model in this process: what a request gives when it runs alone.</summary>
    public BitNetModel Model { get; }

    /// <summary>A client with the key set.</summary>
    public HttpClient Http { get; }

    public HttpClient NewHttp(string? key)
    {
        var http = new HttpClient { BaseAddress = BaseUrl, Timeout = TimeSpan.FromSeconds(60) };
        if (key is not null)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return http;
    }

    /// <summary>A gauge or counter from /metrics.</summary>
    public double Metric(string name)
    {
        string text = Http.GetStringAsync("/metrics").Result;
        string line = text.Split('\n').Single(l => l.StartsWith(name + " ", StringComparison.Ordinal));
        return double.Parse(line[(name.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }

        _process.Dispose();
        Http?.Dispose();
        Model?.Dispose();
        _folder.Dispose();
    }
}
