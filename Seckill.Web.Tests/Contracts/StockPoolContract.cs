using Microsoft.Extensions.Options;
using Seckill.Web.Orders;
using Seckill.Web.Sales;
using Seckill.Web.Stock;
using Seckill.Web.Storage.InProcess;
using Seckill.Web.Storage.Sql;
using Seckill.Web.Tests.Infrastructure;
using Seckill.Web.Tests.Unit;

namespace Seckill.Web.Tests.Contracts;

/// <summary>
/// What every <see cref="IStockPool"/> promises, run against the service's pool and ledger in each
/// database (<see cref="SqliteStockPoolContract"/>, <see cref="MySqlStockPoolContract"/>) and the
/// in-memory one tests drive (<see cref="InProcessStockPoolContract"/>).
/// </summary>
public abstract class StockPoolContract
{
    protected abstract IStockPool Pool { get; }

    /// <summary>A sale whose pool holds <paramref name="stock"/> units.</summary>
    protected abstract Task<long> SaleWithPoolAsync(int stock);

    [Fact]
    public async Task ATakeIsRecordedAndAppliedOncePerTransferId()
    {
        var sale = await SaleWithPoolAsync(100);

        Assert.Equal(30, await Pool.TakeAsync(sale, 30, transferId: 77, toShard: 4));
        Assert.Equal(30, await Pool.TakeAsync(sale, 30, transferId: 77, toShard: 4));
        Assert.Equal(70, await Pool.GetAsync(sale));
        Assert.Equal([new Transfer(77, sale, FromShard: null, ToShard: 4, 30)], await InTransitAsync(sale));

        await Pool.CompleteTransferAsync(sale, 77);
        await Pool.CompleteTransferAsync(sale, 77);
        Assert.Empty(await InTransitAsync(sale));
        Assert.Equal(70, await Pool.GetAsync(sale));
    }

    [Fact]
    public async Task ATakeGetsWhatIsLeftAndNothingFromAnEmptyPool()
    {
        var sale = await SaleWithPoolAsync(10);
        Assert.Equal(10, await Pool.TakeAsync(sale, 25, transferId: 1, toShard: 0));
        Assert.Equal(0, await Pool.TakeAsync(sale, 25, transferId: 2, toShard: 0));
        Assert.Equal(0, await Pool.GetAsync(sale));
        Assert.Equal([new Transfer(1, sale, FromShard: null, ToShard: 0, 10)], await InTransitAsync(sale));
    }

    [Fact]
    public async Task MovesPerShardCountLandedUnitsInAndOut()
    {
        var sale = await SaleWithPoolAsync(100);
        await Pool.TakeAsync(sale, 40, transferId: 1, toShard: 4);
        await Pool.CompleteTransferAsync(sale, 1);
        await Pool.RecordWithdrawalAsync(sale, 2, fromShard: 4, toShard: 5, maxUnits: 15);
        await Pool.MarkWithdrawnAsync(sale, 2, 15);
        await Pool.CompleteTransferAsync(sale, 2);
        await Pool.TakeAsync(sale, 10, transferId: 3, toShard: 5); // in transit: not counted yet

        Assert.Equal([new ShardMoves(4, UnitsIn: 40, UnitsOut: 15), new ShardMoves(5, UnitsIn: 15, UnitsOut: 0)], await Pool.MovesAsync(sale));
    }

    /// <summary>The moves in transit, without the time each was recorded (which the test cannot know).</summary>
    protected async Task<IReadOnlyList<Transfer>> InTransitAsync(long sale) =>
        (await Pool.ListInTransitAsync(sale)).Select(transfer => transfer with { CreatedAtMs = 0 }).ToList();

    [Fact]
    public async Task AMoveOutOfAShardIsAnIntentUntilTheShardSaysWhatItSentThenLandsInThePoolOnce()
    {
        var sale = await SaleWithPoolAsync(100);
        await Pool.TakeAsync(sale, 40, transferId: 1, toShard: 4);
        await Pool.CompleteTransferAsync(sale, 1);
        var version = await Pool.LedgerVersionAsync(sale);

        await Pool.RecordWithdrawalAsync(sale, 2, fromShard: 4, toShard: null, maxUnits: 25);
        await Pool.RecordWithdrawalAsync(sale, 2, fromShard: 4, toShard: null, maxUnits: 25);
        Assert.NotEqual(version, await Pool.LedgerVersionAsync(sale));
        Assert.Equal([new Transfer(2, sale, 4, null, 25, Withdrawn: false)], await InTransitAsync(sale));
        // An intent has taken nothing from the shard by the ledger yet.
        Assert.Equal(40, Assert.Single(await Pool.HoldingsAsync(4, CancellationToken.None)).Units);

        await Pool.MarkWithdrawnAsync(sale, 2, 18);
        await Pool.MarkWithdrawnAsync(sale, 2, 5); // a second answer cannot change the first
        Assert.Equal([new Transfer(2, sale, 4, null, 18)], await InTransitAsync(sale));
        Assert.Equal(22, Assert.Single(await Pool.HoldingsAsync(4, CancellationToken.None)).Units);
        Assert.Equal(60, await Pool.GetAsync(sale));

        await Pool.LandInPoolAsync(sale, 2);
        await Pool.LandInPoolAsync(sale, 2);
        Assert.Equal(78, await Pool.GetAsync(sale));
        Assert.Empty(await InTransitAsync(sale));
    }

