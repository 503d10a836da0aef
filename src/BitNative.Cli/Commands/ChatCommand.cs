using BitNative.Generation;
using System.CommandLine;

namespace BitNative.Cli.Commands;

/// <summary><c>bitnative chat</c>: an interactive, multi-turn conversation with the model's chat format.</summary>
internal static class ChatCommand
{
    public static Command Create()
    {
        var model = new ModelArguments();
        var sampling = new SamplingArguments();
        var system = new Option<string?>("--system") { Description = "System message" };
        var command = new Command("chat", "Chat with the model (type /exit or end input to quit, /reset to start over)");
        model.AddTo(command);
        sampling.AddTo(command);
        command.Options.Add(system);
        command.SetAction(async (r, ct) =>
        {
            var (m, loadTime) = model.Load(r);
            using (m)
            {
                GenerationSettings settings = sampling.Read(r, m.Config.VocabSize);
                using InferenceSession session = m.CreateSession();
                var messages = new List<ChatMessage>();
                if (r.GetValue(system) is { Length: > 0 } sys)
                {
                    messages.Add(ChatMessage.System(sys));
                }

                bool interactive = !Console.IsInputRedirected;
                Console.Error.WriteLine($"loaded {m.Source} in {loadTime.TotalMilliseconds:F0} ms ({m.Config.ArchitectureName}, {m.KernelIsa}, {m.Kernel}, recipe {m.Recipe.Describe()}); /exit to quit");
                while (!ct.IsCancellationRequested)
                {
                    if (interactive)
                    {
                        Console.Error.Write("> ");
                    }

                    string? line = Console.In.ReadLine();
                    if (line is null || line.Trim() == "/exit")
                    {
                        break;
                    }

                    if (line.Trim() == "/reset")
                    {
                        messages.RemoveAll(x => x.Role != "system");
                        session.Reset();
                        continue;
                    }

                    if (line.Length == 0)
                    {
                        continue;
                    }

                    messages.Add(ChatMessage.User(line));
                    var reply = new System.Text.StringBuilder();
                    try
                    {
                        await foreach (string piece in session.ChatAsync(messages, settings, ct))
                        {
                            reply.Append(piece);
                            Console.Out.Write(piece);
                            Console.Out.Flush();
                        }
                    }
                    catch (ContextLengthExceededException e)
                    {
                        Console.Error.WriteLine($"error: {e.Message}");
                        messages.RemoveAt(messages.Count - 1);
                        continue;
                    }

                    Console.Out.WriteLine();
                    messages.Add(ChatMessage.Assistant(reply.ToString()));
                    if (session.LastStatistics is { } s)
                    {
                        Console.Error.WriteLine($"[{s.GeneratedTokens} tokens, {s.GenerationTokensPerSecond:F1} tok/s, context {session.Position}/{session.ContextLength}]");
                    }
                }
            }

            return 0;
        });
        return command;
    }
}
