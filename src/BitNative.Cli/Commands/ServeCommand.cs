using System.CommandLine;
using System.Net;
using BitNative.Cli.Serving;
using BitNative.Formats;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace BitNative.Cli.Commands;

/// <summary>
/// <c>bitnative serve</c>: an OpenAI-compatible HTTP server (chat and text completions, streaming, models, health,
/// Prometheus metrics, tokenize / detokenize) whose --parallel slots are decoded together. It listens at once and loads
/// the model in the background: /health answers 503 until the model is ready.
/// </summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var model = new ModelArguments();
        var host = new Option<string>("--host") { Description = "Address to listen on (loopback by default; 0.0.0.0 for all interfaces)", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "Port (0: any free port, printed at start)", DefaultValueFactory = _ => 8080 };
        var parallel = new Option<int>("--parallel", "-np") { Description = "Requests decoded together (slots, each with its own --ctx-size KV cache)", DefaultValueFactory = _ => 4 };
        var queue = new Option<int>("--queue") { Description = "Requests that may wait for a free slot; beyond that the server answers 503 with Retry-After", DefaultValueFactory = _ => 64 };
        var apiKey = new Option<string?>("--api-key") { Description = "Require 'Authorization: Bearer KEY' on every route but /health (default: $BITNATIVE_API_KEY, else none)" };
        var alias = new Option<string?>("--alias") { Description = "Model name reported by /v1/models and in responses (default: the file name)" };
        var command = new Command("serve", "Serve the model over an OpenAI-compatible HTTP API (continuous batching of --parallel streams)");
        model.AddTo(command);
        foreach (Option o in new Option[] { host, port, parallel, queue, apiKey, alias })
        {
            command.Options.Add(o);
        }

        model.Context.Description = "KV-cache positions of each slot: prompt plus reply (default: the model's context length)";
        command.SetAction(async (r, ct) =>
        {
            string path = ModelLocator.Resolve(r.GetValue(model.Model));
            InputFile.RequireFileOrFolder(path); // before listening: a FIFO or a typo fails at once, not in the background load

            string address = r.GetValue(host)!;
            if (!IPAddress.TryParse(address, out _))
            {
                throw new CliException($"--host {address} is not an IP address (e.g. 127.0.0.1, 0.0.0.0, ::).");
            }

            int p = r.GetValue(port), slots = r.GetValue(parallel), waiting = r.GetValue(queue);
            if (p is < 0 or > 65535 || slots is < 1 or > 256 || waiting < 0)
            {
                throw new CliException("serve needs --port in 0..65535, --parallel in 1..256 and --queue >= 0.");
            }

            string? key = r.GetValue(apiKey) ?? Environment.GetEnvironmentVariable("BITNATIVE_API_KEY");
            var settings = new ServerSettings(path, model.Options(r), address, p, slots, waiting, string.IsNullOrEmpty(key) ? null : key,
                r.GetValue(alias) ?? Path.GetFileNameWithoutExtension(Path.TrimEndingDirectorySeparator(path)), r.GetValue(model.ForceContext));
            return await Run(settings, ct);
        });
        return command;
    }

    private static async Task<int> Run(ServerSettings settings, CancellationToken ct)
    {
        using var host = new ModelHost(settings);
        var metrics = new ServerMetrics();
        await using WebApplication app = ServerApp.Build(settings, host, metrics);
        await app.StartAsync(ct);
        string url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Console.Out.WriteLine($"bitnative serve: listening on {url} (loading {settings.ModelPath})");
        Console.Out.Flush();
        try
        {
            await host.LoadAsync().WaitAsync(ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            (int code, string message) = CliErrors.Classify(e);
            Console.Error.WriteLine($"error: loading {settings.ModelPath} failed: {message}");
            await app.StopAsync(CancellationToken.None);
            return code;
        }

        BatchedGenerator generator = host.Generator;
        Console.Out.WriteLine($"bitnative serve: ready: model '{settings.ModelName}', {generator.Slots} slots of {generator.ContextLength} positions, " +
            $"{generator.Model.Threads} threads, {generator.Model.KernelIsa}{(settings.ApiKey is null ? "" : ", API key required")}");
        Console.Out.Flush();
        try
        {
            await app.WaitForShutdownAsync(ct);
        }
        catch (OperationCanceledException)
        {
        }

        return 0;
    }
}
