// PROVISIONAL entry point; the libclang-based generator replaces it.
Console.Error.WriteLine("BindGen: not yet implemented");
return 1;
