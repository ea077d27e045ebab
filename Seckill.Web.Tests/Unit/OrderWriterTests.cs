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
        var (database, sale) = await DatabaseWithASaleAsync();

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

    [Fact]
    public async Task ABuyerIsAnsweredWhenTheOrderCommitsNotWhenTheShardConfirmsIt()
    {
        var (database, sale) = await DatabaseWithASaleAsync();
        var own = new ConfirmHeldShard(new InProcessStockShard(1));
        var shards = new ShardRouter(own, new InProcessRemoteShards(), Options.Create(new ClusterOptions()), NullLogger<ShardRouter>.Instance);
        await own.AddAsync(sale.Id, 5, transferId: 1);
        var reservation = new Reservation(1, sale.Id, 11, 1, 100, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), own.Id);
        Assert.Equal(ReserveStatus.Reserved, (await own.ReserveAsync(reservation)).Status);

        var writer = WriterOn(shards, database);
        await writer.StartAsync(CancellationToken.None);
        try
        {
            Assert.True(writer.TryEnqueue(reservation, out var pending));

            // The shard does not answer the confirmation; the buyer's order is committed all the same.
            using var waits = new ConfirmWaits(TimeSpan.FromMinutes(1), TimeProvider.System);
            Assert.True(await waits.WaitAsync(pending));
            Assert.True(pending.Write.Committed);
            Assert.NotNull(await new SqlOrderStore(database, TimeProvider.System).FindAsync(reservation.OrderId, CancellationToken.None));
            Assert.Single(await own.ListUnconfirmedAsync());
        }
        finally
        {
            // The batch is still settled once the shard answers.
            own.ReleaseConfirmations();
            await writer.StopAsync(CancellationToken.None);
        }
        Assert.Empty(await own.ListUnconfirmedAsync());
        Assert.Equal(0, (await own.GetAsync(sale.Id)).Reserved);
    }

    [Fact]
    public async Task TheNextBatchIsWrittenWhileThePreviousOneIsConfirmedOnTheShard()
    {
        var (database, sale) = await DatabaseWithASaleAsync();
        var own = new ConfirmHeldShard(new InProcessStockShard(1));
        var shards = new ShardRouter(own, new InProcessRemoteShards(), Options.Create(new ClusterOptions()), NullLogger<ShardRouter>.Instance);
        await own.AddAsync(sale.Id, 5, transferId: 1);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        Reservation[] reservations = [new(1, sale.Id, 11, 1, 100, now, own.Id), new(2, sale.Id, 12, 1, 100, now, own.Id)];
        foreach (var reservation in reservations)
        {
            Assert.Equal(ReserveStatus.Reserved, (await own.ReserveAsync(reservation)).Status);
        }

        // One order a batch: both are queued before the writer starts, so they make two batches.
        var writer = WriterOn(shards, database, new OrderOptions { BatchSize = 1 });
        Assert.True(writer.TryEnqueue(reservations[0], out var first));
        Assert.True(writer.TryEnqueue(reservations[1], out var second));
        await writer.StartAsync(CancellationToken.None);
        try
        {
            // The shard holds the first batch's confirmation; the second batch is written meanwhile.
            using var waits = new ConfirmWaits(TimeSpan.FromMinutes(1), TimeProvider.System);
            Assert.True(await waits.WaitAsync(first));
            Assert.True(await waits.WaitAsync(second));
            Assert.Equal(2, (await own.ListUnconfirmedAsync()).Count);

            // Whoever pauses the writer (the shard's recovery) waits until both batches are
            // settled: not handed over while the second is still being confirmed.
            var pause = writer.PauseAsync(CancellationToken.None);
            own.ReleaseOne();
            await Eventually.TrueAsync(async () => own.Held == 1 && (await own.ListUnconfirmedAsync()).Count == 1,
                "the first batch confirmed and the second one's confirmation held");
            Assert.False(pause.IsCompleted);
            own.ReleaseOne();
            using (await pause.WaitAsync(TimeSpan.FromMinutes(1)))
            {
                Assert.Empty(await own.ListUnconfirmedAsync());
            }
        }
        finally
        {
            own.ReleaseConfirmations();
            await writer.StopAsync(CancellationToken.None);
        }
        Assert.Equal(0, (await own.GetAsync(sale.Id)).Reserved);
    }

    /// <summary>The test's SQLite database, migrated, with one running sale of 10 units.</summary>
    private async Task<(SqliteDatabase Database, Sale Sale)> DatabaseWithASaleAsync()
    {
        var database = new SqliteDatabase(_store.Settings["Storage:SqlitePath"]!);
        await database.MigrateAsync(CancellationToken.None);
        var sale = await new SqlSaleStore(database).CreateAsync(
            new NewSale("S", "S", 100, 10, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddHours(1), 5), CancellationToken.None);
        return (database, sale);
    }

    private static OrderWriter WriterOn(ShardRouter shards, SqliteDatabase database, OrderOptions? options = null)
    {
        var soldOut = new SoldOutBoard();
        var broadcast = new SoldOutBroadcast(new InProcessClusterChannel(), soldOut, new InProcessStockPool(), shards, NullLogger<SoldOutBroadcast>.Instance);
        return UnstartedOrderWriter.Create(new SqlOrderStore(database, TimeProvider.System), shards,
            new Restock(shards, soldOut, broadcast, NullLogger<Restock>.Instance), Options.Create(options ?? new OrderOptions()));
    }

    /// <summary>A shard whose confirmations wait until released (all, or one at a time); everything else goes straight through.</summary>
    private sealed class ConfirmHeldShard(IStockShard inner) : IStockShard
    {
        private readonly SemaphoreSlim _gate = new(0);
        private volatile bool _open;
        private int _held;

        /// <summary>Confirmations waiting at the gate now.</summary>
        public int Held => Volatile.Read(ref _held);

        public void ReleaseConfirmations()
        {
            _open = true;
            _gate.Release(1_000);
        }

        public void ReleaseOne() => _gate.Release();

        public async ValueTask ConfirmAsync(IReadOnlyList<Reservation> reservations)
        {
            if (!_open)
            {
                Interlocked.Increment(ref _held);
                await _gate.WaitAsync();
                Interlocked.Decrement(ref _held);
            }
            await inner.ConfirmAsync(reservations);
        }

        public int Id => inner.Id;

        public event Action? Fenced
        {
            add => inner.Fenced += value;
            remove => inner.Fenced -= value;
        }

        public ValueTask<ReserveResult> ReserveAsync(Reservation reservation) => inner.ReserveAsync(reservation);
        public bool TryGetKnownOrder(long saleId, long userId, out long orderId) => inner.TryGetKnownOrder(saleId, userId, out orderId);
        public ValueTask FailAsync(Reservation reservation, bool returnUnits = true) => inner.FailAsync(reservation, returnUnits);
        public ValueTask ReleaseMarkAsync(long saleId, long userId, long orderId) => inner.ReleaseMarkAsync(saleId, userId, orderId);
        public ValueTask RestoreMarkAsync(long saleId, long userId, long orderId) => inner.RestoreMarkAsync(saleId, userId, orderId);
        public ValueTask ForgetBuyersAsync(long saleId) => inner.ForgetBuyersAsync(saleId);
        public ValueTask<bool> AddAsync(long saleId, long units, long transferId) => inner.AddAsync(saleId, units, transferId);
        public ValueTask<bool> HasReceivedAsync(long saleId, long transferId) => inner.HasReceivedAsync(saleId, transferId);
        public ValueTask<long> WithdrawAsync(long saleId, long maxUnits, long transferId) => inner.WithdrawAsync(saleId, maxUnits, transferId);
        public ValueTask<long> SettleWithdrawalAsync(long saleId, long transferId) => inner.SettleWithdrawalAsync(saleId, transferId);
        public ValueTask<long?> SentAsync(long saleId, long transferId) => inner.SentAsync(saleId, transferId);
        public ValueTask<IReadOnlyList<Reservation>> ReclaimAsync() => inner.ReclaimAsync();
        public ValueTask<bool> IsReclaimedAsync() => inner.IsReclaimedAsync();
        public ValueTask RejoinAsync() => inner.RejoinAsync();
        public ValueTask<ShardStock> GetAsync(long saleId) => inner.GetAsync(saleId);
        public ValueTask<IReadOnlyDictionary<long, long>> ListBuyersAsync(long saleId) => inner.ListBuyersAsync(saleId);
        public ValueTask<long> CountBuyersAsync(long saleId) => inner.CountBuyersAsync(saleId);
        public ValueTask<IReadOnlyList<Reservation>> ListUnconfirmedAsync() => inner.ListUnconfirmedAsync();
        public ValueTask<Reservation?> FindUnconfirmedAsync(long orderId) => inner.FindUnconfirmedAsync(orderId);
        public ValueTask FenceAsync() => inner.FenceAsync();
        public ValueTask RestoreAsync(ShardState state) => inner.RestoreAsync(state);
        public ValueTask LiftFenceAsync() => inner.LiftFenceAsync();
        public ValueTask PingAsync() => inner.PingAsync();
    }
}
