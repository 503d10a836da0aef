using BitNative.Formats;
using BitNative.Formats.Gguf;
using BitNative.Formats.Safetensors;
using Xunit;

namespace BitNative.Tests.Formats;

/// <summary>Runs the loaders over the generated corpora: each defect must end in one clear BitNativeFormatException.</summary>
public sealed class MalformedFileTests : TempFolderTests
{
    [Fact]
    public void Gguf_corpus_covers_at_least_twenty_distinct_defects()
    {
        var cases = MalformedGgufCorpus.Cases().ToList();
        Assert.True(cases.Count >= 20, $"only {cases.Count} cases");
        Assert.Equal(cases.Count, cases.Select(c => c.Name).Distinct().Count());
    }

    [Fact]
    public void Every_malformed_gguf_file_is_rejected_with_a_message_naming_the_defect()
    {
        var failures = new List<string>();
        foreach (MalformedCase c in MalformedGgufCorpus.Cases())
        {
            // Through a real file (memory-mapped) and through memory: both paths must agree.
            string path = Folder.Write(FileName(c.Name, ".gguf"), c.Bytes);
            Check(c, path, () => GgufFile.Open(path).Dispose(), failures);
            Check(c, "mem.gguf", () => GgufFile.Parse(c.Bytes, "mem.gguf").Dispose(), failures);
        }

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    [Fact]
    public void Every_malformed_safetensors_file_is_rejected_with_a_message_naming_the_defect()
    {
        var failures = new List<string>();
        foreach (MalformedCase c in MalformedSafetensorsCorpus.Cases())
        {
            string path = Folder.Write(FileName(c.Name, ".safetensors"), c.Bytes);
            Check(c, path, () => SafetensorsFile.Open(path).Dispose(), failures);
            Check(c, "mem.safetensors", () => SafetensorsFile.Parse(c.Bytes, "mem.safetensors").Dispose(), failures);
        }

        Assert.True(MalformedSafetensorsCorpus.Cases().Count() >= 20);
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    [Fact]
    public void The_valid_seeds_of_the_corpora_load()
    {
        using (GgufFile gguf = GgufFile.Parse(MalformedGgufCorpus.ValidSmallFile(), "seed.gguf"))
        {
            Assert.Equal(4, gguf.Tensors.Count);
            Assert.Equal(0.5f, gguf.GetI2SScale(gguf.GetTensor("blk.0.attn_q.weight")));
        }

        using SafetensorsFile st = SafetensorsFile.Parse(MalformedSafetensorsCorpus.ValidSmallFile(), "seed.safetensors");
        Assert.Equal(3, st.Tensors.Count);
        Assert.Equal("pt", st.Metadata["format"]);
    }

    private static void Check(MalformedCase c, string path, Action open, List<string> failures)
    {
        try
        {
            open();
            failures.Add($"{c.Name}: loaded without error");
        }
        catch (BitNativeFormatException e)
        {
            if (!e.Message.Contains(c.ExpectedMessage, StringComparison.Ordinal) || !e.Message.Contains(path, StringComparison.Ordinal))
            {
                failures.Add($"{c.Name}: message \"{e.Message}\" lacks \"{c.ExpectedMessage}\" or the path");
            }
        }
        catch (Exception e)
        {
            failures.Add($"{c.Name}: {e.GetType().Name} escaped: {e.Message}");
        }
    }

    private static string FileName(string caseName, string extension) =>
        new string(caseName.Select(ch => char.IsLetterOrDigit(ch) ? ch : '-').ToArray()) + extension;
}
