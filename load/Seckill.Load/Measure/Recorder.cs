using System.Collections.Concurrent;
using System.Diagnostics;

namespace Seckill.Load.Measure;

/// <summary>How one request ended: an HTTP status (0 when no response came) and the problem
/// <c>code</c> or transport error that goes with it.</summary>
public readonly record struct Outcome(int Status, string? Code)
{
    public bool IsTransportError => Status == 0;

    /// <summary>
    /// The service did not answer: no HTTP answer at all, or a gateway's own 502/504 (its page, not
    /// the service's problem JSON) because the instance behind it died or hung mid-request. Such a
    /// purchase may still have been taken: its order can exist without the buyer being told.
    /// </summary>
    public bool ServiceDidNotAnswer => IsTransportError || (Status is 502 or 504 && Code is null or "unreadable_body");

    /// <summary>"201", "409 sold_out", "no response: timeout".</summary>
    public string Label => Status == 0 ? $"no response: {Code}" : Code is null ? Status.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{Status} {Code}";
}

/// <summary>Latency and outcomes of one kind of request (purchase, order, pay, ...).</summary>
public sealed class OperationStats(string name)
{
    public string Name { get; } = name;

    /// <summary>From the request's intended send time to its response: what a user waits,
    /// including any time the request spent waiting to be sent (no coordinated omission).</summary>
    public Histogram Latency { get; } = new();

    /// <summary>From the moment the request was really written to its response: the server's
    /// share, comparable with what wrk or hey print.</summary>
    public Histogram ServiceTime { get; } = new();

    /// <summary>
    /// The latency of each answer (its count is how many): a flash sale's tail is its winners'
    /// (201, 202) or its refusals' (409), not both.
    /// </summary>
    public ConcurrentDictionary<string, Histogram> Outcomes { get; } = new(StringComparer.Ordinal);

    private long _errors;
    private long _unanswered;

    public long Errors => Interlocked.Read(ref _errors);

    /// <summary>Requests the service did not answer (timeouts, refused connections, a gateway's 502/504).</summary>
    public long Unanswered => Interlocked.Read(ref _unanswered);

    public void Record(long latencyMicros, long serviceMicros, Outcome outcome, bool unexpected)
    {
        Latency.Record(latencyMicros);
        ServiceTime.Record(serviceMicros);
        Outcomes.GetOrAdd(outcome.Label, static _ => new Histogram(significantDigits: 2)).Record(latencyMicros);
        if (unexpected)
        {
            Interlocked.Increment(ref _errors);
        }
        if (outcome.ServiceDidNotAnswer)
        {
            Interlocked.Increment(ref _unanswered);
        }
    }
}

/// <summary>One second of the run, for the progress line and the charts.</summary>
public sealed class Second
{
    public long Sent;
    public long Completed;
    public long Errors;
    public Histogram ArrivalLatency { get; } = new(significantDigits: 2);
}

/// <summary>
/// Everything measured during a run. Times are <see cref="Stopwatch"/> timestamps; the clock
/// starts at the first intended arrival, so second 0 of the timeline is the first second of load.
/// </summary>
public sealed class Recorder(long startTimestamp, IEnumerable<string> operations)
{
    private readonly Dictionary<string, OperationStats> _operations = operations.ToDictionary(o => o, o => new OperationStats(o), StringComparer.Ordinal);
    private readonly List<Second> _seconds = [];
    private readonly Lock _timeline = new();
    private long _arrivalsSent;
    private long _arrivalsDone;
    private long _inFlight;
    private long _arrivalsAnswered;
    private long _lastArrivalAnswer;

    public long StartTimestamp { get; } = startTimestamp;

    public IReadOnlyCollection<OperationStats> Operations => _operations.Values;

    public OperationStats this[string operation] => _operations[operation];

    public long ArrivalsSent => Interlocked.Read(ref _arrivalsSent);

    public long ArrivalsDone => Interlocked.Read(ref _arrivalsDone);

    public long InFlight => Interlocked.Read(ref _inFlight);

    /// <summary>Arrivals whose first request got an HTTP answer (any status).</summary>
    public long ArrivalsAnswered => Interlocked.Read(ref _arrivalsAnswered);

    /// <summary>When the last arrival's first request was answered (a Stopwatch timestamp).</summary>
    public long LastArrivalAnswer => Interlocked.Read(ref _lastArrivalAnswer);

    public static long Micros(long fromTimestamp, long toTimestamp) =>
        (long)((toTimestamp - fromTimestamp) * (1_000_000.0 / Stopwatch.Frequency));

    public void ArrivalSent(long intendedTimestamp)
    {
        Interlocked.Increment(ref _arrivalsSent);
        Interlocked.Increment(ref SecondOf(intendedTimestamp).Sent);
    }

    public void ArrivalDone() => Interlocked.Increment(ref _arrivalsDone);

    public void RequestStarted() => Interlocked.Increment(ref _inFlight);

    /// <summary>Records a finished request. <paramref name="isArrival"/> marks the first
    /// request of an arrival (the one the target rate schedules), whose latency the timeline charts.</summary>
    public void RequestDone(string operation, long intended, long sent, long done, Outcome outcome, bool unexpected, bool isArrival)
    {
        Interlocked.Decrement(ref _inFlight);
        var latency = Micros(intended, done);
        _operations[operation].Record(latency, Micros(sent, done), outcome, unexpected);
        var second = SecondOf(done);
        Interlocked.Increment(ref second.Completed);
        if (unexpected)
        {
            Interlocked.Increment(ref second.Errors);
        }
        if (isArrival)
        {
            second.ArrivalLatency.Record(latency);
            if (!outcome.IsTransportError)
            {
                Interlocked.Increment(ref _arrivalsAnswered);
                AtomicMax.Raise(ref _lastArrivalAnswer, done);
            }
        }
    }

    public IReadOnlyList<Second> Timeline()
    {
        lock (_timeline)
        {
            return [.. _seconds];
        }
    }

    private Second SecondOf(long timestamp)
    {
        var index = (int)Math.Max(0, (timestamp - StartTimestamp) / Stopwatch.Frequency);
        lock (_timeline)
        {
            while (_seconds.Count <= index)
            {
                _seconds.Add(new Second());
            }
            return _seconds[index];
        }
    }
}
