using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Seckill.Web.Cluster;
using Seckill.Web.Orders;

namespace Seckill.Web.Tests.Infrastructure;

/// <summary>
/// An order writer built by hand and never started: <see cref="OrderWriter.CommitAsync"/> writes
/// and settles one batch, and a purchase's reservation stays in its queue. Its meters are made and
/// never read; its events go nowhere.
/// </summary>
public static class UnstartedOrderWriter
{
    public static OrderWriter Create(IOrderStore store, IShardRouter shards, Restock restock, IOptions<OrderOptions> options) =>
        new(store, shards, restock, new NoOrderEvents(), options,
            new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>(),
            new WriterThreads(new LoopThread("test order writer"), null), NullLogger<OrderWriter>.Instance);

    private sealed class NoOrderEvents : IOrderEvents
    {
        public void Confirmed(long orderId)
        {
        }

        public void Paid(long orderId)
        {
        }

        public void Expired(long orderId)
        {
        }
    }
}
