using System.CommandLine;
using BitNative.Trainer.Plot;

namespace BitNative.Trainer.Commands;

/// <summary><c>plot</c>: a run's log.csv -> SVG loss curve, or a precision ladder CSV -> SVG perplexity against bits per weight.</summary>
internal static class PlotCommand
{
    public static Command Create()
    {
        var log = new Option<FileInfo?>("--log") { Description = "log.csv of a run (loss curve)" };
        var ladder = new Option<FileInfo?>("--ladder") { Description = "name,bits,ppl,kind rows (precision ladder; kind ptq or qat)" };
        var output = TrainerOptions.Required<FileInfo>("--out", "SVG file to write");
        var title = new Option<string?>("--title") { Description = "Title (a default per plot)" };
        var command = new Command("plot", "Draw the loss curve of a run, or the precision ladder, as SVG") { log, ladder, output, title };
        command.SetAction(r =>
        {
            string svg = (r.GetValue(log), r.GetValue(ladder)) switch
            {
                ({ } l, null) => LossCurveSvg.Render(LossCurveSvg.ReadLog(l.FullName),
                    r.GetValue(title) ?? "BitNative default model (BitNet b1.58, Brown corpus): loss"),
                (null, { } p) => LadderSvg.Render(LadderSvg.Read(p.FullName),
                    r.GetValue(title) ?? "Precision ladder: held-out perplexity against bits per projection weight"),
                _ => throw new ArgumentException("Give --log FILE or --ladder FILE."),
            };
            BitNative.Formats.AtomicFile.WriteAllText(r.GetPath(output), svg);
            Console.WriteLine($"wrote {r.GetPath(output)}");
        });
        return command;
    }
}
