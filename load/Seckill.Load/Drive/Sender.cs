using System.Diagnostics;
using Seckill.Load.Measure;

namespace Seckill.Load.Drive;

/// <summary>One request the tool sends.</summary>
public sealed record Call(string Operation, HttpMethod Method, string Path, byte[]? Body = null, string ContentType = "application/json",
    string? Token = null, string UserAgent = ClientPool.BrowserAgent, string? PurchaseToken = null);

/// <summary>
/// Sends calls and records them. The latency of a call is taken from its intended send time,
/// which for a scheduled arrival is the open-model schedule's time and not the moment the tool
/// got round to it: a slow server or a slow tool shows up in the figures instead of hiding them.
/// </summary>
public sealed class Sender(Recorder recorder)
{
    public Recorder Recorder { get; } = recorder;

    /// <summary>Sends <paramref name="call"/>; <paramref name="expected"/> says which answers are
    /// the service working as designed (anything else counts as an error).</summary>
    public async Task<Reply> SendAsync(AddressClient client, Call call, long intendedTimestamp, bool isArrival, Func<Reply, bool> expected)
    {
        Recorder.RequestStarted();
        var sent = Stopwatch.GetTimestamp();
        var reply = await client.SendAsync(call);
        var done = Stopwatch.GetTimestamp();
        // A 5xx is an error unless the scenario expects it: a purchase shed under overload (503
        // overloaded) is a refusal the service is designed to give.
        var unexpected = reply.Outcome.IsTransportError || !expected(reply);
        Recorder.RequestDone(call.Operation, intendedTimestamp, sent, done, reply.Outcome, unexpected, isArrival);
        return reply;
    }
}
