using System.Diagnostics;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Seckill.Web.Allocation;
using Seckill.Web.Cluster;
using Seckill.Web.Gate;
using Seckill.Web.Orders;
using Seckill.Web.Purchasing;
using Seckill.Web.Sales;
using Seckill.Web.Security;
using Seckill.Web.Stock;
using Seckill.Web.Storage;
using Seckill.Web.Storage.InProcess;
using Seckill.Web.Storage.Sql;
using Seckill.Web.Storage.Sqlite;
using Seckill.Web.Tests.Infrastructure;

namespace Seckill.Web.Tests.Unit;

/// <summary>
/// The purchase path's stock decisions, with the stock moves under the test's control. The order
/// writer is never started: with no confirm wait every winner is simply "queued".
/// </summary>
public class CheckoutTests
{
    private const long SaleId = 1;

    private sealed class Parts
    {
        public readonly SoldOutBoard SoldOut = new();
        public readonly InProcessStockShard Shard = new(0);
        public readonly GatedPool Pool = new();
        public readonly Checkout Checkout;
        public readonly Allocator Allocator;

        public Parts(double refillRatio)
        {
            var ids = new IdGenerator(Options.Create(new InstanceOptions()), TimeProvider.System);
            var shards = new ShardRouter(Shard, new InProcessRemoteShards(), Options.Create(new ClusterOptions()), NullLogger<ShardRouter>.Instance);
            var channel = new InProcessClusterChannel();
            var registry = new InProcessInstanceRegistry();
            var rates = new SellRates();
            var heartbeat = new InstanceHeartbeat(registry, shards, rates, Options.Create(new InstanceOptions()), Options.Create(new ClusterOptions()),
                TimeProvider.System, NullLogger<InstanceHeartbeat>.Instance);
            // Storage is never reached: the sale is pinned in memory.
            var database = new SqliteDatabase("unused.db");
            var gate = Options.Create(new GateOptions());
            var sales = new SaleDirectory(new SaleCatalog(), new SqlSaleStore(database), new MemoryCache(new MemoryCacheOptions()),
                Options.Create(new SaleLookupOptions()), TimeProvider.System, NullLogger<SaleDirectory>.Instance);
            var now = DateTimeOffset.UtcNow;
            sales.Know(new Sale(SaleId, "S", "S", 100, 10, now.AddMinutes(-1), now.AddHours(1), 1));
            var tokens = new PurchaseTokens(Options.Create(new AuthOptions()), gate, TimeProvider.System);
            // A cluster of one: the broadcast has no one to tell.
            var broadcast = new SoldOutBroadcast(channel, SoldOut, Pool, shards, NullLogger<SoldOutBroadcast>.Instance);
            var mover = new StockMover(Pool, shards, ids, SoldOut, broadcast);
            var allocator = Allocator = new Allocator(Pool, shards, mover, rates, heartbeat, registry, channel, SoldOut, broadcast,
                Options.Create(new AllocationOptions { ReserveRatio = 1, RefillRatio = refillRatio }), NullLogger<Allocator>.Instance);
            var restock = new Restock(shards, SoldOut, broadcast, NullLogger<Restock>.Instance);
            var orderOptions = Options.Create(new OrderOptions { ConfirmWaitMs = 0 });
            var store = new SqlOrderStore(database, TimeProvider.System);
            var writer = UnstartedOrderWriter.Create(store, shards, restock, orderOptions);
            Checkout = new Checkout(sales, new Admission(tokens, SoldOut, shards), new StockReserver(shards, allocator, SoldOut, broadcast),
                new OrderConfirmation(writer, restock, orderOptions, Options.Create(new Seckill.Web.Gate.OverloadOptions { Enabled = false }), TimeProvider.System), shards, ids, new NeverOverloaded(), TimeProvider.System,
                new PurchaseLog(NullLogger<PurchaseLog>.Instance, Options.Create(new InstanceOptions())));
        }
    }

    /// <summary>No overload control: what is tested here is the purchase itself (Endpoints/OverloadTests sheds).</summary>
    private sealed class NeverOverloaded : Seckill.Web.Gate.IOverloadSignal
    {
        public bool Overloaded => false;
    }

    /// <summary>An in-process pool whose first successful take pauses until the test releases it.</summary>
    private sealed class GatedPool : IStockPool
    {
        private readonly InProcessStockPool _inner = new();
        private int _gated;

        public TaskCompletionSource TakeReached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Add(long saleId, long units) => _inner.Add(saleId, units);
        public ValueTask<long> GetAsync(long saleId) => _inner.GetAsync(saleId);
        public ValueTask CompleteTransferAsync(long saleId, long transferId) => _inner.CompleteTransferAsync(saleId, transferId);
        public ValueTask<IReadOnlyList<Transfer>> ListInTransitAsync(long saleId) => _inner.ListInTransitAsync(saleId);
        public ValueTask<IReadOnlyList<ShardHolding>> HoldingsAsync(int shardId, CancellationToken cancellationToken) => _inner.HoldingsAsync(shardId, cancellationToken);
        public ValueTask<IReadOnlyList<ShardHolding>> HoldingsAsync(int shardId, IReadOnlyCollection<long> saleIds, CancellationToken cancellationToken) =>
            _inner.HoldingsAsync(shardId, saleIds, cancellationToken);

