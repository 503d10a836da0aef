// HelloBitNative: load a BitNet b1.58 model through the BitNative NuGet package and generate a few tokens.
//   dotnet run -c Release -- MODEL.gguf ["prompt"] [max tokens]
// No model at hand? The bitnative tool writes a small synthetic one (random ternary weights, so the text is noise):
//   bitnative make-model --shape tiny -o tiny.gguf
using System.Diagnostics;
using BitNative;
using BitNative.Generation;

if (args.Length is < 1 or > 3)
{
    Console.Error.WriteLine("usage: HelloBitNative MODEL.gguf [PROMPT] [MAX_TOKENS]");
    return 2;
}

string modelPath = args[0];
string prompt = args.Length > 1 ? args[1] : "Once upon a time";
int maxTokens = args.Length > 2 ? int.Parse(args[2]) : 8;

var clock = Stopwatch.StartNew();
using BitNetModel model = BitNetModel.Load(modelPath);
Console.WriteLine($"model:   {model.Source} ({model.Config.BlockCount} layers, d_model {model.Config.EmbeddingLength}, vocabulary {model.Config.VocabSize})");
Console.WriteLine($"kernels: {model.KernelIsa}, {model.Threads} threads, loaded in {clock.ElapsedMilliseconds} ms");

using InferenceSession session = model.CreateSession();
var settings = new GenerationSettings
{
    MaxTokens = maxTokens,
    Sampling = SamplingOptions.Greedy,  // deterministic: the same model and prompt give the same tokens
    StopOnEndOfGeneration = false,      // a random synthetic model may "end" at once; generate all tokens anyway
};

Console.WriteLine($"prompt:  {prompt}");
var pieces = new List<string>();
await foreach (string piece in session.GenerateAsync(prompt, settings))
{
    pieces.Add(piece);
}

// The text as it streamed in, one piece per line (a piece is a token's text, or several tokens' when a UTF-8
// character spans them), escaped so spaces and control characters stay visible.
for (int i = 0; i < pieces.Count; i++)
{
    Console.WriteLine($"  piece {i + 1}: \"{Escape(pieces[i])}\"");
}

Console.WriteLine($"output:  \"{Escape(prompt + string.Concat(pieces))}\"");

GenerationStatistics stats = session.LastStatistics!;
Console.WriteLine($"generated {stats.GeneratedTokens} tokens ({stats.FinishReason}), {stats.GenerationTokensPerSecond:F1} tokens/s");
return stats.GeneratedTokens > 0 ? 0 : 1;

static string Escape(string s) =>
    string.Concat(s.Select(c => c switch
    {
        '"' => "\\\"",
        '\\' => "\\\\",
        _ when char.IsControl(c) => $"\\u{(int)c:x4}",
        _ => c.ToString(),
    }));
