using Dapper;
using Microsoft.Extensions.Options;
using Seckill.Web.Orders;
using Seckill.Web.Sales;
using Seckill.Web.Stock;
using Seckill.Web.Storage;
using Seckill.Web.Storage.MySql;
using Seckill.Web.Storage.Sql;
using Seckill.Web.Storage.Sqlite;
using Seckill.Web.Tests.Infrastructure;

namespace Seckill.Web.Tests.Unit;

/// <summary>The order store against SQLite: the database's own last lines of defence.</summary>
public sealed class SqliteOrderStoreTests() : OrderStoreTests(new StorageSetupFor(StorageMode.Embedded))
{
    [Fact]
    public async Task ConnectionsWaitForTheWriteLockInSqliteNotInTheDriver()
    {
        // Microsoft.Data.Sqlite's own retry sleeps 150 ms for a busy lock, however briefly it is held
        // (BENCHMARKS.md section 18): every connection hands the wait to SQLite's busy handler.
        await using var connection = await Database.OpenAsync(CancellationToken.None);
        Assert.Equal(SqliteDatabase.BusyTimeoutMs, await connection.ExecuteScalarAsync<int>("PRAGMA busy_timeout"));
    }
}

/// <summary>The same against a real MariaDB (the test run's shared server, a database of its own).</summary>
public sealed class MySqlOrderStoreTests() : OrderStoreTests(new StorageSetupFor(StorageMode.Clustered))
{
    [Fact]
    public async Task TheSchemaIsMigratedOnceAndRecordedInTheVersionTable()
    {
        // A second start (or a second instance) finds the work done and applies nothing again.
        var applied = await Database.AppliedVersionsAsync(CancellationToken.None);
        await Database.MigrateAsync(CancellationToken.None);
        Assert.Equal(applied, await Database.AppliedVersionsAsync(CancellationToken.None));
        Assert.Equal(Enumerable.Range(1, applied.Count), applied);
    }

    [Fact]
    public async Task AStepWhoseWorkIsDoneButNotRecordedIsTakenAsApplied()
    {
        // MySQL commits DDL as it goes: an instance killed between the last steps (an index
        // created, then the index it replaces dropped) and their version rows finds, on its next
        // start, work already done — and must start.
        var applied = await Database.AppliedVersionsAsync(CancellationToken.None);
        await using (var connection = await Database.OpenAsync(CancellationToken.None))
        {
            await connection.ExecuteAsync("DELETE FROM schema_version WHERE version >= @from", new { from = applied.Count - 1 });
        }
        await Database.MigrateAsync(CancellationToken.None);

        Assert.Equal(applied, await Database.AppliedVersionsAsync(CancellationToken.None));
        await using var check = await Database.OpenAsync(CancellationToken.None);
        var indexes = (await check.QueryAsync<string>(
            "SELECT DISTINCT index_name FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = 'orders'")).ToList();
        Assert.Contains("ix_orders_sale_stock", indexes);
        Assert.DoesNotContain("ix_orders_sale", indexes);
    }

    [Fact]
    public async Task APaymentInTimeDoesNotWaitForItsSalesRow()
    {
        // The order writer holds the sale's row for each batch it commits; a payment in time
        // changes its order's row only, so payers do not queue behind the writer's commits.
        var sale = await SaleAsync(10);
        await WriteAsync(For(sale, 1, 1));
        await using var writer = await Database.OpenAsync(CancellationToken.None);
        await using var holding = await writer.BeginTransactionAsync();
        await writer.ExecuteScalarAsync<long>("SELECT id FROM sales WHERE id = @id FOR UPDATE", new { id = sale.Id }, holding);

        // Under MariaDB's lock wait (50 s), after which a payment that waited would fail.
        var pay = Orders.ChangeAsync([new(1, OrderChangeKind.Pay, 1)], CancellationToken.None);
        Assert.Equal(PaymentOutcome.Paid, (await pay.WaitAsync(TimeSpan.FromSeconds(40)))[0].Payment);
        await holding.RollbackAsync();
    }
}

/// <summary>An orders database of one mode, in a store of its own (migrated by the tests' InitializeAsync).</summary>
public sealed class StorageSetupFor : IDisposable
{
    public StorageSetupFor(StorageMode mode)
    {
        Store = new TestStore(mode);
        Database = mode == StorageMode.Clustered
            ? new MySqlDatabase(Store.Settings["ConnectionStrings:Mysql"]!)
            : new SqliteDatabase(Store.Settings["Storage:SqlitePath"]!);
    }

    public TestStore Store { get; }

    public SqlDatabase Database { get; }

    public void Dispose() => Store.Dispose();
}

/// <summary>The order store's contract, run against each database by the classes above.</summary>
public abstract class OrderStoreTests : IDisposable, IAsyncLifetime
{
    private readonly StorageSetupFor _setup;
    private readonly SqlOrderStore _orders;
    private readonly SqlSaleStore _sales;

    protected OrderStoreTests(StorageSetupFor setup)
    {
        _setup = setup;
        _orders = new SqlOrderStore(setup.Database, TimeProvider.System);
        _sales = new SqlSaleStore(setup.Database);
    }

