using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Seckill.Web.Cluster;
using Seckill.Web.Tests.Infrastructure;

namespace Seckill.Web.Tests.Promises;

/// <summary>
/// A running instance whose shard was reclaimed (as by another instance that took it for dead)
/// rejoins by itself (<c>Orders/RejoinWatch</c>), in both modes, also when its first try is cut
/// short by the shared Redis. The real-process case, a SIGSTOP past <c>Cluster:DeadAfter</c>, is
/// <c>Clustered/ReclaimTests</c>.
/// </summary>
public sealed class RejoinWhileRunningTests : IDisposable
{
    private readonly TestStore _store = new();

    public void Dispose() => _store.Dispose();

    [Fact]
    public async Task AShardReclaimedUnderARunningInstanceIsRejoinedEvenWhenTheFirstTryFailsHalfWay()
    {
        FlakyRegistry? registry = null;
        await using var factory = new SeckillFactory(store: _store, services: services =>
        {
            // The registry of this mode, wrapped: its first "forget the reclaimed mark" fails, as a
            // pool Redis that blips in the middle of the rejoin.
            var real = services.Single(service => service.ServiceType == typeof(IInstanceRegistry)).ImplementationType!;
            services.AddSingleton(real);
            services.Replace(ServiceDescriptor.Singleton<IInstanceRegistry>(provider =>
                registry = new FlakyRegistry((IInstanceRegistry)provider.GetRequiredService(real))));
        });
        var sale = await factory.CreateSaleAsync(stock: 10);
        using (var buyer = factory.ClientFor(1))
        {
            Assert.Equal(HttpStatusCode.Created, (await buyer.PurchaseAsync(sale.Id)).StatusCode);
        }

        // What a reclaim's first steps leave (its later ones are another instance's): the shard
        // fenced for good, the instance marked reclaimed.
        var shard = factory.Get<IShardRouter>().Local;
        await shard.ReclaimAsync();
        await registry!.MarkReclaimedAsync(shard.Id, factory.Clock.GetUtcNow());
        using (var buyer = factory.ClientFor(2))
        {
            Assert.Equal("unavailable", await (await buyer.PurchaseAsync(sale.Id)).ProblemCodeAsync());
        }

        // The service's clock one second at a time, each once that second's heartbeat is written (as
        // in real time: the instance rejoins only with a fresh beat); each second also a look at the shard.
        var heartbeat = factory.Get<InstanceHeartbeat>();
        await Eventually.TrueAsync(async () =>
        {
            if (heartbeat.LastBeatWritten >= factory.Clock.GetUtcNow())
            {
                factory.Clock.Advance(InstanceHeartbeat.Interval);
            }
            return !await shard.IsReclaimedAsync() && (await registry.ListReclaimedAsync()).Count == 0;
        }, () => $"the instance to rejoin its shard (forget calls {registry.ForgetCalls}, beat written {heartbeat.LastBeatWritten:o}, now {factory.Clock.GetUtcNow():o})");
        // The first try failed at the mark; the second went through.
        Assert.Equal(2, registry.ForgetCalls);

        await Eventually.TrueAsync(async () =>
        {
            using var buyer = factory.ClientFor(2);
            return (await buyer.PurchaseAsync(sale.Id)).StatusCode == HttpStatusCode.Created;
        }, "the instance to sell again");
        var stock = await factory.SettledStockAsync(sale.Id);
        Api.AssertConserved(stock);
        Assert.Equal(2, stock.Sold);
    }

    /// <summary>The mode's registry, whose first <see cref="ForgetReclaimedAsync"/> fails.</summary>
    private sealed class FlakyRegistry(IInstanceRegistry inner) : IInstanceRegistry
    {
        public int ForgetCalls { get; private set; }

        public string ShardEndpoint => inner.ShardEndpoint;

        public Task ForgetReclaimedAsync(int instanceId)
        {
            if (++ForgetCalls == 1)
            {
                throw new TimeoutException("the pool Redis did not answer (test)");
            }
            return inner.ForgetReclaimedAsync(instanceId);
        }

        public Task BeatAsync(int instanceId, DateTimeOffset at, IReadOnlyDictionary<long, double> rates) => inner.BeatAsync(instanceId, at, rates);
        public Task<IReadOnlyList<InstanceBeat>> ListAliveSinceAsync(DateTimeOffset since) => inner.ListAliveSinceAsync(since);
        public Task<IReadOnlyList<InstanceBeat>> ListAllAsync() => inner.ListAllAsync();
        public Task<IReadOnlyDictionary<int, DateTimeOffset>> ListReclaimedAsync() => inner.ListReclaimedAsync();
        public Task MarkReclaimedAsync(int instanceId, DateTimeOffset lastBeat) => inner.MarkReclaimedAsync(instanceId, lastBeat);
        public Task<bool> TryLockAsync(string name, string owner, TimeSpan ttl) => inner.TryLockAsync(name, owner, ttl);
        public Task UnlockAsync(string name, string owner) => inner.UnlockAsync(name, owner);
        public Task<int> ClaimEndgameAsync(long saleId, int shardId) => inner.ClaimEndgameAsync(saleId, shardId);
        public Task<int?> EndgameOfAsync(long saleId) => inner.EndgameOfAsync(saleId);
        public Task<IReadOnlyList<long>> EndEndgamesOnAsync(int shardId) => inner.EndEndgamesOnAsync(shardId);
    }
}
