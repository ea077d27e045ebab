using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Seckill.Web.Orders;
using Seckill.Web.Stock;
using Seckill.Web.Tests.Infrastructure;

namespace Seckill.Web.Tests.Promises;

/// <summary>
/// Right after a sale sells out, its winners poll their orders and pay at once. The reads wait for
/// one of <c>Orders:DatabaseConcurrency</c> database slots, the payments for their batch in the
/// payment writer; with a single slot a burst must still all be served, each exactly once, and
/// the stock must add up.
/// </summary>
public sealed class PaymentBurstTests
{
    [Fact]
    public async Task ABurstOfPaymentsAndCancellationsThroughOneSlotIsServedInFull()
    {
        const int Buyers = 600;
        using var factory = new SeckillFactory(new Dictionary<string, string?> { ["Orders:DatabaseConcurrency"] = "1" });
        var sale = await factory.CreateSaleAsync(stock: Buyers);
        var orders = await Task.WhenAll(Enumerable.Range(1, Buyers).Select(async user =>
        {
            var buyer = factory.ClientFor(user);
            var response = await buyer.PurchaseAsync(sale.Id);
            Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.Accepted);
            return (Buyer: buyer, (await response.ReadPurchaseAsync()).OrderId, Pays: user % 3 != 0);
        }));
        await factory.SettledStockAsync(sale.Id);

