using BitNative.Kernels;
using System.Collections.Concurrent;
using System.Diagnostics;
using BitNative.Model;
using BitNative.Tokenization;

namespace BitNative.Generation;

/// <summary>
/// Continuous batching over a fixed set of slots, on one thread of its own. Each step gathers one row from every
/// decoding slot and a chunk of prompt rows from prefilling ones, runs them as one forward pass (every projection is
/// one matmul over all rows; RoPE, KV cache and attention per sequence), then samples each slot that has logits. A
/// request waits in a bounded queue until a slot is free; it joins at the next step. Cancelled requests leave their slot
/// before the next step is built, so a waiting request takes it over within one step.
/// </summary>
internal sealed class BatchScheduler : IDisposable
{
    private readonly Transformer _transformer;
    private readonly ByteLevelBpeTokenizer _tokenizer;
    private readonly GenerationSlot[] _slots;
    private readonly InferenceState _state;
    private readonly float[] _logits;           // [slots, vocab]: logits of each sequence's last row in a step
    private readonly SequenceRows[] _sequences; // [slots]: the step's sequences
    private readonly GenerationSlot[] _stepSlots; // [slots]: the slot of each sequence
    private readonly int[] _rows;               // [MaxTokens]: the step's token ids
    private readonly int _prefillChunk;
    private readonly int _idlePrefill;
    private readonly int _queueLimit;
    private readonly ConcurrentQueue<GenerationRequest> _queue = new();
    private readonly AutoResetEvent _wake = new(false);
    private readonly Thread _thread;
    private readonly StepWindow _window = new();
    private int _queued;      // submitted, not admitted yet
    private int _outstanding; // submitted, not completed yet
    private long _admissions;
    private volatile bool _stopping;

    // Counters read by other threads (Statistics).
    private long _steps, _promptTokens, _generatedTokens, _completed, _busySlots;

    public BatchScheduler(Transformer transformer, ByteLevelBpeTokenizer tokenizer, int slots, int contextLength, int prefillChunk,
        int idlePrefill, int queueLimit)
    {
        _transformer = transformer;
        _tokenizer = tokenizer;
        ModelConfig config = transformer.Config;
        _slots = new GenerationSlot[slots];
        for (int i = 0; i < slots; i++)
        {
            _slots[i] = new GenerationSlot(config, contextLength, transformer.Recipe.KvCache);
        }

        _prefillChunk = prefillChunk;
        _idlePrefill = Math.Max(prefillChunk, idlePrefill);
        _queueLimit = queueLimit;
        // A step holds at most one row per decoding slot plus the prefill budget.
        _state = new InferenceState(config, slots + _idlePrefill);
        _logits = new float[slots * config.VocabSize];
        _sequences = new SequenceRows[slots];
        _stepSlots = new GenerationSlot[slots];
        _rows = new int[_state.MaxTokens];
        ContextLength = contextLength;
        _thread = new Thread(Loop) { IsBackground = true, Name = "BitNative batch scheduler" };
        _thread.Start();
    }

    public int Slots => _slots.Length;

    /// <summary>Times the steps' forward passes part by part when set (bench --parallel --profile); set it while idle.</summary>
    public TransformerProfiler? Profiler
    {
        get => _state.Profiler;
        set => _state.Profiler = value;
    }

    public int ContextLength { get; }

    public int QueueLimit => _queueLimit;

    /// <summary>Queues a request; false when every slot is taken and QueueLimit requests already wait.</summary>
    public bool TryEnqueue(GenerationRequest request)
    {
        // Counted from submission to completion, so a request the loop has not admitted yet still holds its place.
        if (Interlocked.Increment(ref _outstanding) > _slots.Length + _queueLimit)
        {
            Interlocked.Decrement(ref _outstanding);
            return false;
        }

        Interlocked.Increment(ref _queued);
        _queue.Enqueue(request);
        _wake.Set();
        return true;
    }

    /// <summary>Wakes the loop so a cancelled request leaves its slot (or the queue) now.</summary>
    public void Wake() => _wake.Set();

