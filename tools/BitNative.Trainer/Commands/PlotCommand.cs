using System.CommandLine;
using BitNative.Trainer.Plot;

namespace BitNative.Trainer.Commands;

/// <summary><c>plot</c>: a run's log.csv -> SVG loss curve.</summary>
internal static class PlotCommand
{
    public static Command Create()
    {
        var log = new Option<FileInfo>("--log") { Description = "log.csv of a run", Required = true };
        var output = new Option<FileInfo>("--out") { Description = "SVG file to write", Required = true };
        var title = new Option<string>("--title") { DefaultValueFactory = _ => "BitNative default model (BitNet b1.58, Brown corpus): loss" };
        var command = new Command("plot", "Draw the loss curve of a run as SVG") { log, output, title };
        command.SetAction(r =>
        {
            BitNative.Formats.AtomicFile.WriteAllText(r.GetValue(output)!.FullName, LossCurveSvg.Render(LossCurveSvg.ReadLog(r.GetValue(log)!.FullName), r.GetValue(title)!));
            Console.WriteLine($"wrote {r.GetValue(output)!.FullName}");
        });
        return command;
    }
}