        public ValueTask<IReadOnlyList<ShardMoves>> MovesAsync(long saleId) => _inner.MovesAsync(saleId);
        public ValueTask RecordWithdrawalAsync(long saleId, long transferId, int fromShard, int? toShard, long maxUnits) =>
            _inner.RecordWithdrawalAsync(saleId, transferId, fromShard, toShard, maxUnits);
        public ValueTask MarkWithdrawnAsync(long saleId, long transferId, long units) => _inner.MarkWithdrawnAsync(saleId, transferId, units);
        public ValueTask LandInPoolAsync(long saleId, long transferId) => _inner.LandInPoolAsync(saleId, transferId);
        public ValueTask<long> ReturnHoldingAsync(long saleId, int shardId, long transferId) => _inner.ReturnHoldingAsync(saleId, shardId, transferId);
        public ValueTask<long> LedgerVersionAsync(long saleId) => _inner.LedgerVersionAsync(saleId);

        public async ValueTask<long> TakeAsync(long saleId, long maxUnits, long transferId, int toShard)
        {
            var taken = await _inner.TakeAsync(saleId, maxUnits, transferId, toShard);
            if (taken > 0 && Interlocked.Exchange(ref _gated, 1) == 0)
            {
                TakeReached.SetResult();
                await Release.Task;
            }
            return taken;
        }
    }

    [Fact]
    public async Task ABuyerIsNotToldSoldOutWhileUnitsAreOnTheirWayToTheShard()
    {
        // All 10 units in the pool; the first refill takes them all and stalls in transit.
        var parts = new Parts(refillRatio: 1);
        parts.Pool.Add(SaleId, 10);

        var first = parts.Checkout.PurchaseAsync(SaleId, userId: 1, quantity: 1, token: null).AsTask();
        await parts.Pool.TakeReached.Task;
        Assert.Equal(0, await parts.Pool.GetAsync(SaleId));

        // Pool and shard are both empty now, but ten units are in transit.
        var second = parts.Checkout.PurchaseAsync(SaleId, userId: 2, quantity: 1, token: null).AsTask();
        Assert.False(parts.SoldOut.IsSoldOut(SaleId));
        parts.Pool.Release.SetResult();

        Assert.Equal(PurchaseStatus.Queued, (await first).Status);
        Assert.Equal(PurchaseStatus.Queued, (await second).Status);
        Assert.False(parts.SoldOut.IsSoldOut(SaleId));
        Assert.Equal(new ShardStock(8, 2), await parts.Shard.GetAsync(SaleId));
    }

    /// <summary>
    /// A buyer whose answer is already known is not queued behind the refill under way: when the
    /// stock runs out, thousands a second arrive while one refill looks for more.
    /// </summary>
    [Fact]
    public async Task ABuyerWhoseAnswerIsKnownDoesNotWaitForTheRefillUnderWay()
    {
        var parts = new Parts(refillRatio: 1);
        parts.Pool.Add(SaleId, 10);
        var lane = parts.Allocator.For(SaleId);
        // What a buyer who found the shard short saw: the moves done, and when they looked.
        var movesSeen = lane.MovesDone;
        var lookedAt = Stopwatch.GetTimestamp();

        var refill = parts.Allocator.RefillAsync(lane, 1, 10, movesSeen, lookedAt).AsTask();
        await parts.Pool.TakeReached.Task;
        try
        {
            // The sale is marked sold out meanwhile (elsewhere, say): that buyer is told at once.
            Assert.True(parts.SoldOut.TryMarkSoldOut(SaleId, 0));
            var told = await parts.Allocator.RefillAsync(lane, 1, 10, movesSeen, lookedAt).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.False(told);
            Assert.False(refill.IsCompleted);
        }
        finally
        {
            parts.Pool.Release.SetResult();
        }
        Assert.True(await refill);
        // A buyer who waited for it is told to look again.
        Assert.True(await parts.Allocator.RefillAsync(lane, 1, 10, movesSeen, lookedAt));
    }

    /// <summary>
    /// The refill that finds nothing anywhere, with the buyers' shard empty too, marks the sale sold
    /// out itself: the crowd waiting for it is answered from memory, not after a second look each.
    /// </summary>
    [Fact]
    public async Task AnEmptyRefillOfAnEmptyShardMarksTheSaleSoldOut()
    {
        var parts = new Parts(refillRatio: 1);
        parts.Pool.Release.SetResult();
        var lane = parts.Allocator.For(SaleId);
        var (movesSeen, lookedAt) = (lane.MovesDone, Stopwatch.GetTimestamp());

        Assert.False(await parts.Allocator.RefillAsync(lane, 1, 10, movesSeen, lookedAt));

        Assert.True(parts.SoldOut.IsSoldOut(SaleId));
    }

    [Fact]
    public async Task WhenPoolAndShardAreEmptyTheSaleIsFlaggedSoldOutAndRefusedInMemory()
    {
        var parts = new Parts(refillRatio: 1);
        parts.Pool.Release.SetResult();
        parts.Pool.Add(SaleId, 1);

        Assert.Equal(PurchaseStatus.Queued, (await parts.Checkout.PurchaseAsync(SaleId, 1, 1, token: null)).Status);
        Assert.Equal(PurchaseStatus.SoldOut, (await parts.Checkout.PurchaseAsync(SaleId, 2, 1, token: null)).Status);
        Assert.True(parts.SoldOut.IsSoldOut(SaleId));

        // Stock coming back clears the flag and sells.
        parts.Pool.Add(SaleId, 1); // an order ended: its unit is back in the pool
        parts.SoldOut.StockReturned(SaleId);
        Assert.Equal(PurchaseStatus.Queued, (await parts.Checkout.PurchaseAsync(SaleId, 3, 1, token: null)).Status);
    }
}
