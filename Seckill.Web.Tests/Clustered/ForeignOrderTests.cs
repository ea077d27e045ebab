using System.Net;
using System.Net.Http.Json;
using Seckill.Web.Orders;
using Seckill.Web.Tests.Infrastructure;

namespace Seckill.Web.Tests.Clustered;

/// <summary>
/// A buyer acknowledged 202 by one instance who comes back through another (the first died, or
/// the gateway moved them) sees their order queued there, not "not found", until it is written.
/// </summary>
public sealed class ForeignOrderTests
{
    [Fact]
    public async Task AnOrderStillQueuedByTheInstanceThatTookItIsQueuedThroughAnother()
    {
        using var cluster = new TestCluster(2, new Dictionary<string, string?> { ["Orders:ConfirmWaitMs"] = "0", ["Gate:SaleRefreshInterval"] = "00:00:00.200" });
        await cluster.AllLiveAsync();
        var sale = await cluster[0].CreateSaleAsync(stock: 10);
        using var buyer0 = cluster[0].ClientFor(42);
        using var buyer1 = cluster[1].ClientFor(42);

        long orderId;
        using (cluster.Store.HoldOrderWrites(sale.Id))
        {
            var purchase = await buyer0.PurchaseAsync(sale.Id);
            Assert.Equal(HttpStatusCode.Accepted, purchase.StatusCode);
            orderId = (await purchase.ReadPurchaseAsync()).OrderId;

            var seen = await buyer1.GetAsync($"/api/orders/{orderId}");
            Assert.Equal(HttpStatusCode.OK, seen.StatusCode);
            var order = (await seen.Content.ReadFromJsonAsync<OrderResponse>(Api.Json))!;
            Assert.Equal((orderId, 42L, OrderStatus.Queued), (order.OrderId, order.UserId, order.Status));
            // Someone else asking is told it does not exist, as for any order not theirs.
            using var stranger = cluster[1].ClientFor(43);
            Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync($"/api/orders/{orderId}")).StatusCode);
            // It cannot be paid before it is written.
            Assert.Equal("queued", await (await buyer1.PostAsync($"/api/orders/{orderId}/pay", null)).ProblemCodeAsync());
        }

        await Eventually.TrueAsync(async () =>
        {
            var response = await buyer1.GetAsync($"/api/orders/{orderId}");
            return response.StatusCode == HttpStatusCode.OK &&
                   (await response.Content.ReadFromJsonAsync<OrderResponse>(Api.Json))!.Status == OrderStatus.AwaitingPayment;
        }, "the order to be written and seen through the other instance");
    }

    /// <summary>
    /// In a sale's end game every instance reserves on one shard: an order instance 1 took there,
    /// not written yet, is queued through instance 0 too, not "not found" (its own instance's shard
    /// does not have it).
    /// </summary>
    [Fact]
    public async Task AnOrderQueuedOnAnotherInstancesShardIsFoundThere()
    {
        using var cluster = new TestCluster(2, new Dictionary<string, string?> { ["Orders:ReplayAfter"] = "01:00:00", ["Gate:SaleRefreshInterval"] = "00:00:00.200" });
        await cluster.AllLiveAsync();
        var sale = await cluster[0].CreateSaleAsync(stock: 10);
        // Instance 1 reserves on shard 0, as at the end game; its writer has not written it yet
        // (the reservation is made beside the writer, which never hears of it).
        var orderId = cluster[1].Get<Web.Cluster.IdGenerator>().Next();
        await Eventually.TrueAsync(async () =>
        {
            var reserved = await cluster[1].Get<Web.Cluster.IShardRouter>().Get(0).ReserveAsync(new Web.Stock.Reservation(orderId, sale.Id,
                UserId: 42, Quantity: 1, AmountCents: 999, CreatedAtMs: DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), ShardId: 0));
            return reserved.Status == Web.Stock.ReserveStatus.Reserved;
        }, "shard 0 to hold stock of the sale");

        foreach (var instance in new[] { cluster[0], cluster[1] })
        {
            using var buyer = instance.ClientFor(42);
            var seen = await buyer.GetAsync($"/api/orders/{orderId}");
            Assert.Equal(HttpStatusCode.OK, seen.StatusCode);
            var order = (await seen.Content.ReadFromJsonAsync<OrderResponse>(Api.Json))!;
            Assert.Equal((orderId, 42L, OrderStatus.Queued), (order.OrderId, order.UserId, order.Status));
            using var stranger = instance.ClientFor(43);
            Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync($"/api/orders/{orderId}")).StatusCode);
        }
    }
}
