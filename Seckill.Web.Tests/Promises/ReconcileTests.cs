using System.Net;
using Hangfire;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Seckill.Web.Cluster;
using Seckill.Web.Jobs;
using Seckill.Web.Orders;
using Seckill.Web.Storage.Sql;
using Seckill.Web.Tests.Infrastructure;

namespace Seckill.Web.Tests.Promises;

/// <summary>
/// The reconcile job sets a shard right when the stores were changed behind the service's back.
/// Here, in both modes, the database: a move out of the pool recorded, its units never landed
/// (a crash between the two steps). The Redis corruptions are in <c>Clustered/ReconcileRedisTests</c>.
/// </summary>
public sealed class ReconcileTests : IDisposable
{
    // The rebalance job resumes moves left in transit too (after Allocation:ResumeMovesAfter); it is
    // turned off here so that the repair these tests look at is the reconcile job's.
    private readonly SeckillFactory _factory = new(new Dictionary<string, string?>
    {
        ["Jobs:Reconcile"] = "* * * * * *",
        ["Jobs:Rebalance"] = "0 0 31 2 *",
    });

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task StockStrandedInTransitLandsOnTheShardAndTheRepairIsRecorded()
    {
        var sale = await _factory.CreateSaleAsync(stock: 100);
        var before = await _factory.SettledStockAsync(sale.Id);
        var shardId = _factory.Get<IShardRouter>().Local.Id;

        _factory.StrandInTransit(sale.Id, shardId, units: 5, moveId: 777);

        await Eventually.TrueAsync(async () => (await _factory.StockAsync(sale.Id)) is { InTransit: 0 } stock && stock.Available == before.Available + 5,
            "the stranded units to land on the shard");
        var after = await _factory.StockAsync(sale.Id);
        Assert.Equal(before.Pool - 5, after.Pool);
        Api.AssertConserved(after);
        // The run that repaired it says so, with the figures before and after (defaults left out).
        await Eventually.TrueAsync(() => Task.FromResult(ReconcileResults(_factory).Count > 0), "the repairing run to be recorded");
        var repair = Assert.Single(ReconcileResults(_factory));
        Assert.Contains($"\"Repair\":\"sale {sale.Id}: 5 units stayed in transit", repair);
        Assert.Contains($"\"StrandedUnits\":5", repair);
        Assert.Contains($"\"Expected\":{before.Available + 5},\"Actual\":{before.Available + 5}", repair);
    }

    /// <summary>The database's sold counter changed behind its back is set from its orders again.</summary>
    [Fact]
    public async Task ASoldCounterThatDisagreesWithTheOrdersIsSetFromThem()
    {
        var sale = await _factory.CreateSaleAsync(stock: 100);
        using var buyer = _factory.ClientFor(42);
        Assert.Equal(System.Net.HttpStatusCode.Created, (await buyer.PurchaseAsync(sale.Id)).StatusCode);
        // Not read back here: the job runs every second and may already be setting it right (the
        // repair it records says what it found).
        _factory.ExecuteSql($"UPDATE sales SET sold = sold + 7 WHERE id = {sale.Id}");

        await Eventually.TrueAsync(async () => (await _factory.StockAsync(sale.Id)).Sold == 1, "the sold counter to be set from the orders");
        Api.AssertConserved(await _factory.StockAsync(sale.Id));
        await Eventually.TrueAsync(() => Task.FromResult(ReconcileResults(_factory).Count > 0), "the repairing run to be recorded");
        Assert.Contains($"sale {sale.Id}: the sold counter said 8, its active orders hold 1", Assert.Single(ReconcileResults(_factory)));
    }

