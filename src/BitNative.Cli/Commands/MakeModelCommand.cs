using BitNative.Authoring.Synthetic;
using System.CommandLine;
using System.Diagnostics;
using BitNative.Model;

namespace BitNative.Cli.Commands;

/// <summary><c>bitnative make-model</c>: write a synthetic model (random ternary weights, real formats) as GGUF.</summary>
internal static class MakeModelCommand
{
    public static Command Create()
    {
        var family = new Option<string?>("--family")
        {
            Description = "Write a file in a public family's exact layout (architecture, tensor names and types, keys, tokenizer, template): " +
                          string.Join(" | ", ModelFamily.All.Select(f => f.Id)) + ". --shape small (default) or full; --weights f16 writes the " +
                          "same values as dense F16 (for engines without the family's type)",
        };
        var shape = new Option<string?>("--shape") { Description = "tiny | small | 2b4t | custom:d=256,layers=2,ff=768,heads=4,kv=2,vocab=512,ctx=512 (with --family: small | 2b4t | full)" };
        var weights = new Option<string?>("--weights") { Description = "i2_s | tq2_0 | tq1_0 | f16 (default i2_s; with --family the family's type)" };
        var arch = new Option<string>("--arch") { Description = "bitnet-b1.58 (ReLU² FFN, bitnet.cpp) | bitnet (SiLU FFN, llama.cpp)", DefaultValueFactory = _ => "bitnet-b1.58" };
        var head = new Option<string>("--head") { Description = "f16 | q8_0 | q6_k | q4_0 | q4_k | q5_k (the tied embedding / output head)", DefaultValueFactory = _ => "f16" };
        var seed = new Option<int>("--seed") { Description = "Seed of the random weights", DefaultValueFactory = _ => 1 };
        var vocab = new Option<FileInfo?>("--vocab") { Description = "Hugging Face tokenizer.json to use (required for 2b4t)" };
        var output = new Option<FileInfo>("--output", "-o") { Description = "Output .gguf file", Required = true };
        var recipe = new Option<string?>("--recipe")
        {
            Description = "State a recipe in the file (b1.58, a4.8, v2-a8, v2: bitnative.* keys), so the engine runs it with those settings (random weights: for speed measurements)",
        };
        var command = new Command("make-model", "Write a synthetic BitNet model file (random ternary weights)");
        foreach (Option o in new Option[] { family, shape, weights, arch, head, seed, vocab, output, recipe })
        {
            command.Options.Add(o);
        }

        command.SetAction(r =>
        {
            if (r.GetValue(family) is { } familyId)
            {
                if (r.GetValue(recipe) is not null)
                {
                    throw new CliException("--recipe states an a4.8 / v2 recipe in a BitNet file; a --family file keeps its family's layout.");
                }

                return WriteFamily(familyId, r.GetValue(shape) ?? "small", r.GetValue(weights), r.GetValue(seed), r.GetValue(output)!.FullName);
            }

            SyntheticWeights w = (r.GetValue(weights) ?? "i2_s") switch
            {
                "i2_s" => SyntheticWeights.I2S,
                "tq2_0" => SyntheticWeights.Tq2,
                "tq1_0" => SyntheticWeights.Tq1,
                "f16" => SyntheticWeights.F16,
                var other => throw new CliException($"--weights {other} is not one of i2_s, tq2_0, tq1_0, f16."),
            };
            SyntheticHead h = r.GetValue(head) switch
            {
                "f16" => SyntheticHead.F16,
                "q8_0" => SyntheticHead.Q8_0,
                "q6_k" => SyntheticHead.Q6_K,
                "q4_0" => SyntheticHead.Q4_0,
                "q4_k" => SyntheticHead.Q4_K,
                "q5_k" => SyntheticHead.Q5_K,
                var other => throw new CliException($"--head {other} is not one of f16, q8_0, q6_k, q4_0, q4_k, q5_k."),
            };
            if (w == SyntheticWeights.I2S && r.GetValue(arch) == "bitnet")
            {
                throw new CliException("--arch bitnet files are for llama.cpp, which cannot read I2_S; use --weights tq2_0, tq1_0 or f16.");
            }

            string? vocabFile = r.GetValue(vocab)?.FullName;
            if (vocabFile is not null && !File.Exists(vocabFile))
            {
                throw new CliException($"--vocab {vocabFile} does not exist.");
            }

            SyntheticModelSpec spec;
            try
            {
                spec = SyntheticModelSpec.Parse(r.GetValue(shape) ?? "tiny", w, h, r.GetValue(arch)!, r.GetValue(seed), vocabFile) with
                {
                    Recipe = r.GetValue(recipe) is { } name ? Model.ModelRecipe.Parse(name) : null,
                };
            }
            catch (ArgumentException e)
            {
                throw new CliException(e.Message);
            }

            string path = r.GetValue(output)!.FullName;
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var clock = Stopwatch.StartNew();
            SyntheticModelWriter.Write(spec, path);
            Console.Error.WriteLine($"wrote {path}: {spec.ShapeName}, {r.GetValue(weights) ?? "i2_s"}, {spec.Architecture}, head {r.GetValue(head)}, " +
                                    $"{new FileInfo(path).Length / 1e6:F1} MB in {clock.Elapsed.TotalSeconds:F1} s");
            return 0;
        });
        return command;
    }

    private static int WriteFamily(string id, string shape, string? weights, int seed, string path)
    {
        ModelFamily family = ModelFamily.Find(id)
            ?? throw new CliException($"--family {id} is not one of {string.Join(", ", ModelFamily.All.Select(f => f.Id))}.");
        SyntheticWeights? w = weights switch
        {
            null => null,
            "f16" => SyntheticWeights.F16,
            _ when weights == ModelFamily.Stored(family.Weights).ToLowerInvariant() => family.Weights,
            _ => throw new CliException($"--weights {weights}: a {id} file stores {ModelFamily.Stored(family.Weights).ToLowerInvariant()} (or f16 for the same values)."),
        };
        SyntheticModelSpec spec;
        try
        {
            spec = SyntheticModelSpec.ForFamily(family, shape, w, seed);
        }
        catch (ArgumentException e)
        {
            throw new CliException(e.Message);
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var clock = Stopwatch.StartNew();
        SyntheticModelWriter.Write(spec, path);
        Console.Error.WriteLine($"wrote {path}: {family.Name}, {shape} shape, {ModelFamily.Stored(spec.Weights)} projections, " +
                                $"{new FileInfo(path).Length / 1e6:F1} MB in {clock.Elapsed.TotalSeconds:F1} s");
        return 0;
    }
}
