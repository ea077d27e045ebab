using Seckill.Web.Orders;
using Seckill.Web.Stock;

namespace Seckill.Web.Tests.Unit;

public class InProcessStockShardTests
{
    private static Reservation For(long user, int quantity = 1, long sale = 1) => new(user * 1000, sale, user, quantity, 100 * quantity, 0);

    [Fact]
    public async Task ConcurrentReservationsNeverTakeMoreThanTheShardHolds()
    {
        var shard = new InProcessStockShard();
        await shard.AddAsync(1, 1000, 1);
        var results = new ReserveResult[20_000];
        Parallel.For(0, results.Length, i => results[i] = shard.ReserveAsync(For(i + 1, quantity: 1 + i % 3)).Result);
        var reservedUnits = results.Select((r, i) => r.Status == ReserveStatus.Reserved ? 1 + i % 3 : 0).Sum();
        var stock = await shard.GetAsync(1);
        Assert.Equal(1000, reservedUnits + stock.Available);
        Assert.Equal(reservedUnits, stock.Reserved);
        Assert.True(stock.Available < 3);
    }

    [Fact]
    public async Task AUserHoldsOneReservationPerSale()
    {
        var shard = new InProcessStockShard();
        await shard.AddAsync(1, 10, 1);
        Assert.Equal(ReserveStatus.Reserved, (await shard.ReserveAsync(For(5))).Status);
        var again = await shard.ReserveAsync(For(5) with { OrderId = 99 });
        Assert.Equal(ReserveStatus.AlreadyHolding, again.Status);
        Assert.Equal(5000, again.ExistingOrderId);
        Assert.True(shard.TryGetKnownOrder(1, 5, out var known));
        Assert.Equal(5000, known);
    }

    [Fact]
    public async Task FailingAReservationReturnsItsUnitsOnceAndFreesTheUser()
    {
        var shard = new InProcessStockShard();
        await shard.AddAsync(1, 10, 1);
        var reservation = For(5, quantity: 3);
        await shard.ReserveAsync(reservation);
        await shard.FailAsync(reservation);
        await shard.FailAsync(reservation);
        Assert.Equal(new ShardStock(10, 0), await shard.GetAsync(1));
        Assert.False(shard.TryGetKnownOrder(1, 5, out _));
    }

    [Fact]
    public async Task ConfirmingKeepsTheMarkAndStopsCountingReserved()
    {
        var shard = new InProcessStockShard();
        await shard.AddAsync(1, 10, 1);
        var reservation = For(5, quantity: 2);
        await shard.ReserveAsync(reservation);
        Assert.Single(await shard.ListUnconfirmedAsync());
        await shard.ConfirmAsync([reservation]);
        Assert.Equal(new ShardStock(8, 0), await shard.GetAsync(1));
        Assert.Empty(await shard.ListUnconfirmedAsync());
        Assert.True(shard.TryGetKnownOrder(1, 5, out _));
    }

    [Fact]
    public async Task ReleasingAMarkOfAnOlderOrderLeavesTheNewerOne()
    {
        var shard = new InProcessStockShard();
        await shard.RestoreMarkAsync(1, 5, orderId: 2);
        await shard.ReleaseMarkAsync(1, 5, orderId: 1);
        Assert.True(shard.TryGetKnownOrder(1, 5, out var order));
        Assert.Equal(2, order);
    }
}
