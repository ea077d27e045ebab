using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Seckill.Web.Tests.Infrastructure;

/// <summary>How a test webhook answers.</summary>
public enum Receiver { Ok, Failing, Slow, Down, FailsFifthOnce }

/// <summary>A webhook on a real loopback port that records what it is sent, and answers 200, 500, or never (until the caller gives up).</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication? _app;

    private WebhookReceiver(WebApplication? app, Uri url) => (_app, Url) = (app, url);

    public Uri Url { get; }

    public ConcurrentQueue<JsonElement> Received { get; } = new();

    private int _attempts;

    public int Attempts => Volatile.Read(ref _attempts);

    public static async Task<WebhookReceiver> StartAsync(Receiver behaviour)
    {
        if (behaviour == Receiver.Down)
        {
            // A port nobody listens on: taken from the system, then given back.
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            return new WebhookReceiver(null, new Uri($"http://127.0.0.1:{port}/hook"));
        }
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        WebhookReceiver? receiver = null;
        app.MapPost("/hook", async (HttpRequest request, CancellationToken cancellationToken) =>
        {
            var attempt = Interlocked.Increment(ref receiver!._attempts);
            var body = await JsonSerializer.DeserializeAsync<JsonElement>(request.Body, cancellationToken: cancellationToken);
            switch (behaviour)
            {
                case Receiver.Failing:
                case Receiver.FailsFifthOnce when attempt == 5:
                    return Results.StatusCode(500);
                case Receiver.Slow:
                    // Never answers in time: holds the request until the caller gives up on it.
                    var givenUp = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    using (cancellationToken.Register(() => givenUp.TrySetResult()))
                    {
                        await givenUp.Task;
                    }
                    return Results.Ok();
                default:
                    receiver.Received.Enqueue(body);
                    return Results.Ok();
            }
        });
        await app.StartAsync();
        receiver = new WebhookReceiver(app, new Uri(app.Urls.First() + "/hook"));
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await _app.StopAsync(stop.Token);
            await _app.DisposeAsync();
        }
    }
}
