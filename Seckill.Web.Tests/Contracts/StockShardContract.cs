using Seckill.Web.Cluster;
using Seckill.Web.Orders;
using Seckill.Web.Stock;
using Seckill.Web.Storage.InProcess;

namespace Seckill.Web.Tests.Contracts;

/// <summary>
/// What every <see cref="IStockShard"/> promises, run against each implementation: the
/// in-process shard (<see cref="InProcessStockShardContract"/>) and the Redis one
/// (<c>Clustered/RedisStockShardContract</c>), so the two modes' shards cannot drift apart.
/// </summary>
public abstract class StockShardContract
{
    // Order ids are 64-bit and well above 2^53, where Lua's doubles would round them.
    protected const long BigId = 9_007_199_254_740_993;
    protected const long Sale = 1;

    protected abstract IStockShard Shard { get; }

    protected Reservation For(long orderId, long user, int quantity = 1, long sale = Sale) =>
        new(orderId, sale, user, quantity, 500 * quantity, 1_700_000_000_000, Shard.Id);

    [Fact]
    public async Task AReservationChecksTheUserAndTheStockAndIsRecordedInOneStep()
    {
        await Shard.AddAsync(Sale, 3, transferId: 1);

        Assert.Equal(new ReserveResult(ReserveStatus.Reserved, 0, 1), await Shard.ReserveAsync(For(BigId, 7, quantity: 2)));
        Assert.Equal(new ReserveResult(ReserveStatus.AlreadyHolding, BigId, 1), await Shard.ReserveAsync(For(BigId + 1, 7)));
        Assert.Equal(new ReserveResult(ReserveStatus.Insufficient, 0, 1), await Shard.ReserveAsync(For(BigId + 2, 8, quantity: 2)));
        Assert.Equal(new ShardStock(1, 2), await Shard.GetAsync(Sale));
        Assert.Equal([For(BigId, 7, quantity: 2)], await Shard.ListUnconfirmedAsync());
        Assert.True(Shard.TryGetKnownOrder(Sale, 7, out var known) && known == BigId);
        Assert.Equal(new Dictionary<long, long> { [7] = BigId }, await Shard.ListBuyersAsync(Sale));
        Assert.Empty(await Shard.ListBuyersAsync(Sale + 100));
    }

    [Fact]
    public async Task AWithdrawalSendsAtMostWhatIsAvailableOncePerTransferId()
    {
        await Shard.AddAsync(Sale, 10, transferId: 1);
        await Shard.ReserveAsync(For(BigId, 7, quantity: 3));

        Assert.Null(await Shard.SentAsync(Sale, 50));
        Assert.Equal(7, await Shard.WithdrawAsync(Sale, 20, transferId: 50));
        Assert.Equal(7, await Shard.WithdrawAsync(Sale, 20, transferId: 50));
        Assert.Equal(7, await Shard.SentAsync(Sale, 50));
        Assert.Equal(7, await Shard.SettleWithdrawalAsync(Sale, 50));
        // Reserved units are a buyer's: never sent.
        Assert.Equal(new ShardStock(0, 3), await Shard.GetAsync(Sale));
        Assert.Equal(0, await Shard.WithdrawAsync(Sale, 5, transferId: 51));
    }

    [Fact]
    public async Task AWithdrawalSettledBeforeItRanNeverSends()
    {
        await Shard.AddAsync(Sale, 10, transferId: 1);

        Assert.Equal(0, await Shard.SettleWithdrawalAsync(Sale, 60));
        Assert.Equal(0, await Shard.WithdrawAsync(Sale, 5, transferId: 60));
        Assert.Equal(new ShardStock(10, 0), await Shard.GetAsync(Sale));
    }

    [Fact]
    public async Task ThousandsOfConcurrentReservationsAndWithdrawalsNeverTakeMoreThanTheShardHolds()
    {
        await Shard.AddAsync(Sale, 500, transferId: 1);
        var reservations = Enumerable.Range(1, 1500).Select(async user =>
            (await Shard.ReserveAsync(For(BigId + user, user))).Status == ReserveStatus.Reserved ? 1L : 0L);
        var withdrawals = Enumerable.Range(1, 100).Select(i => Shard.WithdrawAsync(Sale, 3, transferId: 1000 + i).AsTask());
        var all = await Task.WhenAll(reservations.Concat(withdrawals));
        Assert.Equal(500, all.Sum());
        Assert.Equal(new ShardStock(0, all.Take(1500).Sum()), await Shard.GetAsync(Sale));
    }