    /// <summary>
    /// An ended sale is not looked at any more (a cluster keeps every sale it ran: each run would
    /// read more than the one before): the same corruption is repaired in the running sale only.
    /// </summary>
    [Fact]
    public async Task AnEndedSaleIsLeftOut()
    {
        var running = await _factory.CreateSaleAsync(stock: 100);
        var ended = await _factory.CreateSaleAsync(stock: 100);
        using var buyer = _factory.ClientFor(42);
        Assert.Equal(System.Net.HttpStatusCode.Created, (await buyer.PurchaseAsync(running.Id)).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.Created, (await buyer.PurchaseAsync(ended.Id)).StatusCode);
        using var admin = _factory.Admin();
        Assert.Equal(System.Net.HttpStatusCode.OK, (await admin.PostAsync($"/api/admin/sales/{ended.Id}/end", null)).StatusCode);
        _factory.ExecuteSql($"UPDATE sales SET sold = sold + 7 WHERE id IN ({running.Id}, {ended.Id})");

        await Eventually.TrueAsync(async () => (await _factory.StockAsync(running.Id)).Sold == 1, "the running sale's counter to be set from its orders");
        // One run repairs every sale it reads whose counter is off: the ended one was not read.
        Assert.Equal(8, (await _factory.StockAsync(ended.Id)).Sold);
        await Eventually.TrueAsync(() => Task.FromResult(ReconcileResults(_factory).Count > 0), "the repairing run to be recorded");
        var repair = Assert.Single(ReconcileResults(_factory));
        Assert.Contains($"\"SaleId\":{running.Id},", repair);
        Assert.DoesNotContain($"\"SaleId\":{ended.Id},", repair);
    }

    /// <summary>Buyers reserving and the writer committing while it looks is not drift: nothing is repaired.</summary>
    [Fact]
    public async Task WhileBuyersBuyNothingIsRepaired()
    {
        var sale = await _factory.CreateSaleAsync(stock: 1_000_000);
        var monitoring = _factory.Get<JobStorage>().GetMonitoringApi();
        int Runs() => monitoring.SucceededJobs(0, 10_000).Count(job => job.Value.Job?.Type == typeof(ReconcileJob));
        var runsBefore = Runs();
        var user = 0;
        var deadline = DateTime.UtcNow.AddMinutes(2);
        // Waves of 200 concurrent buyers until three runs have looked at the shard meanwhile.
        while (Runs() < runsBefore + 3 && DateTime.UtcNow < deadline)
        {
            var wave = await Task.WhenAll(Enumerable.Range(0, 200).Select(async _ =>
            {
                using var buyer = _factory.ClientFor(Interlocked.Increment(ref user));
                return (await buyer.PurchaseAsync(sale.Id)).StatusCode;
            }));
            Assert.All(wave, status => Assert.Equal(System.Net.HttpStatusCode.Created, status));
        }
        Assert.True(Runs() >= runsBefore + 3, "three reconcile runs during the purchases");
        Assert.Empty(ReconcileResults(_factory));
        Api.AssertConserved(await _factory.SettledStockAsync(sale.Id));
    }

    /// <summary>
    /// The order writer goes on writing while the job compares a sale's buyers with its orders: a
    /// sale selling then is not held up (the job used to pause the writer for its whole run, seconds
    /// with many running sales). A buyer who bought, and one who cancelled, between the job's read
    /// of the orders and its read of the marks are not taken for drift.
    /// </summary>
    [Fact]
    public async Task TheOrderWriterWritesWhileTheJobComparesTheBuyers()
    {
        HeldBuyersStore? store = null;
        using var factory = RunByHand(provider => store = new HeldBuyersStore(ActivatorUtilities.CreateInstance<SqlOrderStore>(provider)));
        var sale = await factory.CreateSaleAsync(stock: 10);
        using var first = factory.ClientFor(1);
        var firstOrder = (await (await first.PurchaseAsync(sale.Id)).ReadPurchaseAsync()).OrderId;
        await factory.SettledStockAsync(sale.Id);

        store!.HoldNext();
        var run = Task.Run(() => RunJobAsync(factory));
        await store.Held.WaitAsync(TimeSpan.FromSeconds(30));
        using var second = factory.ClientFor(2);
        var orderId = (await (await second.PurchaseAsync(sale.Id)).ReadPurchaseAsync()).OrderId;
        await Eventually.TrueAsync(async () => (await factory.OrderAsync(orderId)).Status == OrderStatus.AwaitingPayment,
            "the order bought while the job reads the buyers to be written", TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.OK, (await first.PostAsync($"/api/orders/{firstOrder}/cancel", null)).StatusCode);
        store.Release();

        var result = await run;
        Assert.Null(result.Repair);
        var looked = Assert.Single(result.Sales, drift => drift.SaleId == sale.Id);
        Assert.Equal((0, 0, 0L), (looked.MissingMarks, looked.ExtraMarks, looked.Drift));
    }

