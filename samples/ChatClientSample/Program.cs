// A local ternary model behind Microsoft.Extensions.AI's IChatClient: the same code talks to OpenAI, Ollama or
// BitNative by swapping the inner client. Streaming, options, usage and middleware all go through the abstraction.
using BitNative;
using BitNative.Chat;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using ChatMessage = Microsoft.Extensions.AI.ChatMessage; // BitNative has its own ChatMessage for sessions

string modelPath = args.Length > 0 ? args[0] : Path.Combine(AppContext.BaseDirectory, "models", "default.gguf");
using BitNetModel model = BitNetModel.Load(modelPath, new ModelOptions { Threads = 2 });
using ILoggerFactory logging = LoggerFactory.Create(b => b.AddSimpleConsole().SetMinimumLevel(LogLevel.Information));
using IChatClient client = new ChatClientBuilder(new BitNetChatClient(model))
    .UseLogging(logging)
    .Build();

var options = new ChatOptions { MaxOutputTokens = 48, Temperature = 0.7f, TopP = 0.95f, Seed = 42, StopSequences = ["\n\n"] };
List<ChatMessage> chat = [new(ChatRole.System, "You are a helpful assistant."), new(ChatRole.User, "Tell me about the sea.")];

var updates = new List<ChatResponseUpdate>();
await foreach (ChatResponseUpdate update in client.GetStreamingResponseAsync(chat, options))
{
    Console.Write(update.Text);
    updates.Add(update);
}

ChatResponse response = updates.ToChatResponse();
Console.WriteLine();
Console.WriteLine($"[{response.FinishReason}, {response.Usage?.InputTokenCount} prompt + {response.Usage?.OutputTokenCount} generated tokens]");