    [Fact]
    public async Task AWithdrawalThatSentNothingEndsAtOnce()
    {
        var sale = await SaleWithPoolAsync(100);
        await Pool.TakeAsync(sale, 10, transferId: 1, toShard: 4);
        await Pool.CompleteTransferAsync(sale, 1);
        await Pool.RecordWithdrawalAsync(sale, 2, fromShard: 4, toShard: 5, maxUnits: 10);
        await Pool.MarkWithdrawnAsync(sale, 2, 0);

        Assert.Empty(await InTransitAsync(sale));
        Assert.Equal(10, Assert.Single(await Pool.HoldingsAsync(4, CancellationToken.None)).Units);
    }

    [Fact]
    public async Task AReclaimReturnsWhatTheShardHoldsToThePoolOnceAndEndsMovesIntoIt()
    {
        var sale = await SaleWithPoolAsync(100);
        await Pool.TakeAsync(sale, 30, transferId: 1, toShard: 4);
        await Pool.CompleteTransferAsync(sale, 1);
        await Pool.TakeAsync(sale, 20, transferId: 2, toShard: 4); // in transit when the instance died
        await Pool.RecordWithdrawalAsync(sale, 3, fromShard: 4, toShard: 5, maxUnits: 5);
        await Pool.MarkWithdrawnAsync(sale, 3, 5); // stolen before it died

        Assert.Equal(45, await Pool.ReturnHoldingAsync(sale, 4, transferId: 9));
        Assert.Equal(45, await Pool.ReturnHoldingAsync(sale, 4, transferId: 9));
        Assert.Equal(50 + 45, await Pool.GetAsync(sale));
        Assert.Equal(0, Assert.Single(await Pool.HoldingsAsync(4, CancellationToken.None)).Units);
        // The move into the dead shard ended with the reclaim; the steal out of it still lands.
        Assert.Equal([new Transfer(3, sale, 4, 5, 5)], await InTransitAsync(sale));
        Assert.Equal(0, await Pool.ReturnHoldingAsync(sale, 4, transferId: 10));
    }

    [Fact]
    public async Task AMoveItsShardRefusedLandsInThePoolOnceUnlessTheReclaimCountedItAlready()
    {
        var sale = await SaleWithPoolAsync(100);
        await Pool.TakeAsync(sale, 30, transferId: 1, toShard: 4);
        await Pool.CompleteTransferAsync(sale, 1);
        Assert.Equal(30, await Pool.ReturnHoldingAsync(sale, 4, transferId: 9));

        // Decided after the reclaim returned shard 4's stock: refused there, it lands in the pool.
        await Pool.TakeAsync(sale, 20, transferId: 2, toShard: 4);
        await Pool.LandInPoolAsync(sale, 2);
        await Pool.LandInPoolAsync(sale, 2);
        Assert.Equal(100, await Pool.GetAsync(sale));
        Assert.Empty(await InTransitAsync(sale));
        Assert.Equal(0, Assert.Single(await Pool.HoldingsAsync(4, CancellationToken.None)).Units);

        // Decided before a reclaim, which found it in transit and returned it with the rest.
        await Pool.TakeAsync(sale, 20, transferId: 3, toShard: 5);
        Assert.Equal(20, await Pool.ReturnHoldingAsync(sale, 5, transferId: 10));
        await Pool.LandInPoolAsync(sale, 3);
        Assert.Equal(100, await Pool.GetAsync(sale));
        Assert.Equal(0, Assert.Single(await Pool.HoldingsAsync(5, CancellationToken.None)).Units);
    }

    [Fact]
    public async Task ThousandsOfConcurrentTakesNeverTakeMoreThanThePoolHolds()
    {
        var sale = await SaleWithPoolAsync(500);
        var taken = await Task.WhenAll(Enumerable.Range(1, 1000).Select(i => Pool.TakeAsync(sale, 1 + i % 3, transferId: i, toShard: i % 4).AsTask()));
        Assert.Equal(500, taken.Sum());
        Assert.Equal(0, await Pool.GetAsync(sale));
    }

