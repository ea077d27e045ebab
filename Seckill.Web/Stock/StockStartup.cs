using Seckill.Web.Orders;
using Seckill.Web.Sales;

namespace Seckill.Web.Stock;

/// <summary>
/// Before the first request, in either mode, once the storage is reachable: order ids continue
/// above every stored one, the running sales are known, and this instance's shard is set from the
/// database (<see cref="ShardRecovery"/>): in embedded mode nothing of it survived the last process;
/// in clustered mode its Redis may have lost writes, or transfers to it were cut short by a crash.
/// Reservations the shard still holds unwritten are replayed next (<see cref="ReservationReplay"/>).
/// </summary>
public sealed class StockStartup(
    ISaleStore sales, IOrderStore orders, SaleDirectory directory, ShardRecovery recovery, IdGenerator ids, TimeProvider time) : IHostedService
{
    /// <summary>Sales that ended longer ago than this are not pinned in memory.</summary>
    private static readonly TimeSpan EndedRetention = TimeSpan.FromDays(7);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        ids.AdvancePast(await orders.MaxOrderIdAsync(cancellationToken));
        foreach (var sale in await sales.ListEndingAfterAsync(time.GetUtcNow() - EndedRetention, cancellationToken))
        {
            directory.Know(sale);
        }
        await recovery.RecoverAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
