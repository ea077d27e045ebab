using System.Diagnostics.Metrics;

namespace Seckill.Web.Ops;

/// <summary>How a purchase request ended: one counter each, named by the answer's code.</summary>
public enum PurchaseResult
{
    /// <summary>201 or 202: the buyer holds an order.</summary>
    Accepted,
    SoldOut,
    AlreadyPurchased,
    NotStarted,
    Ended,
    UnknownSale,
    /// <summary>400: bad id, body or quantity.</summary>
    InvalidRequest,
    Unauthorized,
    RateLimited,
    Blacklisted,
    BotSuspected,
    BadToken,
    /// <summary>The database refused the order within the wait.</summary>
    OrderFailed,
    /// <summary>503: the instance is stopping.</summary>
    Unavailable,
    /// <summary>503: shed, the instance is past what it can answer in time (Gate/LoadShedder).</summary>
    Overloaded,
}

/// <summary>
/// Purchase outcomes by code, published as the <c>seckill.purchase.requests</c> observable
/// counter of the <c>Seckill</c> meter (tag <c>code</c>) and read directly by the admin
/// metrics endpoint.
/// </summary>
/// <remarks>
/// The hot path only increments a slot of an array: an observable instrument reads the slots
/// when a listener collects, so counting costs no allocation and no instrument lookup.
/// </remarks>
public sealed class PurchaseMetrics
{
    public const string MeterName = "Seckill";

    /// <summary>The code of each <see cref="PurchaseResult"/>, as the problem responses spell them.</summary>
    public static readonly string[] Codes =
    [
        "accepted", "sold_out", "already_purchased", "not_started", "ended", "unknown_sale", "invalid_request",
        "unauthorized", "rate_limited", "blacklisted", "bot_suspected", "bad_token", "order_failed", "unavailable",
        "overloaded",
    ];

    private readonly long[] _counts = new long[Codes.Length];

    public PurchaseMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        meter.CreateObservableCounter("seckill.purchase.requests", Observe, unit: "{request}",
            description: "Purchase requests by outcome code.");
    }

    public void Count(PurchaseResult result) => Interlocked.Increment(ref _counts[(int)result]);

    public long this[PurchaseResult result] => Interlocked.Read(ref _counts[(int)result]);

    /// <summary>Every code with its count so far, in the order of <see cref="PurchaseResult"/>.</summary>
    public Dictionary<string, long> Snapshot()
    {
        var snapshot = new Dictionary<string, long>(Codes.Length);
        for (var i = 0; i < Codes.Length; i++)
        {
            snapshot[Codes[i]] = Interlocked.Read(ref _counts[i]);
        }
        return snapshot;
    }

    private IEnumerable<Measurement<long>> Observe()
    {
        for (var i = 0; i < Codes.Length; i++)
        {
            yield return new Measurement<long>(Interlocked.Read(ref _counts[i]), new KeyValuePair<string, object?>("code", Codes[i]));
        }
    }
}
