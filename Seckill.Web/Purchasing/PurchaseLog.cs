using System.Collections;
using System.Globalization;
using Microsoft.Extensions.Options;
using Seckill.Web.Cluster;

namespace Seckill.Web.Purchasing;

/// <summary>
/// The purchase path's log lines. A purchase normally writes none (no line per request at any
/// level); these are for the rare failures, and each names its request, instance and sale in a
/// logging scope (<c>RequestPath</c>, <c>InstanceId</c>, <c>SaleId</c>), which the JSON console
/// prints as fields. The scope is opened only when a line is written, so a purchase that logs
/// nothing allocates nothing for it.
/// </summary>
/// <remarks>
/// Thread-safe: one instance serves every request. The path is named here rather than left to
/// ASP.NET Core's request scope: that scope (and the <c>Activity</c> behind its trace ids) is made
/// for every request while category <c>Microsoft.AspNetCore.Hosting.Diagnostics</c> logs at any
/// level, and appsettings.json turns that category off (README "Logs", BENCHMARKS.md section 24).
/// </remarks>
public sealed partial class PurchaseLog(ILogger<PurchaseLog> log, IOptions<InstanceOptions> instance)
{
    /// <summary>While a store is away every buyer meets it: one line a second says so without flooding the log.</summary>
    private const long UnavailableEveryMs = 1000;

    private readonly int _instanceId = instance.Value.InstanceId;
    private long _nextUnavailableAt;

    /// <summary>The shard or the pool did not answer; the buyer was told 503 <c>unavailable</c>.</summary>
    public void StockUnavailable(long saleId, Exception error)
    {
        var now = Environment.TickCount64;
        var next = Volatile.Read(ref _nextUnavailableAt);
        if (now < next || Interlocked.CompareExchange(ref _nextUnavailableAt, now + UnavailableEveryMs, next) != next || !log.IsEnabled(LogLevel.Warning))
        {
            return;
        }
        using (log.BeginScope(new PurchaseScope(_instanceId, saleId)))
        {
            StockUnavailable(log, saleId, UnavailableEveryMs, error);
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning,
        Message = "Sale {SaleId}: a purchase was refused with 503 unavailable, the stock store did not answer (logged at most every {EveryMs} ms)")]
    private static partial void StockUnavailable(ILogger log, long saleId, long everyMs, Exception error);

    /// <summary>
    /// The scope's fields. A list of pairs is what the JSON console writes as properties (and the
    /// simple console, with scopes on, as <see cref="ToString"/>).
    /// </summary>
    private sealed class PurchaseScope(int instanceId, long saleId) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        /// <summary>The purchase route's path for this sale (<see cref="PurchaseApi"/> is its only caller).</summary>
        private readonly string _path = string.Create(CultureInfo.InvariantCulture, $"/api/sales/{saleId}/purchase");

        public int Count => 3;

        public KeyValuePair<string, object?> this[int index] => index switch
        {
            0 => new("RequestPath", _path),
            1 => new("InstanceId", instanceId),
            2 => new("SaleId", saleId),
            _ => throw new ArgumentOutOfRangeException(nameof(index)),
        };

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
        {
            for (var i = 0; i < Count; i++)
            {
                yield return this[i];
            }
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"RequestPath:{_path} InstanceId:{instanceId} SaleId:{saleId}");
    }
}