    [Fact]
    public async Task AReclaimedShardTakesNothingUntilItsInstanceRejoinsAndARecoveryLiftsTheFence()
    {
        await Shard.AddAsync(Sale, 10, transferId: 1);
        await Shard.ReserveAsync(For(BigId, 7, quantity: 2));

        Assert.Equal([For(BigId, 7, quantity: 2)], await Shard.ReclaimAsync());
        Assert.True(await Shard.IsReclaimedAsync());
        Assert.Equal(ReserveStatus.Fenced, (await Shard.ReserveAsync(For(BigId + 1, 8))).Status);
        Assert.Equal(0, await Shard.WithdrawAsync(Sale, 5, transferId: 70));
        // A recovery of its own (a reconcile of a split-brained instance) does not lift it.
        await Shard.LiftFenceAsync();
        Assert.Equal(ReserveStatus.Fenced, (await Shard.ReserveAsync(For(BigId + 1, 8))).Status);

        await Shard.RejoinAsync();
        Assert.False(await Shard.IsReclaimedAsync());
        Assert.Equal(ReserveStatus.Fenced, (await Shard.ReserveAsync(For(BigId + 1, 8))).Status);
        await Shard.LiftFenceAsync();
        Assert.Equal(ReserveStatus.Reserved, (await Shard.ReserveAsync(For(BigId + 1, 8))).Status);
    }

    [Fact]
    public async Task AReclaimedShardRefusesTransfersForGoodEvenAfterItsInstanceRejoins()
    {
        Assert.True(await Shard.AddAsync(Sale, 10, transferId: 1));
        await Shard.ReclaimAsync();

        // A move decided before the reclaim arrives after it: its units go to the pool instead.
        Assert.False(await Shard.AddAsync(Sale, 5, transferId: 2));
        Assert.False(await Shard.HasReceivedAsync(Sale, 2));
        Assert.True(await Shard.AddAsync(Sale, 10, transferId: 1)); // received before: still received
        Assert.Equal(new ShardStock(10, 0), await Shard.GetAsync(Sale));

        await Shard.RejoinAsync();
        Assert.False(await Shard.AddAsync(Sale, 5, transferId: 2));
        Assert.True(await Shard.AddAsync(Sale, 4, transferId: 3));
        Assert.Equal(new ShardStock(14, 0), await Shard.GetAsync(Sale));
    }

    [Fact]
    public async Task ThousandsOfConcurrentReservationsNeverTakeMoreThanTheShardHolds()
    {
        await Shard.AddAsync(Sale, 1000, transferId: 1);
        var results = await Task.WhenAll(Enumerable.Range(1, 3000).Select(user => Task.Run(async () =>
            (await Shard.ReserveAsync(For(BigId + user, user, quantity: 1 + user % 3))).Status == ReserveStatus.Reserved ? 1 + user % 3 : 0)));
        var stock = await Shard.GetAsync(Sale);
        Assert.Equal(1000, results.Sum() + stock.Available);
        Assert.Equal(results.Sum(), stock.Reserved);
        Assert.True(stock.Available < 3);
    }

    [Fact]
    public async Task AnUnconfirmedReservationIsFoundByItsOrderIdUntilConfirmed()
    {
        await Shard.AddAsync(Sale, 10, transferId: 1);
        var reservation = For(BigId, 7, quantity: 2);
        await Shard.ReserveAsync(reservation);

        Assert.Equal(reservation, await Shard.FindUnconfirmedAsync(BigId));
        Assert.Null(await Shard.FindUnconfirmedAsync(BigId + 1));
        await Shard.ConfirmAsync([reservation]);
        Assert.Null(await Shard.FindUnconfirmedAsync(BigId));
    }

    [Fact]
    public async Task ConfirmAndFailAreEachAppliedOnce()
    {
        await Shard.AddAsync(Sale, 10, transferId: 1);
        var kept = For(BigId, 1, quantity: 2);
        var refused = For(BigId + 1, 2, quantity: 3);
        await Shard.ReserveAsync(kept);
        await Shard.ReserveAsync(refused);

        await Shard.ConfirmAsync([kept]);
        await Shard.ConfirmAsync([kept]);
        await Shard.FailAsync(refused);
        await Shard.FailAsync(refused);

        // The confirmed units are sold (neither available nor reserved); the refused ones are back once.
        Assert.Equal(new ShardStock(8, 0), await Shard.GetAsync(Sale));
        Assert.Empty(await Shard.ListUnconfirmedAsync());
        // The refused buyer may try again; the confirmed one holds their order.
        Assert.False(Shard.TryGetKnownOrder(Sale, 2, out _));
        Assert.Equal(ReserveStatus.Reserved, (await Shard.ReserveAsync(For(BigId + 2, 2))).Status);
        Assert.Equal(ReserveStatus.AlreadyHolding, (await Shard.ReserveAsync(For(BigId + 3, 1))).Status);
    }

    [Fact]
    public async Task ReleasingAMarkOfAnOlderOrderLeavesTheNewerOne()
    {
        await Shard.RestoreMarkAsync(Sale, 5, orderId: 2);
        await Shard.ReleaseMarkAsync(Sale, 5, orderId: 1);
        Assert.True(Shard.TryGetKnownOrder(Sale, 5, out var order));
        Assert.Equal(2, order);
        await Shard.ReleaseMarkAsync(Sale, 5, orderId: 2);
        await Shard.AddAsync(Sale, 1, transferId: 1);
        Assert.Equal(ReserveStatus.Reserved, (await Shard.ReserveAsync(For(BigId, 5))).Status);
    }

