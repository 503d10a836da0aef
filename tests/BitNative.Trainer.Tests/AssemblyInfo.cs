// Gemm.Threads is process-wide (the trainer sets it once from --threads); tests that change it must not overlap.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
