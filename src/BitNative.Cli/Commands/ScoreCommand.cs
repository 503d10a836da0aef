using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using BitNative.Formats;

namespace BitNative.Cli.Commands;

/// <summary>
/// <c>bitnative score</c>: teacher-forced logits of every position, written as little-endian float32
/// [n_tokens, n_vocab], with the scored ids on stdout, so engines can be compared number by number.
/// </summary>
internal static class ScoreCommand
{
    public static Command Create()
    {
        var model = new ModelArguments();
        var prompt = new Option<string?>("--prompt", "-p") { Description = "Text to score (BOS added when the model adds it)" };
        var ids = new Option<string?>("--ids") { Description = "Comma-separated token ids to score, used as given" };
        var output = new Option<FileInfo>("--save-logits") { Description = "Output file of float32 logits", Required = true };
        var command = new Command("score", "Write teacher-forced logits for every position");
        model.AddTo(command);
        command.Options.Add(prompt);
        command.Options.Add(ids);
        command.Options.Add(output);
        command.Validators.Add(r =>
        {
            if ((r.GetValue(prompt) is null) == (r.GetValue(ids) is null))
            {
                r.AddError("Give exactly one of --prompt and --ids.");
            }
        });
        command.SetAction(r =>
        {
            var (m, _) = model.Load(r);
            using (m)
            {
                int[] tokens = r.GetValue(ids) is { } list ? ParseIds(list) : m.Tokenize(r.GetValue(prompt)!, addBos: m.AddsBos);
                if (tokens.Length == 0)
                {
                    throw new CliException("Nothing to score: the input has no tokens.", ExitCodes.Input);
                }

                if (!BitConverter.IsLittleEndian)
                {
                    throw new CliException("score writes little-endian float32; this machine is big-endian.", ExitCodes.Environment);
                }

                using InferenceSession session = m.CreateSession();
                float[] logits = session.EvaluateAll(tokens);
                AtomicFile.Write(r.GetValue(output)!.FullName, stream => stream.Write(MemoryMarshal.AsBytes(logits.AsSpan())));

                Console.Out.WriteLine(string.Join(",", tokens));
                Console.Error.WriteLine($"{tokens.Length} tokens x {m.Config.VocabSize} logits -> {r.GetValue(output)!.FullName}");
            }

            return 0;
        });
        return command;
    }

    private static int[] ParseIds(string list)
    {
        string[] parts = list.Split(',', StringSplitOptions.TrimEntries);
        var result = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (parts[i].Length == 0)
            {
                throw new CliException($"--ids {list}: item {i + 1} is empty (ids are separated by single commas).");
            }

            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out result[i]))
            {
                throw new CliException($"--ids {list}: '{parts[i]}' is not a token id.");
            }
        }

        return result;
    }
}
