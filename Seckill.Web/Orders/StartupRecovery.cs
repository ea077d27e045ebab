using Seckill.Web.Cluster;

namespace Seckill.Web.Orders;

/// <summary>
/// Before the first request, in either mode, once the storage is reachable: order ids continue
/// above every stored one, and this instance's shard is set from the database
/// (<see cref="ShardRecovery"/>): in embedded mode nothing of it survived the last process; in
/// clustered mode its Redis may have lost writes, or transfers to it were cut short by a crash.
/// Reservations the shard still holds unwritten are replayed next (<see cref="ReservationReplay"/>).
/// </summary>
/// <remarks>
/// A restarted instance first learns whether it was reclaimed while it was away (its shard says
/// so): then it rejoins empty (<see cref="ShardRejoin"/>).
/// </remarks>
public sealed class StartupRecovery(IOrderStore orders, ShardRejoin rejoin, IdGenerator ids) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        ids.AdvancePast(await orders.MaxOrderIdAsync(cancellationToken));
        await rejoin.RecoverAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