    [Fact]
    public async Task AShardHoldsWhatTheLedgerMovedToIt()
    {
        var sale = await SaleWithPoolAsync(100);
        await Pool.TakeAsync(sale, 30, transferId: 1, toShard: 4);
        await Pool.TakeAsync(sale, 20, transferId: 2, toShard: 4);
        await Pool.TakeAsync(sale, 15, transferId: 3, toShard: 5);

        var holding = Assert.Single(await Pool.HoldingsAsync(4, CancellationToken.None));
        Assert.Equal((sale, 50L), (holding.SaleId, holding.Units));
        Assert.Equal([new ShardMove(1, 30), new ShardMove(2, 20)], holding.MovesIn.OrderBy(move => move.TransferId));
    }
}

public sealed class InProcessStockPoolContract : StockPoolContract
{
    private readonly InProcessStockPool _pool = new();
    private long _sales;

    protected override IStockPool Pool => _pool;

    protected override Task<long> SaleWithPoolAsync(int stock)
    {
        var sale = Interlocked.Increment(ref _sales);
        _pool.Add(sale, stock);
        return Task.FromResult(sale);
    }
}

/// <summary>The pool and ledger in a database of one mode; also what only the database knows: orders take units off their shard.</summary>
public abstract class SqlStockPoolContract(StorageMode mode) : StockPoolContract, IAsyncLifetime, IDisposable
{
    private readonly StorageSetupFor _setup = new(mode);
    private SqlStockPool _pool = null!;

    protected override IStockPool Pool => _pool;

    public async Task InitializeAsync()
    {
        await _setup.Database.MigrateAsync(CancellationToken.None);
        _pool = new SqlStockPool(_setup.Database, TimeProvider.System);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose() => _setup.Dispose();

    protected override async Task<long> SaleWithPoolAsync(int stock) =>
        (await new SqlSaleStore(_setup.Database).CreateAsync(
            new NewSale("S", "S", 100, stock, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddHours(1), 5), CancellationToken.None)).Id;

    /// <summary>
    /// A move between shards (a steal) or back to the pool (a reclaim) in flight is listed with its
    /// source and destination, like a refill: whoever finds it after a crash knows what to resume.
    /// </summary>
    [Fact]
    public async Task EveryMoveInFlightNamesItsSourceAndDestination()
    {
        var sale = await SaleWithPoolAsync(100);
        await Pool.TakeAsync(sale, 30, transferId: 1, toShard: 4);
        await using (var connection = await _setup.Database.OpenAsync(CancellationToken.None))
        {
            // Written as the allocator across instances will record them.
            await new Sql(connection, null, CancellationToken.None).ExecuteAsync(
                """
                INSERT INTO stock_moves (id, sale_id, from_shard, to_shard, units, created_at) VALUES
                (2, @sale, 4, 5, 10, 0), (3, @sale, 5, NULL, 3, 0), (4, @sale, 4, NULL, 1, 0)
                """, new { sale });
        }
        await Pool.CompleteTransferAsync(sale, 4);

        Assert.Equal(
            [new Transfer(1, sale, null, 4, 30), new Transfer(2, sale, 4, 5, 10), new Transfer(3, sale, 5, null, 3)],
            (await InTransitAsync(sale)).OrderBy(transfer => transfer.TransferId));
    }

    [Fact]
    public async Task OrdersTakeTheirUnitsOffTheirShardAndAnEndedOrderReturnsThemToThePool()
    {
        var sale = await SaleWithPoolAsync(100);
        await Pool.TakeAsync(sale, 40, transferId: 1, toShard: 4);
        var orders = new SqlOrderStore(_setup.Database, TimeProvider.System);
        Reservation For(long id, int shard, int quantity) => new(id, sale, id, quantity, 100, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), shard);
        await orders.WriteAsync([For(11, 4, 2), For(12, 4, 3), For(13, 5, 1)], TimeSpan.FromMinutes(15), CancellationToken.None);
        await orders.ChangeAsync([new OrderChange(12, OrderChangeKind.Cancel, BuyerId: null)], CancellationToken.None);

        // Shard 4: 40 in, 5 taken by its orders (the cancelled one's 3 went to the pool, not back here).
        Assert.Equal(35, Assert.Single(await Pool.HoldingsAsync(4, CancellationToken.None)).Units);
        Assert.Equal(60 + 3, await Pool.GetAsync(sale));
        // Shard 5 never had units moved to it: its order overdrew it, and the ledger shows that.
        Assert.Equal(-1, Assert.Single(await Pool.HoldingsAsync(5, CancellationToken.None)).Units);
    }
}

public sealed class SqliteStockPoolContract() : SqlStockPoolContract(StorageMode.Embedded);

public sealed class MySqlStockPoolContract() : SqlStockPoolContract(StorageMode.Clustered);
