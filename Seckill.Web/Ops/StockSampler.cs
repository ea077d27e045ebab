using System.Data.Common;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using Seckill.Web.Http;
using Seckill.Web.Sales;
using Seckill.Web.Stock;

namespace Seckill.Web.Ops;

/// <summary>
/// The stock of every running and upcoming sale, term by term, as gauges: <c>seckill.stock</c>
/// (tags <c>sale</c>, <c>term</c>: total, pool, available, reserved, in_transit, sold) and
/// <c>seckill.stock.shard</c> (tags <c>sale</c>, <c>shard</c>, <c>term</c>: available, reserved, sold).
/// The figures are the admin stock view's (<see cref="StockReport"/>), read every
/// <c>Ops:StockSampleInterval</c> in the background.
/// </summary>
/// <remarks>
/// A gauge's callback runs inside a scrape and must not wait on Redis or the database: it reads the
/// last sample, which this service replaces whole (one writer, readers at any time). A sale whose
/// figures cannot be read is left out of that sample, so an outage shows as a gap, not as stale
/// numbers; an ended sale leaves the gauges at the next sample.
/// </remarks>
public sealed partial class StockSampler : BackgroundService
{
    private readonly SaleCatalog _catalog;
    private readonly StockReport _report;
    private readonly TimeProvider _time;
    private readonly TimeSpan _interval;
    private readonly ILogger<StockSampler> _log;
    private volatile IReadOnlyList<SaleStock> _sample = [];

    public StockSampler(SaleCatalog catalog, StockReport report, TimeProvider time, IOptions<OpsOptions> options, IMeterFactory meters,
        ILogger<StockSampler> log)
    {
        _catalog = catalog;
        _report = report;
        _time = time;
        _interval = options.Value.StockSampleInterval;
        _log = log;
        var meter = meters.Create(PurchaseMetrics.MeterName);
        meter.CreateObservableGauge("seckill.stock", ObserveSales, unit: "{unit}",
            description: "Stock of each running or upcoming sale by term of the conservation law (sampled).");
        meter.CreateObservableGauge("seckill.stock.shard", ObserveShards, unit: "{unit}",
            description: "Stock of each running or upcoming sale on each shard (sampled).");
    }

    /// <summary>The last sample: one entry per sale that could be read.</summary>
    public IReadOnlyList<SaleStock> Sample => _sample;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_interval, _time);
        do
        {
            _sample = await ReadAsync(stoppingToken);
        }
        while (await timer.NextTickAsync(stoppingToken));
    }

    private async Task<IReadOnlyList<SaleStock>> ReadAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var sample = new List<SaleStock>();
        foreach (var sale in _catalog.All)
        {
            if (sale.HasEnded(now))
            {
                continue;
            }
            try
            {
                if (await _report.ReadAsync(sale.Id, cancellationToken) is { } stock)
                {
                    sample.Add(new SaleStock(sale.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), stock));
                }
            }
            catch (Exception error) when (error is not OperationCanceledException)
            {
                // Whatever failed, a metrics sample must not end the service (a background
                // service's exception stops the host): this sale is left out of this sample.
                LogSampleFailed(error, sale.Id);
            }
        }
        return sample;
    }

    private IEnumerable<Measurement<long>> ObserveSales()
    {
        foreach (var (sale, stock) in _sample)
        {
            yield return Term(stock.Total, sale, "total");
            yield return Term(stock.Pool, sale, "pool");
            yield return Term(stock.Available, sale, "available");
            yield return Term(stock.Reserved, sale, "reserved");
            yield return Term(stock.InTransit, sale, "in_transit");
            yield return Term(stock.Sold, sale, "sold");
        }
    }

    private IEnumerable<Measurement<long>> ObserveShards()
    {
        foreach (var (sale, stock) in _sample)
        {
            // A shard that did not answer, or whose stock was reclaimed, counts nowhere (StockResponse).
            foreach (var shard in stock.Shards.Where(shard => shard.Reachable && !shard.Reclaimed))
            {
                var id = shard.InstanceId.ToString(System.Globalization.CultureInfo.InvariantCulture);
                yield return ShardTerm(shard.Available, sale, id, "available");
                yield return ShardTerm(shard.Reserved, sale, id, "reserved");
                yield return ShardTerm(shard.Sold, sale, id, "sold");
            }
        }
    }

    private static Measurement<long> Term(long value, string sale, string term) =>
        new(value, new KeyValuePair<string, object?>("sale", sale), new KeyValuePair<string, object?>("term", term));

    private static Measurement<long> ShardTerm(long value, string sale, string shard, string term) =>
        new(value, new KeyValuePair<string, object?>("sale", sale), new KeyValuePair<string, object?>("shard", shard),
            new KeyValuePair<string, object?>("term", term));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sampling the stock of sale {SaleId} for the metrics failed; it is left out until the next sample")]
    private partial void LogSampleFailed(Exception error, long saleId);

    /// <summary>A sale's figures at the last sample; <see cref="Sale"/> is its id as the gauges' tag.</summary>
    public sealed record SaleStock(string Sale, StockResponse Stock);
}
