using System.Collections.Concurrent;

namespace Seckill.Web.Sales;

/// <summary>A flash sale: <see cref="Stock"/> units of one SKU on sale from <see cref="StartsAt"/> until <see cref="EndsAt"/>.</summary>
public sealed record Sale(
    long Id, string Sku, string Name, long PriceCents, int Stock,
    DateTimeOffset StartsAt, DateTimeOffset EndsAt, int PerUserLimit, bool RequireToken = false)
{
    public bool HasStarted(DateTimeOffset now) => now >= StartsAt;

    public bool HasEnded(DateTimeOffset now) => now >= EndsAt;
}

/// <summary>A sale as an admin asks for it, already validated.</summary>
public sealed record NewSale(
    string Sku, string Name, long PriceCents, int Stock, DateTimeOffset StartsAt, DateTimeOffset EndsAt, int PerUserLimit, bool RequireToken = false);
