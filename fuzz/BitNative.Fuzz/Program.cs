using BitNative.Fuzz;
using SharpFuzz;

// BitNative.Fuzz TARGET              run TARGET under libFuzzer (started by fuzz/driver through build/fuzz.sh)
// BitNative.Fuzz TARGET FILE...      run TARGET once on each file and say which, if any, broke the target's contract
// BitNative.Fuzz seeds DIR           write the seed corpus (DIR/<target>/...) from the project's own writers
// BitNative.Fuzz list                the targets
if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.Error.WriteLine("usage: BitNative.Fuzz TARGET [FILE...] | seeds DIR | list");
    Console.Error.WriteLine($"targets: {string.Join(", ", FuzzTargets.All.Select(t => t.Name))}");
    return 2;
}

if (args[0] == "list")
{
    foreach (FuzzTarget t in FuzzTargets.All)
    {
        Console.WriteLine($"{t.Name,-14} {t.Description}");
    }

    return 0;
}

if (args[0] == "seeds")
{
    if (args.Length != 2)
    {
        Console.Error.WriteLine("usage: BitNative.Fuzz seeds DIR");
        return 2;
    }

    SeedCorpus.Write(args[1]);
    return 0;
}

FuzzTarget? target = FuzzTargets.Find(args[0]);
if (target is null)
{
    Console.Error.WriteLine($"unknown target '{args[0]}'; targets: {string.Join(", ", FuzzTargets.All.Select(t => t.Name))}");
    return 2;
}

if (args.Length > 1)
{
    int failed = 0;
    foreach (string file in args[1..])
    {
        try
        {
            target.Run(File.ReadAllBytes(file));
            Console.WriteLine($"ok      {file}");
        }
        catch (Exception e)
        {
            failed++;
            Console.WriteLine($"FAILED  {file}: {e}");
        }
    }

    return failed == 0 ? 0 : 1;
}

if (Environment.GetEnvironmentVariable("__LIBFUZZER_SHM_ID") is null)
{
    Console.Error.WriteLine("not started by the libFuzzer driver (build/fuzz.sh); to replay inputs: BitNative.Fuzz TARGET FILE...");
    return 2;
}

// An exception that escapes the target is a finding: SharpFuzz prints it and reports it to the driver, which aborts
// so that libFuzzer saves the input.
Fuzzer.LibFuzzer.Run(target.Run);
return 0;