    [Fact]
    public async Task ForgettingASalesBuyersDropsItsMarksOnlyAndKeepsItsUnitsAndReservations()
    {
        const long other = Sale + 1;
        await Shard.AddAsync(Sale, 5, transferId: 1);
        await Shard.AddAsync(other, 5, transferId: 2);
        var outstanding = For(BigId, 7);
        Assert.Equal(ReserveStatus.Reserved, (await Shard.ReserveAsync(outstanding)).Status);
        await Shard.RestoreMarkAsync(Sale, 8, orderId: BigId + 1);
        Assert.Equal(ReserveStatus.Reserved, (await Shard.ReserveAsync(For(BigId + 2, 7, sale: other))).Status);

        await Shard.ForgetBuyersAsync(Sale);

        Assert.Empty(await Shard.ListBuyersAsync(Sale));
        Assert.Equal(0, await Shard.CountBuyersAsync(Sale));
        Assert.False(Shard.TryGetKnownOrder(Sale, 7, out _));
        Assert.False(Shard.TryGetKnownOrder(Sale, 8, out _));
        Assert.Equal(new ShardStock(4, 1), await Shard.GetAsync(Sale));
        Assert.Contains(outstanding, await Shard.ListUnconfirmedAsync());
        // Another sale's marks stay.
        Assert.True(Shard.TryGetKnownOrder(other, 7, out var kept) && kept == BigId + 2);
        Assert.Equal(1, await Shard.CountBuyersAsync(other));
    }

    [Fact]
    public async Task ATransferIsAppliedAtMostOncePerTransferId()
    {
        Assert.True(await Shard.AddAsync(Sale, 30, transferId: 77));
        Assert.True(await Shard.AddAsync(Sale, 30, transferId: 77));
        Assert.True(await Shard.AddAsync(Sale, 5, transferId: 78));
        Assert.True(await Shard.HasReceivedAsync(Sale, 77));
        Assert.False(await Shard.HasReceivedAsync(Sale, 79));
        Assert.Equal(new ShardStock(35, 0), await Shard.GetAsync(Sale));
    }

    [Fact]
    public async Task RestoringSetsTheSaleFromTheTruthAndKeepsTransfersThatLandedSince()
    {
        // What the shard says before: a reservation the database has since written, one it has
        // not, and a mark of a buyer whose order ended.
        await Shard.AddAsync(Sale, 50, transferId: 1);
        var written = For(BigId, 1, quantity: 2);
        var outstanding = For(BigId + 1, 2, quantity: 3);
        await Shard.ReserveAsync(written);
        await Shard.ReserveAsync(outstanding);
        await Shard.RestoreMarkAsync(Sale, 9, orderId: 900);
        // Another sale's reservation is not touched.
        await Shard.AddAsync(2, 5, transferId: 3);
        var otherSale = For(BigId + 2, 1, sale: 2);
        await Shard.ReserveAsync(otherSale);
        // A transfer the ledger did not list yet lands meanwhile.
        await Shard.AddAsync(Sale, 4, transferId: 2);

        // The ledger: transfer 1 (50) in, 2 of it taken by the written order: 48 held, of
        // which 3 are the outstanding reservation's, plus the 4 that landed since.
        var buyers = new Dictionary<long, long> { [1] = BigId, [2] = outstanding.OrderId };
        await Shard.RestoreAsync(new ShardState(Sale, 48, [new ShardMove(1, 50)], [outstanding], buyers));
        await Shard.LiftFenceAsync();

        Assert.Equal(new ShardStock(48 - 3 + 4, 3), await Shard.GetAsync(Sale));
        Assert.Equal([outstanding, otherSale], await Shard.ListUnconfirmedAsync());
        Assert.True(Shard.TryGetKnownOrder(Sale, 1, out var order) && order == BigId);
        Assert.False(Shard.TryGetKnownOrder(Sale, 9, out _));
        Assert.Equal(ReserveStatus.AlreadyHolding, (await Shard.ReserveAsync(For(BigId + 5, 2))).Status);
        Assert.Equal(ReserveStatus.Reserved, (await Shard.ReserveAsync(For(BigId + 6, 9))).Status);
        // Transfers the ledger listed are never applied again.
        await Shard.AddAsync(Sale, 50, transferId: 1);
        Assert.Equal(new ShardStock(48 - 3 + 4 - 1, 4), await Shard.GetAsync(Sale));
        Assert.Equal(new ShardStock(4, 1), await Shard.GetAsync(2));
    }
}

/// <summary>The contract against the embedded mode's shard.</summary>
public sealed class InProcessStockShardContract : StockShardContract
{
    protected override IStockShard Shard { get; } =
        new InProcessStockShard(3);
}