    /// <summary>
    /// A sale found exact that did not change since is not read in full again (its orders' units,
    /// their count, its buyers): each run reads in full one such sale only, the one read longest
    /// ago, so that every sale has its turn (reading every sale every minute cost seconds with many
    /// running sales). A sale that changed is read at once, and its buyers too when their counts
    /// differ.
    /// </summary>
    [Fact]
    public async Task ASaleThatDidNotChangeIsReadInFullOnlyInItsTurn()
    {
        CountingStore? store = null;
        using var factory = RunByHand(provider => store = new CountingStore(ActivatorUtilities.CreateInstance<SqlOrderStore>(provider)));
        var sales = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            var sale = await factory.CreateSaleAsync(stock: 10);
            foreach (var user in new[] { 1, 2 })
            {
                using var buyer = factory.ClientFor(user);
                Assert.Equal(HttpStatusCode.Created, (await buyer.PurchaseAsync(sale.Id)).StatusCode);
            }
            await factory.SettledStockAsync(sale.Id);
            sales.Add(sale.Id);
        }
        var running = factory.Get<Seckill.Web.Sales.SaleCatalog>().All.Count(sale => !sale.HasEnded(DateTimeOffset.UtcNow));
        async Task<ReconcileResult> RunCountedAsync()
        {
            store!.Listed.Clear();
            store.Tallied.Clear();
            var result = await RunJobAsync(factory);
            Assert.Null(result.Repair);
            Assert.Equal(result.Sales.Select(sale => sale.SaleId).Order(), store.Tallied.Order());
            return result;
        }

        // The first run reads every sale (none was found exact yet), and the buyers of one.
        var first = await RunCountedAsync();
        foreach (var id in sales)
        {
            var looked = Assert.Single(first.Sales, drift => drift.SaleId == id);
            Assert.Equal((0, 0, 0L), (looked.MissingMarks, looked.ExtraMarks, looked.Drift));
        }
        var listed = new List<long> { Assert.Single(store!.Listed) };
        // Then one sale a run, in turn.
        for (var run = 1; run < running; run++)
        {
            var result = await RunCountedAsync();
            var looked = Assert.Single(result.Sales);
            Assert.Equal(running - 1, result.Unchanged);
            Assert.Equal(looked.SaleId, Assert.Single(store.Listed));
            listed.Add(looked.SaleId);
        }
        Assert.All(sales, id => Assert.Single(listed, seen => seen == id));

