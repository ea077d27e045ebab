using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Seckill.Web.Cluster;
using Seckill.Web.Orders;
using Seckill.Web.Sales;
using Seckill.Web.Stock;
using Seckill.Web.Storage;
using Seckill.Web.Storage.InProcess;
using Seckill.Web.Storage.Sql;
using Seckill.Web.Storage.Sqlite;
using Seckill.Web.Tests.Infrastructure;

namespace Seckill.Web.Tests.Unit;

/// <summary>
/// The order writer's settling of a batch on the shards that hold its reservations: this
/// instance's and another's (the end game's), with SQLite for the orders and in-process shards.
/// </summary>
public sealed class OrderWriterTests : IDisposable
{
    private readonly TestStore _store = new(StorageMode.Embedded);

    public void Dispose() => _store.Dispose();

    [Fact]
    public async Task ABatchOnTwoShardsIsConfirmedOnEachShard()
    {
        var database = new SqliteDatabase(_store.Settings["Storage:SqlitePath"]!);
        await database.MigrateAsync(CancellationToken.None);
        var sale = await new SqlSaleStore(database).CreateAsync(
            new NewSale("S", "S", 100, 10, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddHours(1), 5), CancellationToken.None);

        var own = new InProcessStockShard(1);
        var other = new InProcessStockShard(2);
        var remote = new InProcessRemoteShards();
        remote.Register(other.Id, other);
        var shards = new ShardRouter(own, remote, Options.Create(new ClusterOptions()), NullLogger<ShardRouter>.Instance);
        await shards.LearnAsync([new InstanceBeat(other.Id, "shard-2", DateTimeOffset.UtcNow, new Dictionary<long, double>())]);
        await own.AddAsync(sale.Id, 5, transferId: 1);
        await other.AddAsync(sale.Id, 5, transferId: 2);

        // The first buyers on this instance's shard, the last on the other: one batch holds both.
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        Reservation[] batch =
        [
            new(1, sale.Id, 11, 1, 100, now, own.Id),
            new(2, sale.Id, 12, 1, 100, now, own.Id),
            new(3, sale.Id, 13, 1, 100, now, other.Id),
        ];
        foreach (var reservation in batch)
        {
            var shard = shards.Get(reservation.ShardId);
            Assert.Equal(ReserveStatus.Reserved, (await shard.ReserveAsync(reservation)).Status);
        }

        var writes = await WriterOn(shards, database).CommitAsync(batch);

        Assert.NotNull(writes);
        Assert.All(writes, write => Assert.True(write.Committed));
        // Confirmed where each is held: nothing left unconfirmed, no unit counted as reserved.
        Assert.Empty(await own.ListUnconfirmedAsync());
        Assert.Empty(await other.ListUnconfirmedAsync());
        Assert.Equal(0, (await own.GetAsync(sale.Id)).Reserved);
        Assert.Equal(0, (await other.GetAsync(sale.Id)).Reserved);
    }

    private static OrderWriter WriterOn(ShardRouter shards, SqliteDatabase database)
    {
        var soldOut = new SoldOutBoard();
        var broadcast = new SoldOutBroadcast(new InProcessClusterChannel(), soldOut, new InProcessStockPool(), shards, NullLogger<SoldOutBroadcast>.Instance);
        return UnstartedOrderWriter.Create(new SqlOrderStore(database, TimeProvider.System), shards,
            new Restock(shards, soldOut, broadcast, NullLogger<Restock>.Instance), Options.Create(new OrderOptions()));
    }
}
