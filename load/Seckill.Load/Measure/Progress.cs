using System.Diagnostics;
using System.Globalization;

namespace Seckill.Load.Measure;

/// <summary>
/// The one-line progress display: every second, what was sent and answered, the rate, what is
/// in flight, the last second's arrival p99 and the commonest answers. On a terminal the line
/// is redrawn in place; into a file or pipe a line is written every five seconds.
/// </summary>
public sealed class Progress(Recorder recorder, double targetRate, long total, TextWriter output)
{
    public async Task ShowAsync(CancellationToken stop)
    {
        var interactive = !Console.IsErrorRedirected && ReferenceEquals(output, Console.Error);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        var tick = 0;
        long lastSent = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                tick++;
                var sent = recorder.ArrivalsSent;
                var line = Line(sent - lastSent);
                lastSent = sent;
                if (interactive)
                {
                    var width = Math.Max(1, Console.BufferWidth - 1);
                    output.Write("\r" + (line.Length > width ? line[..width] : line.PadRight(width)));
                }
                else if (tick % 5 == 0)
                {
                    output.WriteLine(line);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        if (interactive)
        {
            output.WriteLine();
        }
    }

    private string Line(long sentLastSecond)
    {
        var c = CultureInfo.InvariantCulture;
        var elapsed = (Stopwatch.GetTimestamp() - recorder.StartTimestamp) / (double)Stopwatch.Frequency;
        var seconds = recorder.Timeline();
        var last = seconds.Count >= 2 ? seconds[^2] : null; // the last whole second
        var answers = recorder.Operations.SelectMany(o => o.Outcomes).GroupBy(p => p.Key).Select(g => (g.Key, Count: g.Sum(p => p.Value.Count)))
            .OrderByDescending(p => p.Count).Take(4).Select(p => string.Create(c, $"{p.Key}:{p.Count}"));
        var errors = recorder.Operations.Sum(o => o.Errors);
        return string.Create(c, $"[{elapsed,5:0}s] sent {recorder.ArrivalsSent}/{total} ({sentLastSecond}/s, target {targetRate}/s) answered {recorder.ArrivalsAnswered} " +
            $"in flight {recorder.InFlight} p99 {(last is null ? 0 : last.ArrivalLatency.ValueAt(0.99) / 1000.0):0.0}ms errors {errors} | {string.Join(' ', answers)}");
    }
}
