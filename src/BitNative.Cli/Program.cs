// PROVISIONAL entry point; the command set replaces it.
Console.Error.WriteLine("bitnative: commands are being built");
return 1;
