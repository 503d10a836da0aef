using System.CommandLine;
using BitNative.Trainer.Commands;

// BitNative.Trainer: corpus -> tokenizer -> train -> export -> eval -> plot (build/train-default-model.sh runs them all).
var root = new RootCommand("BitNative QAT trainer: trains the small BitNet b1.58 model shipped as models/default.gguf")
{
    CorpusCommand.Create(),
    TokenizerCommand.Create(),
    TrainCommand.Create(),
    ExportCommand.Create(),
    EvalCommand.Create(),
    PlotCommand.Create(),
    InjectOutliersCommand.Create(),
};

try
{
    return await root.Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (Exception e) when (e is ArgumentException or InvalidDataException or InvalidOperationException or IOException
                              or UnauthorizedAccessException)
{
    Console.Out.Flush();
    Console.Error.WriteLine($"error: {e.Message}");
    return e is BitNative.Formats.OutputFileException ? 3 : 1; // the exit codes of bitnative: 3 = an output could not be written
}