        // Everyone at once, twice over (a double click): payments and cancellations are repeatable.
        var answers = await Task.WhenAll(orders.Concat(orders).Select(o =>
            o.Buyer.PostAsync($"/api/orders/{o.OrderId}/{(o.Pays ? "pay" : "cancel")}", null)));
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));

        var stock = await factory.SettledStockAsync(sale.Id);
        var paying = orders.Count(o => o.Pays);
        Assert.Equal((paying, Buyers - paying, (long)paying), (stock.Paid, stock.Cancelled, stock.Sold));
        Api.AssertConserved(stock);
    }

    [Fact]
    public async Task NoMoreBuyerRequestsAreInTheDatabaseAtOnceThanItsSlots()
    {
        const int Buyers = 500;
        using var sold = await SoldAsync(Buyers, slots: 2);
        var (factory, store, orders) = (sold.Factory, sold.Store, sold.Orders);

        // Every winner polls twice and pays, all at once: 1,500 requests for 2 slots.
        var answers = await Task.WhenAll(orders.SelectMany(o => new[]
        {
            o.Buyer.GetAsync($"/api/orders/{o.OrderId}"),
            o.Buyer.GetAsync($"/api/orders/{o.OrderId}"),
            o.Buyer.PostAsync($"/api/orders/{o.OrderId}/pay", null),
        }));

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        // Two reads per buyer; a payment reads nothing of its own (the batch judges whose order
        // it is), and the payments go in batches, each batch one call (how they are batched is
        // PaymentWriterTests').
        Assert.Equal(Buyers * 2, store.Reads);
        Assert.Equal(Buyers, store.Changes);
        Assert.InRange(store.MostReadsAtOnce, 1, 2);
        // The payment writer's batches take no slot: one at a time, beside the reads.
        Assert.Equal(1, store.MostBatchesAtOnce);
        Assert.Equal(Buyers, (await factory.SettledStockAsync(sold.SaleId)).Paid);
    }

    /// <summary>
    /// A payer is not queued behind the buyers' reads: with every slot taken by reads that do not
    /// finish (the polls of thousands of buyers answered 202, in a sale's busiest seconds), a
    /// payment is still written and answered.
    /// </summary>
    [Fact]
    public async Task APaymentDoesNotWaitForTheReadsSlots()
    {
        using var factory = new SeckillFactory(new Dictionary<string, string?> { ["Orders:DatabaseConcurrency"] = "2" });
        var sale = await factory.CreateSaleAsync(stock: 10);
        using var buyer = factory.ClientFor(7);
        var orderId = (await (await buyer.PurchaseAsync(sale.Id)).ReadPurchaseAsync()).OrderId;
        await factory.SettledStockAsync(sale.Id);

        var slots = factory.Get<DatabaseSlots>();
        var release = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var taken = 0;
        var reads = Enumerable.Range(0, 2).Select(_ => slots.RunAsync(_ => { Interlocked.Increment(ref taken); return release.Task; }, CancellationToken.None)).ToList();
        Assert.Equal(2, Volatile.Read(ref taken));
        try
        {
            var pay = buyer.PostAsync($"/api/orders/{orderId}/pay", null);
            Assert.Equal(HttpStatusCode.OK, (await pay.WaitAsync(TimeSpan.FromSeconds(60))).StatusCode);
        }
        finally
        {
            release.SetResult(0);
            await Task.WhenAll(reads);
        }
        Assert.Equal(1, (await factory.SettledStockAsync(sale.Id)).Paid);
    }

    /// <summary>
    /// Polls that wait for a slot together are read together: with the only slot taken, 200 buyers
    /// poll their orders; once it is free, one statement reads all 200 and each buyer gets their own order.
    /// </summary>
    [Fact]
    public async Task PollsWaitingForASlotAreReadInOneStatement()
    {
        const int Buyers = 200;
        using var sold = await SoldAsync(Buyers, slots: 1);
        var (factory, store, orders) = (sold.Factory, sold.Store, sold.Orders);
        var statementsBefore = store.ReadStatements;

        var slots = factory.Get<DatabaseSlots>();
        var reads = factory.Get<OrderReads>();
        var release = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = slots.RunAsync(_ => release.Task, CancellationToken.None);
        var polls = orders.Select(o => o.Buyer.GetAsync($"/api/orders/{o.OrderId}")).ToList();
        try
        {
            await Eventually.TrueAsync(() => Task.FromResult(reads.Waiting == Buyers), () => $"{Buyers} polls waiting (now {reads.Waiting})");
        }
        finally
        {
            release.SetResult(0);
            await held;
        }
        var answers = await Task.WhenAll(polls);

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        var seen = await Task.WhenAll(answers.Select(a => a.Content.ReadFromJsonAsync<OrderResponse>(Api.Json)));
        Assert.Equal(orders.Select(o => o.OrderId), seen.Select(order => order!.OrderId));
        Assert.Equal(1, store.ReadStatements - statementsBefore);
    }

    /// <summary>
    /// An instance with <paramref name="slots"/> database slots over a <see cref="CountingOrderStore"/>,
    /// and a sale that <paramref name="buyers"/> buyers bought one unit each of, all written.
    /// </summary>
    private static async Task<Sold> SoldAsync(int buyers, int slots)
    {
        CountingOrderStore? store = null;
        var factory = new SeckillFactory(new Dictionary<string, string?> { ["Orders:DatabaseConcurrency"] = slots.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            services: services => services.Replace(ServiceDescriptor.Singleton<IOrderStore>(provider =>
                store = new CountingOrderStore(ActivatorUtilities.CreateInstance<Seckill.Web.Storage.Sql.SqlOrderStore>(provider)))));
        var sale = await factory.CreateSaleAsync(stock: buyers);
        var orders = await Task.WhenAll(Enumerable.Range(1, buyers).Select(async user =>
        {
            var buyer = factory.ClientFor(user);
            return (buyer, (await (await buyer.PurchaseAsync(sale.Id)).ReadPurchaseAsync()).OrderId);
        }));
        await factory.SettledStockAsync(sale.Id);
        return new Sold(factory, store!, sale.Id, orders);
    }

    private sealed record Sold(SeckillFactory Factory, CountingOrderStore Store, long SaleId, (HttpClient Buyer, long OrderId)[] Orders) : IDisposable
    {
        public void Dispose() => Factory.Dispose();
    }

    /// <summary>The real order store, counting how many buyer reads, and how many batches of payments, are in it at once.</summary>
    private sealed class CountingOrderStore(IOrderStore inner) : OrderStoreDecorator(inner)
    {
        private readonly AtOnce _readsInside = new();
        private readonly AtOnce _batchesInside = new();
        private int _reads;
        private int _readStatements;
        private int _changes;

        public int MostReadsAtOnce => _readsInside.Most;

        public int MostBatchesAtOnce => _batchesInside.Most;

        public int Reads => Volatile.Read(ref _reads);

        public int ReadStatements => Volatile.Read(ref _readStatements);

        /// <summary>Payments and cancellations, however they were batched.</summary>
        public int Changes => Volatile.Read(ref _changes);

        /// <summary>A buyer's reads (<see cref="OrderReads"/>): counted by the orders read, and by the statements in the database at once.</summary>
        public override Task<IReadOnlyList<Order>> FindManyAsync(IReadOnlyCollection<long> orderIds, CancellationToken cancellationToken)
        {
            Interlocked.Add(ref _reads, orderIds.Count);
            Interlocked.Increment(ref _readStatements);
            return _readsInside.RunAsync(() => base.FindManyAsync(orderIds, cancellationToken));
        }

        public override Task<IReadOnlyList<OrderChangeResult>> ChangeAsync(IReadOnlyList<OrderChange> changes, CancellationToken cancellationToken)
        {
            Interlocked.Add(ref _changes, changes.Count);
            return _batchesInside.RunAsync(() => base.ChangeAsync(changes, cancellationToken));
        }
    }

    /// <summary>Counts calls in progress, and the most there were at once.</summary>
    private sealed class AtOnce
    {
        private int _inside;
        private int _most;

        public int Most => Volatile.Read(ref _most);

        public async Task<T> RunAsync<T>(Func<Task<T>> call)
        {
            var inside = Interlocked.Increment(ref _inside);
            int most;
            while (inside > (most = Volatile.Read(ref _most)) && Interlocked.CompareExchange(ref _most, inside, most) != most)
            {
            }
            try
            {
                // Let the other requests run while this one is "in the database", as a driver
                // blocking on the network would.
                await Task.Yield();
                return await call();
            }
            finally
            {
                Interlocked.Decrement(ref _inside);
            }
        }
    }
}