    protected SqlDatabase Database => _setup.Database;

    protected SqlOrderStore Orders => _orders;

    public void Dispose() => _setup.Dispose();

    public Task InitializeAsync() => Database.MigrateAsync(CancellationToken.None);

    public Task DisposeAsync() => Task.CompletedTask;

    protected async Task<Sale> SaleAsync(int stock) =>
        await _sales.CreateAsync(new NewSale("S", "S", 100, stock, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddHours(1), 5), CancellationToken.None);

    protected static Reservation For(Sale sale, long orderId, long user, int quantity = 1) =>
        new(orderId, sale.Id, user, quantity, 100 * quantity, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), ShardId: 0);

    protected Task<IReadOnlyList<OrderWrite>> WriteAsync(params Reservation[] batch) =>
        _orders.WriteAsync(batch, TimeSpan.FromMinutes(15), CancellationToken.None);

    [Fact]
    public async Task ReplayingABatchWritesEachOrderOnce()
    {
        var sale = await SaleAsync(10);
        Reservation[] batch = [For(sale, 1, 1), For(sale, 2, 2, quantity: 3)];
        await WriteAsync(batch);
        var replay = await WriteAsync(batch);

        Assert.All(replay, write => Assert.True(write.Committed));
        var counts = await _orders.CountAsync(sale.Id, CancellationToken.None);
        Assert.Equal((4L, 4L), (counts.Sold, counts.AwaitingPayment));
    }

    [Fact]
    public async Task ManyOrdersAreReadTogetherAndOnlyThoseThatExist()
    {
        var sale = await SaleAsync(10);
        await WriteAsync(For(sale, 1, 1), For(sale, 2, 2, quantity: 3), For(sale, 3, 3));

        // An id twice (two polls of one order in a statement) and one never written.
        var found = await _orders.FindManyAsync([2, 99, 1, 2], CancellationToken.None);

        Assert.Equal([(1L, 1L, 1), (2L, 2L, 3)], found.Select(order => (order.Id, order.UserId, order.Quantity)).Order());
        Assert.Empty(await _orders.FindManyAsync([], CancellationToken.None));
    }

    [Fact]
    public async Task TheSoldGuardRefusesUnitsBeyondTheStock()
    {
        var sale = await SaleAsync(3);
        var writes = await WriteAsync(For(sale, 1, 1, 2), For(sale, 2, 2, 2), For(sale, 3, 3, 1));

        Assert.Equal([true, false, true], writes.Select(w => w.Committed));
        Assert.Equal(OrderWrite.SoldOut, writes[1].RefusalCode);
        Assert.Equal(("failed", "sold_out"), ((await _orders.FindAsync(2, CancellationToken.None))!.Status, (await _orders.FindAsync(2, CancellationToken.None))!.Reason));
        Assert.Equal(3, (await _orders.CountAsync(sale.Id, CancellationToken.None)).Sold);
    }

    [Fact]
    public async Task ASaleShortOfUnitsInABatchDoesNotHoldBackTheOtherSalesOrders()
    {
        // Each sale of a batch is judged on its own: the first one's guard refuses its rows as a
        // whole, so they are written one by one; the second's are written whole.
        var scarce = await SaleAsync(1);
        var plenty = await SaleAsync(10);
        var writes = await WriteAsync(For(scarce, 1, 1), For(plenty, 2, 2), For(scarce, 3, 3), For(plenty, 4, 4, quantity: 2));

        Assert.Equal([true, true, false, true], writes.Select(w => w.Committed));
        Assert.Equal(OrderWrite.SoldOut, writes[2].RefusalCode);
        // Each sale's own counter (CountAsync reads the sales row's sold column).
        Assert.Equal(1, (await _orders.CountAsync(scarce.Id, CancellationToken.None)).Sold);
        Assert.Equal(3, (await _orders.CountAsync(plenty.Id, CancellationToken.None)).Sold);
    }

    [Fact]
    public async Task TheUniqueIndexRefusesASecondActiveOrderAndNamesTheFirst()
    {
        var sale = await SaleAsync(10);
        var writes = await WriteAsync(For(sale, 1, 7), For(sale, 2, 7));

        Assert.True(writes[0].Committed);
        Assert.Equal((false, OrderWrite.AlreadyPurchased, 1L), (writes[1].Committed, writes[1].RefusalCode, writes[1].ExistingOrderId));
        Assert.Equal(1, (await _orders.CountAsync(sale.Id, CancellationToken.None)).Sold);
    }

    [Fact]
    public async Task AnIdThatBelongsToAnotherOrderIsNeverReportedAsWritten()
    {
        var sale = await SaleAsync(10);
        await WriteAsync(For(sale, 1, 7));
        var collision = await WriteAsync(For(sale, 1, 8, quantity: 3));

        Assert.Equal((false, OrderWrite.IdCollision), (collision[0].Committed, collision[0].RefusalCode));
        Assert.Equal(7, (await _orders.FindAsync(1, CancellationToken.None))!.UserId);
        Assert.Equal(1, (await _orders.CountAsync(sale.Id, CancellationToken.None)).Sold);
    }

    [Fact]
    public async Task ABatchOfChangesJudgesEachOnTheOrderAsTheChangesBeforeItLeftIt()
    {
        var sale = await SaleAsync(10);
        var other = await SaleAsync(10);
        await WriteAsync(For(sale, 1, 1), For(sale, 2, 2), For(other, 4, 4, quantity: 2));
        // Its deadline passed before anyone paid.
        await _orders.WriteAsync([For(sale, 3, 3)], TimeSpan.FromHours(-1), CancellationToken.None);

        var results = await _orders.ChangeAsync(
        [
            new(1, OrderChangeKind.Pay, 1),
            new(1, OrderChangeKind.Pay, 1), // a double click
            new(1, OrderChangeKind.Cancel, 1),
            new(2, OrderChangeKind.Pay, 99), // someone else's
            new(2, OrderChangeKind.Cancel, 2),
            new(2, OrderChangeKind.Pay, 2),
            new(3, OrderChangeKind.Pay, 3),
            new(4, OrderChangeKind.Pay, null), // an admin
            new(999, OrderChangeKind.Cancel, 1),
        ], CancellationToken.None);

        Assert.Equal(
            [PaymentOutcome.Paid, PaymentOutcome.AlreadyPaid, PaymentOutcome.NotFound, PaymentOutcome.Cancelled, PaymentOutcome.Expired, PaymentOutcome.Paid],
            new[] { 0, 1, 3, 5, 6, 7 }.Select(i => results[i].Payment));
        Assert.Equal([CancelOutcome.Paid, CancelOutcome.Cancelled, CancelOutcome.NotFound], new[] { 2, 4, 8 }.Select(i => results[i].Cancel));
        // The orders that ended hand their units back; the others do not.
        Assert.Equal([2L, 3L], results.Where(r => r.Ended is not null).Select(r => r.Ended!.Value.OrderId));

        Assert.Equal(["paid", "cancelled", "expired", "paid"],
            await Task.WhenAll(new long[] { 1, 2, 3, 4 }.Select(async id => (await _orders.FindAsync(id, CancellationToken.None))!.Status)));
        var counts = await _orders.CountAsync(sale.Id, CancellationToken.None);
        Assert.Equal((1L, 1L, 1L, 1L), (counts.Sold, counts.Paid, counts.Cancelled, counts.Expired));
        Assert.Equal((2L, 2L), ((await _orders.CountAsync(other.Id, CancellationToken.None)).Sold, (await _orders.CountAsync(other.Id, CancellationToken.None)).Paid));
    }

    [Fact]
    public async Task ExpiryEndsTheDueOrdersOfEverySaleAndHandsEachSaleItsOwnUnits()
    {
        var sale = await SaleAsync(10);
        var other = await SaleAsync(10);
        var pools = new SqlStockPool(Database, TimeProvider.System);
        var poolsBefore = (await pools.GetAsync(sale.Id), await pools.GetAsync(other.Id));
        // Due: two of one sale's orders (1 + 2 units) and one of the other's (3); not due: one of each.
        await _orders.WriteAsync([For(sale, 1, 1), For(sale, 2, 2, quantity: 2), For(other, 3, 3, quantity: 3)], TimeSpan.FromHours(-1), CancellationToken.None);
        await WriteAsync(For(sale, 4, 4), For(other, 5, 5, quantity: 2));

        var ended = await _orders.ExpireDueAsync(10, CancellationToken.None);

        Assert.Equal([(1L, sale.Id, 1L, 1), (2L, sale.Id, 2L, 2), (3L, other.Id, 3L, 3)],
            ended.Select(order => (order.OrderId, order.SaleId, order.UserId, order.Quantity)).Order());
        Assert.Equal(["expired", "expired", "expired", "awaiting_payment", "awaiting_payment"],
            await Task.WhenAll(new long[] { 1, 2, 3, 4, 5 }.Select(async id => (await _orders.FindAsync(id, CancellationToken.None))!.Status)));
        var (counts, otherCounts) = (await _orders.CountAsync(sale.Id, CancellationToken.None), await _orders.CountAsync(other.Id, CancellationToken.None));
        Assert.Equal((1L, 3L, 2L, 3L), (counts.Sold, counts.Expired, otherCounts.Sold, otherCounts.Expired));
        Assert.Equal((poolsBefore.Item1 + 3, poolsBefore.Item2 + 3), (await pools.GetAsync(sale.Id), await pools.GetAsync(other.Id)));
        Assert.Empty(await _orders.ExpireDueAsync(10, CancellationToken.None));
    }

    [Fact]
    public async Task TheDeadlineRunsFromTheCommitWhenTheWriteWasLate()
    {
        var sale = await SaleAsync(10);
        var anHourAgo = For(sale, 1, 7) with { CreatedAtMs = DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeMilliseconds() };
        await WriteAsync(anHourAgo);
        var order = await _orders.FindAsync(1, CancellationToken.None);
        Assert.True(order!.PayBy > DateTimeOffset.UtcNow.AddMinutes(14));
    }
}