    public SchedulerCounters Counters => new(
        Interlocked.Read(ref _steps), Interlocked.Read(ref _promptTokens), Interlocked.Read(ref _generatedTokens),
        Interlocked.Read(ref _completed), (int)Interlocked.Read(ref _busySlots), Math.Max(0, Volatile.Read(ref _queued)),
        _window.TokensPerSecond);

    private void Loop()
    {
        while (!_stopping)
        {
            try
            {
                ReleaseCancelled();
                Admit();
                if (Interlocked.Read(ref _busySlots) == 0)
                {
                    _wake.WaitOne();
                    continue;
                }

                Step();
            }
            catch (Exception e)
            {
                // A bug must not leave callers waiting forever on a dead thread: fail what runs, keep serving.
                FailRunning(new BitNativeException($"Generation failed: {e.Message}", e));
            }
        }

        FailAll(new ObjectDisposedException(nameof(BatchedGenerator), "The generator was disposed."));
    }

    private void ReleaseCancelled()
    {
        foreach (GenerationSlot slot in _slots)
        {
            if (slot.Request is { IsCancelled: true })
            {
                slot.Output!.End(FinishReason.Cancelled);
                slot.Request.Write(new GenerationChunk("", FinishReason.Cancelled, slot.Output.Generated));
                Finish(slot);
            }
        }
    }

    private void Admit()
    {
        foreach (GenerationSlot slot in _slots)
        {
            if (!slot.IsFree)
            {
                continue;
            }

            GenerationRequest? request = NextWaiting();
            if (request is null)
            {
                return;
            }

            var output = new GenerationTracker(request.Settings, _tokenizer, slot.SamplerScratch);
            slot.Admit(request, output, _admissions++);
            request.AdmittedAtStep = _steps;
            Interlocked.Increment(ref _busySlots);
        }
    }

    /// <summary>The oldest waiting request that is still wanted (cancelled ones are completed and dropped).</summary>
    private GenerationRequest? NextWaiting()
    {
        while (_queue.TryDequeue(out GenerationRequest? request))
        {
            Interlocked.Decrement(ref _queued);
            if (!request.IsCancelled)
            {
                return request;
            }

            request.Complete();
            Interlocked.Decrement(ref _outstanding);
        }

        return null;
    }