        // A mark lost changes the fingerprint and the count: that sale is read in full too, buyers
        // included, though its turn is the furthest off.
        var lost = listed[^1];
        var shard = factory.Get<IShardRouter>().Local;
        await shard.ReleaseMarkAsync(lost, 1, (await shard.ListBuyersAsync(lost))[1]);
        var found = await RunCountedAsync();
        Assert.Equal(2, found.Sales.Count);
        Assert.Equal(1, Assert.Single(found.Sales, drift => drift.SaleId == lost).MissingMarks);
        // (The lost one's buyers are read twice: what looks off is read again before it counts.)
        Assert.Equal(found.Sales.Select(sale => sale.SaleId).Order(), store.Listed.Distinct().Order());
    }

    /// <summary>
    /// A sale with a move on its way to the shard is read every run, whoever's turn it is: whether
    /// the move lands is seen only by reading, and units still in transit at the next run are
    /// stranded, to be landed.
    /// </summary>
    [Fact]
    public async Task ASaleWithAMoveOnItsWayIsReadEveryRunUntilItLands()
    {
        using var factory = RunByHand();
        var sales = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            sales.Add((await factory.CreateSaleAsync(stock: 100)).Id);
            await factory.SettledStockAsync(sales[^1]);
        }
        var running = factory.Get<Seckill.Web.Sales.SaleCatalog>().All.Count(sale => !sale.HasEnded(DateTimeOffset.UtcNow));
        // Every sale has had its turn: the last of them is the one whose next turn is the furthest off.
        for (var run = 0; run < running; run++)
        {
            Assert.Null((await RunJobAsync(factory)).Repair);
        }
        var stranded = sales[^1];
        factory.StrandInTransit(stranded, factory.Get<IShardRouter>().Local.Id, units: 5, moveId: 777);

        var seen = await RunJobAsync(factory);
        Assert.Null(seen.Repair);
        Assert.Contains(seen.Sales, drift => drift.SaleId == stranded);
        var next = await RunJobAsync(factory);
        Assert.Equal($"sale {stranded}: 5 units stayed in transit to the shard since the previous run", next.Repair);
        Assert.Equal(0, (await factory.StockAsync(stranded)).InTransit);
    }

    /// <summary>The real store, counting which sales are read in full, and whose buyers.</summary>
    private sealed class CountingStore(IOrderStore inner) : OrderStoreDecorator(inner)
    {
        public System.Collections.Concurrent.ConcurrentQueue<long> Listed { get; } = new();

        public System.Collections.Concurrent.ConcurrentQueue<long> Tallied { get; } = new();

        public override Task<IReadOnlyDictionary<long, long>> ListBuyersAsync(long saleId, int shardId, CancellationToken cancellationToken)
        {
            Listed.Enqueue(saleId);
            return base.ListBuyersAsync(saleId, shardId, cancellationToken);
        }

        public override Task<SaleTally> TallyAsync(long saleId, int shardId, CancellationToken cancellationToken)
        {
            Tallied.Enqueue(saleId);
            return base.TallyAsync(saleId, shardId, cancellationToken);
        }
    }

    /// <summary>The real store, whose next read of a sale's buyers is held, once read, until the test releases it.</summary>
    private sealed class HeldBuyersStore(IOrderStore inner) : OrderStoreDecorator(inner)
    {
        private readonly TaskCompletionSource _held = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _armed;

        public Task Held => _held.Task;

        public void HoldNext() => Volatile.Write(ref _armed, 1);

        public void Release() => _released.TrySetResult();

        public override async Task<IReadOnlyDictionary<long, long>> ListBuyersAsync(long saleId, int shardId, CancellationToken cancellationToken)
        {
            var buyers = await base.ListBuyersAsync(saleId, shardId, cancellationToken);
            if (Interlocked.Exchange(ref _armed, 0) == 1)
            {
                _held.TrySetResult();
                await _released.Task;
            }
            return buyers;
        }
    }

    /// <summary>
    /// A service whose reconcile and rebalance jobs never run on their own (the test runs the job
    /// with <see cref="RunJobAsync"/>), on the real order store or on <paramref name="orders"/>.
    /// </summary>
    private static SeckillFactory RunByHand(Func<IServiceProvider, IOrderStore>? orders = null) =>
        new(new Dictionary<string, string?> { ["Jobs:Reconcile"] = "0 0 31 2 *", ["Jobs:Rebalance"] = "0 0 31 2 *" },
            services: orders is null ? null : services => services.Replace(ServiceDescriptor.Singleton(orders)));

    private static Task<ReconcileResult> RunJobAsync(SeckillFactory factory) =>
        ActivatorUtilities.CreateInstance<ReconcileJob>(factory.Services).RunAsync(CancellationToken.None);

    /// <summary>The results of the reconcile runs that repaired something, as the dashboard shows them.</summary>
    public static List<string> ReconcileResults(SeckillFactory factory) =>
        factory.Get<JobStorage>().GetMonitoringApi().SucceededJobs(0, 10_000)
            .Where(job => job.Value.Job?.Type == typeof(ReconcileJob) && job.Value.Result is string result && result.Contains("\"Repair\":\""))
            .Select(job => (string)job.Value.Result).ToList();
}
