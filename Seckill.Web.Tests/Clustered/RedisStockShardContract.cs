using Microsoft.Extensions.Options;
using Seckill.Web.Cluster;
using Seckill.Web.Orders;
using Seckill.Web.Stock;
using Seckill.Web.Storage;
using Seckill.Web.Storage.Redis;
using Seckill.Web.Tests.Contracts;
using Seckill.Web.Tests.Infrastructure;

namespace Seckill.Web.Tests.Clustered;

/// <summary>
/// The shard contract against a real redis-server (one of its own: some tests flush its scripts
/// or take writes away from it), and what only a shard that can lose writes must do: fence itself.
/// </summary>
public sealed class RedisStockShardContract : StockShardContract, IAsyncLifetime
{
    private readonly RedisServer _redis = RedisServer.Start();
    private RedisConnections _connections = null!;
    private RedisStockShard _shard = null!;

    protected override IStockShard Shard => _shard;

    public async Task InitializeAsync()
    {
        _connections = new RedisConnections(new RedisSettings(Pool: _redis.Configuration(1), Shard: _redis.Configuration(0), ShardId: 3));
        await _connections.ConnectAsync("contract");
        _shard = new RedisStockShard(_connections);
    }

    public Task DisposeAsync()
    {
        _connections.Dispose();
        _redis.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task ScriptsSurviveTheServerForgettingThem()
    {
        await Shard.AddAsync(Sale, 5, transferId: 1);
        await Shard.ReserveAsync(For(1, 1));
        Assert.StartsWith("+OK", _redis.Command("SCRIPT FLUSH"));

        // EVALSHA answers NOSCRIPT; the client sends the script again with its text.
        Assert.Equal(ReserveStatus.Reserved, (await Shard.ReserveAsync(For(2, 2))).Status);
        Assert.Equal(new ShardStock(3, 2), await Shard.GetAsync(Sale));
    }

    [Fact]
    public async Task ARedisThatLostWritesItAnsweredFencesTheShardUntilItIsRestored()
    {
        var fenced = 0;
        Shard.Fenced += () => Interlocked.Increment(ref fenced);
        await Shard.AddAsync(Sale, 10, transferId: 1);
        Assert.Equal(ReserveStatus.Reserved, (await Shard.ReserveAsync(For(BigId, 1))).Status);

        // The Redis comes back without its last writes: its write counter is behind what it answered.
        Assert.Equal(":1\r\n", _redis.Command("DEL seckill:contract:seq"));

        Assert.Equal(ReserveStatus.Fenced, (await Shard.ReserveAsync(For(BigId + 1, 2))).Status);
        Assert.True(fenced >= 1);
        // Nothing was taken meanwhile, and the fence holds for every buyer until restored.
        Assert.Equal(new ShardStock(9, 1), await Shard.GetAsync(Sale));
        Assert.Equal(ReserveStatus.Fenced, (await Shard.ReserveAsync(For(BigId + 2, 3))).Status);

        await Shard.RestoreAsync(new ShardState(Sale, 10, [new ShardMove(1, 10)], [For(BigId, 1)], new Dictionary<long, long> { [1] = BigId }));
        await Shard.LiftFenceAsync();
        Assert.Equal(ReserveStatus.Reserved, (await Shard.ReserveAsync(For(BigId + 1, 2))).Status);
        Assert.Equal(new ShardStock(8, 2), await Shard.GetAsync(Sale));
    }

    [Fact]
    public async Task AnEmptiedRedisFencesTheShardAsSoonAsTheConnectionIsBack()
    {
        var fenced = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Shard.Fenced += () => fenced.TrySetResult();
        await Shard.AddAsync(Sale, 10, transferId: 1);

        // Killed and started again with nothing at all (its AOF gone with its host): no request
        // has to come for the shard to notice.
        _redis.Kill();
        Directory.Delete(Path.Combine(_redis.Directory, "appendonlydir"), recursive: true);
        _redis.Restart();

        await fenced.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(ReserveStatus.Fenced, (await Shard.ReserveAsync(For(BigId, 1))).Status);
    }
}
