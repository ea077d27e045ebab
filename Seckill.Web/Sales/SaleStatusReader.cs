using System.Globalization;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Seckill.Web.Allocation;
using Seckill.Web.Cluster;
using Seckill.Web.Gate;
using Seckill.Web.Http;
using Seckill.Web.Security;
using Seckill.Web.Stock;

namespace Seckill.Web.Sales;

/// <summary>Describes a sale with its live remaining stock and status.</summary>
/// <remarks>
/// Buyers reload a sale's page by the thousand while it runs, and its remaining stock takes the
/// database and the shard to count: the count is shared for <see cref="RemainingFreshFor"/>, and
/// one count at a time per sale is made while it is stale. Thread-safe.
/// </remarks>
public sealed class SaleStatusReader(IStockPool pool, Allocator allocator, TimeProvider time)
{
    /// <summary>How old a shown remaining count may be: a page reload, not a purchase, reads it.</summary>
    public static readonly TimeSpan RemainingFreshFor = TimeSpan.FromMilliseconds(250);

    private sealed record RemainingCount(Task<long> Remaining, DateTimeOffset At);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<long, RemainingCount> _counts = new();

    public async ValueTask<SaleResponse> DescribeAsync(Sale sale)
    {
        var now = time.GetUtcNow();
        var remaining = await RemainingAsync(sale.Id, now);
        var status = sale.HasEnded(now) ? "ended"
            : !sale.HasStarted(now) ? "upcoming"
            : remaining == 0 ? "sold_out"
            : "active";
        return new SaleResponse(sale.Id, sale.Sku, sale.Name, sale.PriceCents / 100m, sale.Stock, remaining,
            sale.StartsAt, sale.EndsAt, sale.PerUserLimit, sale.RequireToken, status);
    }

    private Task<long> RemainingAsync(long saleId, DateTimeOffset now)
    {
        while (true)
        {
            if (_counts.TryGetValue(saleId, out var count) && (now - count.At < RemainingFreshFor || !count.Remaining.IsCompleted))
            {
                return count.Remaining;
            }
            var fresh = new RemainingCount(CountAsync(saleId), now);
            if (count is null ? _counts.TryAdd(saleId, fresh) : _counts.TryUpdate(saleId, fresh, count))
            {
                return fresh.Remaining;
            }
        }
    }

    // Units nobody holds yet: in the pool, on the way to a shard, or free on a shard.
    private async Task<long> CountAsync(long saleId) =>
        await pool.GetAsync(saleId) + await allocator.InTransitAsync(saleId) +
        (await allocator.ReportAsync(saleId)).Where(shard => shard.Counts).Sum(shard => shard.Available);
}
