using System.Text;
using BindGen;
using BindGen.Emit;
using BindGen.Model;

// BindGen: native/include/bitnative.h --(libclang)--> HeaderModel --> NativeMethods.g.cs + LayoutTests.g.cs.
//
//   dotnet run --project build/BindGen -- [--header PATH] [--out PATH] [--tests-out PATH] [--check]
//
// Exit codes: 0 written or up to date; 1 --check found a stale or missing file; 2 an error
// (bad arguments, header missing or not compiling, libclang missing, a declaration that cannot be mapped).


try
{
    Options options = Options.Parse(args);
    if (options.Help)
    {
        Console.WriteLine(Options.Usage);
        return 0;
    }

    HeaderModel model = HeaderParser.Parse(options.Header, options.HeaderName, Console.Error);
    var outputs = new (string Path, string Text)[]
    {
        (options.Out, BindingsEmitter.Emit(model)),
        (options.TestsOut, LayoutTestsEmitter.Emit(model)),
    };

    return options.Check ? Check(outputs, options) : Write(outputs);
}
catch (BindGenException e)
{
    Console.Error.WriteLine($"bindgen: error: {e.Message}");
    return 2;
}

static int Write((string Path, string Text)[] outputs)
{
    foreach ((string path, string text) in outputs)
    {
        // Rewriting an identical file would only bump its timestamp and trigger rebuilds.
        if (File.Exists(path) && File.ReadAllText(path) == text)
        {
            Console.WriteLine($"bindgen: up to date {path}");
            continue;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, text, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        Console.WriteLine($"bindgen: wrote {path}");
    }

    return 0;
}

static int Check((string Path, string Text)[] outputs, Options options)
{
    int stale = 0;
    foreach ((string path, string text) in outputs)
    {
        if (!File.Exists(path))
        {
            Console.Error.WriteLine($"bindgen: {path} is missing");
            stale++;
        }
        else if (File.ReadAllText(path) is var onDisk && onDisk != text)
        {
            Console.Error.WriteLine($"bindgen: {path} is stale:");
            Console.Error.Write(DiffSummary.Of(onDisk, text));
            stale++;
        }
        else
        {
            Console.WriteLine($"bindgen: up to date {path}");
        }
    }

    if (stale == 0)
    {
        return 0;
    }

    Console.Error.WriteLine($"bindgen: {stale} generated file(s) differ from {options.HeaderName}; regenerate with:");
    Console.Error.WriteLine($"  {options.RegenerateCommand}");
    return 1;
}

/// <summary>Command-line options with paths resolved against the repository root.</summary>
internal sealed record Options(string Header, string HeaderName, string Out, string TestsOut, bool Check, bool Help,
    string RegenerateCommand)
{
    public const string Usage = """
        usage: dotnet run --project build/BindGen -- [--header PATH] [--out PATH] [--tests-out PATH] [--check]

          --header PATH     C header to read (default: <repo>/native/include/bitnative.h)
          --out PATH        bindings to write (default: <repo>/src/BitNative/Interop/NativeMethods.g.cs)
          --tests-out PATH  layout tests to write (default: <repo>/tests/BitNative.Kernels.Tests/Interop/LayoutTests.g.cs)
          --check           write nothing; exit 1 if the files on disk differ from what would be generated

        <repo> is the nearest directory above the current one (or above this tool) holding BitNative.sln.
        Environment: BINDGEN_LIBCLANG (libclang to load), BINDGEN_CLANG_RESOURCE_DIR (clang's resource dir).
        Exit codes: 0 ok, 1 stale files (--check), 2 error.
        """;

    public static Options Parse(string[] args)
    {
        string? header = null, output = null, testsOut = null;
        bool check = false, help = false;
        var passThrough = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--header": header = Value(args, ref i); passThrough.Add($"--header {header}"); break;
                case "--out": output = Value(args, ref i); passThrough.Add($"--out {output}"); break;
                case "--tests-out": testsOut = Value(args, ref i); passThrough.Add($"--tests-out {testsOut}"); break;
                case "--check": check = true; break;
                case "-h" or "--help": help = true; break;
                default: throw new BindGenException($"unknown argument '{args[i]}'\n{Usage}");
            }
        }

        string? root = FindRepoRoot();
        if (root is null && (header is null || output is null || testsOut is null))
        {
            throw new BindGenException(
                "cannot find the repository root (a directory holding BitNative.sln) above the current directory; " +
                "run from inside the repository or pass --header, --out and --tests-out");
        }

        header = Path.GetFullPath(header ?? Path.Combine(root!, "native", "include", "bitnative.h"));
        output = Path.GetFullPath(output ?? Path.Combine(root!, "src", "BitNative", "Interop", "NativeMethods.g.cs"));
        testsOut = Path.GetFullPath(testsOut ??
            Path.Combine(root!, "tests", "BitNative.Kernels.Tests", "Interop", "LayoutTests.g.cs"));

        // The name written into the generated files must not depend on where the repository is.
        string headerName = root is not null && !Path.GetRelativePath(root, header).StartsWith("..", StringComparison.Ordinal)
            ? Path.GetRelativePath(root, header).Replace('\\', '/')
            : Path.GetFileName(header);

        string command = "dotnet run --project build/BindGen" +
            (passThrough.Count > 0 ? " -- " + string.Join(' ', passThrough) : "");
        return new Options(header, headerName, output, testsOut, check, help, command);
    }

    private static string Value(string[] args, ref int i) =>
        i + 1 < args.Length ? args[++i] : throw new BindGenException($"{args[i]} needs a value");

    private static string? FindRepoRoot()
    {
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (DirectoryInfo? dir = new(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "BitNative.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        return null;
    }
}

/// <summary>A short unified-style diff of a file on disk against the generated text.</summary>
internal static class DiffSummary
{
    private const int MaxOutputLines = 40;
    private const int Context = 1;

    // A plain LCS line diff: generated files are a few hundred lines, so O(n*m) is instant.
    public static string Of(string onDisk, string generated)
    {
        var text = new StringBuilder();
        if (onDisk.Contains('\r'))
        {
            text.Append("  (the file on disk has CR characters; generated files use LF line endings)\n");
        }

        string[] a = onDisk.Replace("\r\n", "\n").Split('\n');
        string[] b = generated.Split('\n');
        var lcs = new int[a.Length + 1, b.Length + 1];
        for (int i = a.Length - 1; i >= 0; i--)
        {
            for (int j = b.Length - 1; j >= 0; j--)
            {
                lcs[i, j] = a[i] == b[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
            }
        }

        // The edit script: (' ', line) kept, ('-', line) only on disk, ('+', line) only generated.
        var script = new List<(char Sign, string Line, int OldLine, int NewLine)>();
        for (int i = 0, j = 0; i < a.Length || j < b.Length;)
        {
            if (i < a.Length && j < b.Length && a[i] == b[j])
            {
                script.Add((' ', a[i], ++i, ++j));
            }
            else if (i < a.Length && (j == b.Length || lcs[i + 1, j] >= lcs[i, j + 1]))
            {
                script.Add(('-', a[i], ++i, j));
            }
            else
            {
                script.Add(('+', b[j], i, ++j));
            }
        }

        int written = 0, lastShown = -1;
        for (int k = 0; k < script.Count && written < MaxOutputLines; k++)
        {
            bool nearChange = false;
            for (int d = Math.Max(0, k - Context); d <= Math.Min(script.Count - 1, k + Context); d++)
            {
                nearChange |= script[d].Sign != ' ';
            }

            if (!nearChange)
            {
                continue;
            }

            if (k != lastShown + 1)
            {
                text.Append($"  @@ line {script[k].OldLine} on disk, {script[k].NewLine} generated @@\n");
            }

            text.Append($"  {script[k].Sign}{script[k].Line}\n");
            lastShown = k;
            written++;
        }

        int changes = script.Count(s => s.Sign != ' ');
        if (written == MaxOutputLines)
        {
            text.Append($"  ... ({changes} changed line(s) in all)\n");
        }

        return text.ToString();
    }
}
