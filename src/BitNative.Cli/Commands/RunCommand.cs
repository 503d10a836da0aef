using BitNative.Generation;
using System.CommandLine;

namespace BitNative.Cli.Commands;

/// <summary><c>bitnative run</c>: continue a prompt and stream the text to stdout.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var model = new ModelArguments();
        var sampling = new SamplingArguments();
        var prompt = new Option<string>("--prompt", "-p") { Description = "Prompt text", DefaultValueFactory = _ => "" };
        var file = new Option<FileInfo?>("--file", "-f") { Description = "Read the prompt from a file" };
        var command = new Command("run", "Generate text from a prompt");
        model.AddTo(command);
        sampling.AddTo(command);
        command.Options.Add(prompt);
        command.Options.Add(file);
        command.SetAction(async (r, ct) =>
        {
            string text = r.GetValue(file) is { } f ? await File.ReadAllTextAsync(f.FullName, ct) : r.GetValue(prompt)!;
            var (m, loadTime) = model.Load(r);
            using (m)
            {
                GenerationSettings settings = sampling.Read(r, m.Config.VocabSize);
                using InferenceSession session = m.CreateSession();
                await foreach (string piece in session.GenerateAsync(text, settings, ct))
                {
                    Console.Out.Write(piece);
                    Console.Out.Flush();
                }

                Console.Out.WriteLine();
                Reporting.Statistics(session.LastStatistics, loadTime);
                if (m.Recipe != Model.ModelRecipe.B158)
                {
                    Console.Error.WriteLine($"recipe {m.Recipe.Describe()} | KV cache {Reporting.Mib(session.KvCacheBytes)}");
                }
            }

            return 0;
        });
        return command;
    }
}
