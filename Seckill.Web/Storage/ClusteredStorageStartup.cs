using System.Data.Common;
using Seckill.Web.Allocation;
using Seckill.Web.Orders;
using Seckill.Web.Sales;
using Seckill.Web.Stock;
using Seckill.Web.Storage.MySql;
using Seckill.Web.Storage.Redis;

namespace Seckill.Web.Storage;

/// <summary>
/// Clustered mode, before the first request: connects both Redis and migrates MySQL (a store
/// that does not answer fails the start, naming its setting), then, for every sale still
/// relevant, seeds a pool that publication did not get to and finishes transfers to this shard
/// that a crash interrupted. Stock, marks and reservations themselves live in Redis and survive
/// the process; the unconfirmed reservations are replayed next, by <c>ReservationReplay</c>.
/// </summary>
public sealed partial class ClusteredStorageStartup(
    RedisConnections redis, MySqlDatabase mysql, ISaleStore sales, IOrderStore orders, SaleDirectory directory, IStockPool pool,
    Allocator allocator, IdGenerator ids, TimeProvider time, ILogger<ClusteredStorageStartup> log) : IHostedService
{
    /// <summary>Sales that ended longer ago than this are left alone.</summary>
    private static readonly TimeSpan EndedRetention = TimeSpan.FromDays(7);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await redis.ConnectAsync();
        try
        {
            await mysql.MigrateAsync(cancellationToken);
        }
        catch (DbException e)
        {
            throw new InvalidOperationException($"{ClusteredStorageOptions.MysqlKey}: cannot reach MySQL: {e.Message}", e);
        }

        ids.AdvancePast(await orders.MaxOrderIdAsync(cancellationToken));
        foreach (var sale in await sales.ListEndingAfterAsync(time.GetUtcNow() - EndedRetention, cancellationToken))
        {
            await pool.SeedAsync(sale.Id, sale.Stock);
            var landed = await allocator.ResumeTransfersAsync(sale.Id);
            if (landed > 0)
            {
                LogResumed(sale.Id, landed);
            }
            directory.Know(sale);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sale {SaleId}: {Units} units in transit to this shard when the last process stopped have landed")]
    private partial void LogResumed(long saleId, long units);
}
