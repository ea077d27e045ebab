using Microsoft.Extensions.Options;
using Seckill.Web.Orders;
using Seckill.Web.Stock;
using Seckill.Web.Storage;
using Seckill.Web.Storage.Redis;
using Seckill.Web.Tests.Infrastructure;

namespace Seckill.Web.Tests.Clustered;

/// <summary>The Redis shard and pool scripts against a real redis-server (a server of their own: one test flushes its scripts).</summary>
public sealed class RedisStockTests : IAsyncLifetime
{
    private readonly RedisServer _redis = RedisServer.Start();
    private RedisConnections _connections = null!;
    private RedisStockShard _shard = null!;
    private RedisStockPool _pool = null!;

    // Order ids are 64-bit and well above 2^53, where Lua's doubles would round them.
    private const long BigId = 9_007_199_254_740_993;

    public async Task InitializeAsync()
    {
        _connections = new RedisConnections(Options.Create(new ClusteredStorageOptions
        {
            Shard = _redis.Configuration(0),
            Pool = _redis.Configuration(1),
        }));
        await _connections.ConnectAsync();
        _shard = new RedisStockShard(_connections);
        _pool = new RedisStockPool(_connections);
    }

    public Task DisposeAsync()
    {
        _connections.Dispose();
        _redis.Dispose();
        return Task.CompletedTask;
    }

    private static Reservation For(long orderId, long user, int quantity = 1) => new(orderId, 1, user, quantity, 500 * quantity, 1_700_000_000_000);

    [Fact]
    public async Task AReservationChecksTheUserAndTheStockAndIsRecordedInOneStep()
    {
        await _shard.AddAsync(1, 3, transferId: 1);

        Assert.Equal(new ReserveResult(ReserveStatus.Reserved, 0, 1), await _shard.ReserveAsync(For(BigId, 7, quantity: 2)));
        Assert.Equal(new ReserveResult(ReserveStatus.AlreadyHolding, BigId, 1), await _shard.ReserveAsync(For(BigId + 1, 7)));
        Assert.Equal(new ReserveResult(ReserveStatus.Insufficient, 0, 1), await _shard.ReserveAsync(For(BigId + 2, 8, quantity: 2)));
        Assert.Equal(new ShardStock(1, 2), await _shard.GetAsync(1));
        Assert.Equal([For(BigId, 7, quantity: 2)], await _shard.ListUnconfirmedAsync());
        Assert.True(_shard.TryGetKnownOrder(1, 7, out var known) && known == BigId);
    }

    [Fact]
    public async Task ConfirmAndFailAreEachAppliedOnce()
    {
        await _shard.AddAsync(1, 10, transferId: 1);
        var kept = For(BigId, 1, quantity: 2);
        var refused = For(BigId + 1, 2, quantity: 3);
        await _shard.ReserveAsync(kept);
        await _shard.ReserveAsync(refused);

        await _shard.ConfirmAsync([kept]);
        await _shard.ConfirmAsync([kept]);
        await _shard.FailAsync(refused);
        await _shard.FailAsync(refused);

        // The confirmed units are sold (neither available nor reserved); the refused ones are back once.
        Assert.Equal(new ShardStock(8, 0), await _shard.GetAsync(1));
        Assert.Empty(await _shard.ListUnconfirmedAsync());
        // The refused buyer may try again; the confirmed one holds their order.
        Assert.Equal(ReserveStatus.Reserved, (await _shard.ReserveAsync(For(BigId + 2, 2))).Status);
        Assert.Equal(ReserveStatus.AlreadyHolding, (await _shard.ReserveAsync(For(BigId + 3, 1))).Status);
    }

    [Fact]
    public async Task ScriptsSurviveTheServerForgettingThem()
    {
        await _shard.AddAsync(1, 5, transferId: 1);
        await _shard.ReserveAsync(For(1, 1));
        Assert.StartsWith("+OK", _redis.Command("SCRIPT FLUSH"));

        // EVALSHA answers NOSCRIPT; the script goes again with its text.
        Assert.Equal(ReserveStatus.Reserved, (await _shard.ReserveAsync(For(2, 2))).Status);
        Assert.Equal(new ShardStock(3, 2), await _shard.GetAsync(1));
    }

    [Fact]
    public async Task TransfersAreAppliedAtMostOncePerTransferId()
    {
        await _pool.SeedAsync(1, 100);
        await _pool.SeedAsync(1, 999); // a second seed (a restart) leaves the pool alone

        Assert.Equal(30, await _pool.TakeAsync(1, 30, transferId: 77, toInstance: 4));
        Assert.Equal(30, await _pool.TakeAsync(1, 30, transferId: 77, toInstance: 4));
        Assert.Equal(70, await _pool.GetAsync(1));
        Assert.Equal([new Transfer(77, 1, 4, 30)], await _pool.ListInTransitAsync(1));

        await _shard.AddAsync(1, 30, transferId: 77);
        await _shard.AddAsync(1, 30, transferId: 77);
        Assert.True(await _shard.HasReceivedAsync(1, 77));
        await _pool.CompleteTransferAsync(1, 77);
        Assert.Empty(await _pool.ListInTransitAsync(1));
        Assert.Equal(30, (await _shard.GetAsync(1)).Available);

        Assert.Equal(10, await _shard.TakeAsync(1, 10, transferId: 78));
        Assert.Equal(10, await _shard.TakeAsync(1, 10, transferId: 78));
        await _pool.PutAsync(1, 10, transferId: 78);
        await _pool.PutAsync(1, 10, transferId: 78);
        Assert.Equal((80L, 20L), (await _pool.GetAsync(1), (await _shard.GetAsync(1)).Available));
    }
}
