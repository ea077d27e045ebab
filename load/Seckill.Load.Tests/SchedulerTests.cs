using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Seckill.Load.Drive;
using Seckill.Load.Measure;

namespace Seckill.Load.Tests;

/// <summary>
/// The scheduler against a deliberately slow server: it answers nothing until the test lets it,
/// and the test lets it only once every scheduled request has arrived. A closed-model tool
/// (send, wait for the answer, send the next) would never get there; and the latency the tool
/// reports must include the time each request waited, counted from when it was meant to be sent.
/// </summary>
public sealed class SchedulerTests : IAsyncLifetime
{
    private WebApplication _server = null!;
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentQueue<(long Arrived, string Path)> _arrivals = new();
    private Uri _address = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _server = builder.Build();
        _server.MapPost("/slow/{n}", async (string n, HttpContext context) =>
        {
            _arrivals.Enqueue((Stopwatch.GetTimestamp(), n));
            await _release.Task;
            // The address the server saw, where the tool's reply reader looks for a status.
            return Results.Json(new { status = context.Connection.RemoteIpAddress?.ToString() });
        });
        await _server.StartAsync();
        _address = new Uri(_server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());
    }

    public async Task DisposeAsync()
    {
        _release.TrySetResult();
        await _server.DisposeAsync();
    }

    [Fact]
    public void ArrivalsAreDueAtEvenIntervalsAndTheBoundHolds()
    {
        var schedule = new ArrivalSchedule(RatePerSecond: 250, Count: 1000, Duration: TimeSpan.FromSeconds(2));
        Assert.Equal(0, schedule.DueAt(0, 0));
        Assert.Equal(Stopwatch.Frequency, schedule.DueAt(250, 0));
        Assert.Equal(Stopwatch.Frequency / 2, schedule.DueAt(125, 0));
        Assert.True(schedule.Has(499));
        Assert.False(schedule.Has(500)); // 2 s at 250/s
        Assert.Equal(500, schedule.Total);
        Assert.Equal(10, new ArrivalSchedule(1000, 10, TimeSpan.FromHours(1)).Total);
    }

    [Fact]
    public async Task RequestsGoOutOnScheduleWhileEarlierOnesWaitAndLatencyCountsFromTheIntendedTime()
    {
        const int count = 40;
        var schedule = new ArrivalSchedule(RatePerSecond: 100, Count: count, Duration: TimeSpan.FromHours(1));
        var recorder = new Recorder(Stopwatch.GetTimestamp(), ["slow"]);
        var sender = new Sender(recorder);
        using var clients = new ClientPool(_address, addresses: 8, firstAddress: 0, TimeSpan.FromMinutes(1));
        var due = new ConcurrentDictionary<long, long>();
        var answeredFrom = new ConcurrentBag<string>();
        var runner = new OpenModelRunner(schedule, recorder, maxInFlight: 1000);

        var run = runner.RunAsync(async (i, intended) =>
        {
            due[i] = intended;
            var reply = await sender.SendAsync(clients.For(i), new Call("slow", HttpMethod.Post, $"/slow/{i}", [1]), intended, isArrival: true, r => r.Status == 200);
            Assert.Equal(200, reply.Status);
        }, (_, _) => Task.CompletedTask, TimeSpan.FromMinutes(1), CancellationToken.None);

        // Every request reaches the server although none has been answered.
        await Eventually.TrueAsync(() => _arrivals.Count == count, TimeSpan.FromSeconds(30), "every scheduled request reached the server before any answer");
        var released = Stopwatch.GetTimestamp();
        _release.SetResult();
        Assert.Equal(0, await run);

        // None went out before its time.
        foreach (var (arrived, path) in _arrivals)
        {
            Assert.True(arrived >= due[long.Parse(path, System.Globalization.CultureInfo.InvariantCulture)], $"request {path} arrived before it was due");
        }
        // Each latency includes its wait for the release: the first request waited longest, the
        // last at least from its own due time. (Histogram buckets are within 0.4%.)
        var latency = recorder["slow"].Latency;
        Assert.Equal(count, latency.Count);
        var firstWait = Recorder.Micros(due[0], released);
        var lastWait = Recorder.Micros(due[count - 1], released);
        Assert.True(latency.Max >= firstWait, $"max latency {latency.Max} µs < the first request's wait {firstWait} µs");
        Assert.True(latency.ValueAt(0) >= lastWait * 0.995, $"min latency {latency.ValueAt(0)} µs < the last request's wait {lastWait} µs");
        // Measured from the real send, the first request's time is no longer than from its due time.
        Assert.True(recorder["slow"].ServiceTime.Max <= latency.Max);
        Assert.Equal(count, recorder.ArrivalsAnswered);
    }

    [Fact]
    public async Task EachClientComesFromItsOwnLoopbackAddress()
    {
        _release.SetResult();
        using var clients = new ClientPool(_address, addresses: 3, firstAddress: 0, TimeSpan.FromMinutes(1));
        var seen = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            var reply = await clients.For(i).SendAsync(new Call("slow", HttpMethod.Post, $"/slow/{i}", [1]));
            seen.Add(reply.OrderStatus!);
        }
        Assert.Equal(["127.1.0.1", "127.1.0.2", "127.1.0.3", "127.1.0.1", "127.1.0.2", "127.1.0.3"], seen.Select(s => s.Replace("::ffff:", "")));
        Assert.Equal("127.1.1.1", ClientPool.AddressOf(254).ToString());
        Assert.Equal("127.2.0.1", ClientPool.AddressOf(65024).ToString());
    }
}