    private void Step()
    {
        long started = Stopwatch.GetTimestamp();
        int sequences = 0, rows = 0, generated = 0, prompt = 0;

        // Decoding slots first: one row each, so running streams advance every step.
        foreach (GenerationSlot slot in _slots)
        {
            if (!slot.IsFree && !slot.IsPrefilling)
            {
                rows += AddToStep(slot, 1, ref sequences, rows);
            }
        }

        // Then prompt chunks, oldest request first: a small chunk while others decode (their next token is only one
        // chunk late), a full batch when nothing else runs.
        int budget = rows > 0 ? _prefillChunk : _idlePrefill;
        for (GenerationSlot? slot = OldestPrefilling(sequences); slot is not null && budget > 0; slot = OldestPrefilling(sequences))
        {
            int n = AddToStep(slot, budget, ref sequences, rows);
            rows += n;
            prompt += n;
            budget -= n;
        }

        try
        {
            _transformer.Forward(_state, _sequences.AsSpan(0, sequences), _rows.AsSpan(0, rows), _logits);
        }
        catch (Exception e)
        {
            // A kernel failure fails the requests of this step, not the generator.
            var error = new BitNativeException($"Generation failed: {e.Message}", e);
            foreach (GenerationSlot slot in _stepSlots.AsSpan(0, sequences))
            {
                Fail(slot, error);
            }

            return;
        }

        int vocab = _transformer.Config.VocabSize;
        for (int i = 0; i < sequences; i++)
        {
            GenerationSlot slot = _stepSlots[i];
            slot.Advance(_sequences[i].Count);
            if (!slot.IsPrefilling)
            {
                generated += Sample(slot, _logits.AsSpan(i * vocab, vocab));
            }
        }

        Interlocked.Increment(ref _steps);
        Interlocked.Add(ref _promptTokens, prompt);
        Interlocked.Add(ref _generatedTokens, generated);
        _window.Add(generated, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>The earliest admitted slot still feeding its prompt that is not in the step yet (no LINQ: no allocation per step).</summary>
    private GenerationSlot? OldestPrefilling(int sequences)
    {
        GenerationSlot? oldest = null;
        foreach (GenerationSlot slot in _slots)
        {
            if (slot.IsPrefilling && (oldest is null || slot.AdmittedAt < oldest.AdmittedAt) && Array.IndexOf(_stepSlots, slot, 0, sequences) < 0)
            {
                oldest = slot;
            }
        }

        return oldest;
    }

    private int AddToStep(GenerationSlot slot, int budget, ref int sequences, int rows)
    {
        int n = slot.TakeRows(budget, _rows.AsSpan(rows));
        _sequences[sequences] = new SequenceRows(slot.Cache, slot.Position, n);
        _stepSlots[sequences] = slot;
        sequences++;
        return n;
    }

    /// <summary>Picks a slot's next token; returns 1 if it generated one.</summary>
    private int Sample(GenerationSlot slot, ReadOnlySpan<float> logits)
    {
        GenerationTracker output = slot.Output!;
        int before = output.Generated;
        string text = output.Next(logits, slot.History.AsSpan(0, slot.Position), out int token);
        if (output.Finished is null)
        {
            if (output.ReachedMaxTokens)
            {
                output.End(FinishReason.MaxTokens); // no step for a token nobody will read
            }
            else if (slot.Position >= slot.ContextLength)
            {
                output.End(FinishReason.ContextFull);
            }
        }

        if (output.Finished is null)
        {
            slot.NextToken = token;
            if (text.Length > 0)
            {
                slot.Request!.Write(new GenerationChunk(text, null, output.Generated));
            }
        }
        else
        {
            slot.Request!.Write(new GenerationChunk(text + output.Tail(), output.Finished, output.Generated));
            Finish(slot);
        }

        return output.Generated - before;
    }

    private void Finish(GenerationSlot slot)
    {
        slot.Request!.ReleasedAtStep = _steps;
        slot.Request.Complete();
        slot.Release();
        Interlocked.Decrement(ref _busySlots);
        Interlocked.Decrement(ref _outstanding);
        Interlocked.Increment(ref _completed);
    }

    private void Fail(GenerationSlot slot, Exception error)
    {
        slot.Request!.Complete(error);
        slot.Release();
        Interlocked.Decrement(ref _busySlots);
        Interlocked.Decrement(ref _outstanding);
    }

    private void FailRunning(Exception error)
    {
        foreach (GenerationSlot slot in _slots)
        {
            if (!slot.IsFree)
            {
                Fail(slot, error);
            }
        }
    }

    private void FailAll(Exception error)
    {
        FailRunning(error);
        while (_queue.TryDequeue(out GenerationRequest? request))
        {
            request.Complete(error);
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _wake.Set();
        _thread.Join();
        _wake.Dispose();
    }

    /// <summary>Generated tokens per second over the last steps (a moving window of busy time).</summary>
    private sealed class StepWindow
    {
        private const int Size = 64;
        private readonly int[] _tokens = new int[Size];
        private readonly long[] _ticks = new long[Size];
        private int _next;
        private double _rate;

        public double TokensPerSecond => Volatile.Read(ref _rate);

        public void Add(int tokens, TimeSpan elapsed)
        {
            _tokens[_next] = tokens;
            _ticks[_next] = elapsed.Ticks;
            _next = (_next + 1) % Size;
            long ticks = 0, sum = 0;
            for (int i = 0; i < Size; i++)
            {
                ticks += _ticks[i];
                sum += _tokens[i];
            }

            Volatile.Write(ref _rate, ticks > 0 ? sum / TimeSpan.FromTicks(ticks).TotalSeconds : 0);
        }
    }
}

/// <summary>A snapshot of the scheduler's counters.</summary>
internal readonly record struct SchedulerCounters(long Steps, long PromptTokens, long GeneratedTokens, long Completed, int BusySlots,
    int QueueDepth, double TokensPerSecond);
