using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Dapper;
using Microsoft.Extensions.Options;
using Seckill.Web.Orders;
using Seckill.Web.Sales;
using Seckill.Web.Stock;
using Seckill.Web.Storage;
using Seckill.Web.Storage.MySql;
using Seckill.Web.Storage.Sql;

namespace Seckill.Load.WriterBench;

/// <summary>
/// <c>Seckill.Load writer --mysql CONN</c>: the order writer's two designs against one MySQL.
/// <list type="bullet">
/// <item><b>per order</b> — the seed design: every purchase request runs its own transaction
/// that reads the sale's version, updates <c>sold</c> with an optimistic lock on that version
/// (retrying on conflict) and inserts the order; <c>--concurrency</c> requests at a time.</item>
/// <item><b>batched</b> — ours: the same orders reach one writer through a channel, and the
/// service's own <see cref="SqlOrderStore.WriteAsync"/> writes each batch (one guarded update
/// and one multi-row insert per sale) in one transaction.</item>
/// </list>
/// Both write the same rows into tables with the same indexes, with the server's durability
/// settings as they are; the figure is orders committed per second and the ratio between them.
/// </summary>
public static class WriterBenchmark
{
    private const string Usage = "usage: Seckill.Load writer --mysql CONNECTION_STRING [--orders 5000] [--concurrency 64] [--batch 500] [--rounds 3]";

    public static async Task<int> MainAsync(string[] args)
    {
        string? mysql = null;
        int orders = 5000, concurrency = 64, batch = 500, rounds = 3;
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--mysql": mysql = args[i + 1]; break;
                case "--orders": orders = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--concurrency": concurrency = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--batch": batch = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--rounds": rounds = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                default: Console.Error.WriteLine(Usage); return 64;
            }
        }
        if (mysql is null || args.Length % 2 != 0)
        {
            Console.Error.WriteLine(Usage);
            return 64;
        }

        var db = new MySqlDatabase(mysql);
        await db.MigrateAsync(CancellationToken.None);
        await CreateSeedTablesAsync(db);
        Console.WriteLine($"{orders} orders per run, {concurrency} concurrent requests, writer batches of up to {batch}; {rounds} rounds, alternating");
        for (var round = 1; round <= rounds; round++)
        {
            var seed = await RunPerOrderAsync(db, orders, concurrency);
            var ours = await RunBatchedAsync(db, orders, concurrency, batch);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"round {round}: per order {seed.Rate,8:0} orders/s ({seed.Conflicts} optimistic-lock retries) | batched {ours.Rate,8:0} orders/s ({ours.Batches} transactions) | ratio {ours.Rate / seed.Rate:0.0}x"));
        }
        return 0;
    }

    private sealed record Result(double Rate, long Conflicts, long Batches);

    /// <summary>The seed design's tables: a sale row with a version column, and orders shaped and
    /// indexed like ours (one active order per user per sale).</summary>
    private static async Task CreateSeedTablesAsync(SqlDatabase db)
    {
        await using var c = await db.OpenAsync(CancellationToken.None);
        await c.ExecuteAsync("""
            CREATE TABLE IF NOT EXISTS seed_sales (
                id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
                total_stock INT NOT NULL, sold INT NOT NULL DEFAULT 0, version BIGINT NOT NULL DEFAULT 0
            ) ENGINE = InnoDB;
            CREATE TABLE IF NOT EXISTS seed_orders LIKE orders;
            """);
    }

    /// <summary>The seed design: each request its own transaction, an optimistic lock on the sale row, retried on conflict.</summary>
    private static async Task<Result> RunPerOrderAsync(SqlDatabase db, int orders, int concurrency)
    {
        long saleId;
        await using (var c = await db.OpenAsync(CancellationToken.None))
        {
            saleId = await c.ExecuteScalarAsync<long>("INSERT INTO seed_sales (total_stock) VALUES (@orders); SELECT LAST_INSERT_ID();", new { orders });
        }
        long next = 0, conflicts = 0;
        var firstId = saleId * 10_000_000;
        var clock = Stopwatch.StartNew();
        // Each concurrent request on its own connection, as the seed's request threads were.
        var requests = Enumerable.Range(0, concurrency).Select(async _ =>
        {
            await using var c = await db.OpenAsync(CancellationToken.None);
            long n;
            while ((n = Interlocked.Increment(ref next)) <= orders)
            {
                while (true)
                {
                    await using var tx = await c.BeginTransactionAsync();
                    var sale = await c.QuerySingleAsync<(int Total, int Sold, long Version)>(
                        "SELECT total_stock, sold, version FROM seed_sales WHERE id = @saleId", new { saleId }, tx);
                    if (sale.Sold + 1 > sale.Total)
                    {
                        throw new InvalidOperationException("the seed sale sold out early");
                    }
                    var updated = await c.ExecuteAsync("UPDATE seed_sales SET sold = sold + 1, version = version + 1 WHERE id = @saleId AND version = @Version",
                        new { saleId, sale.Version }, tx);
                    if (updated == 0)
                    {
                        await tx.RollbackAsync();
                        Interlocked.Increment(ref conflicts);
                        continue;
                    }
                    var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                    await c.ExecuteAsync("""
                        INSERT INTO seed_orders (id, sale_id, user_id, quantity, amount_cents, status, created_at, pay_by, updated_at)
                        VALUES (@id, @saleId, @user, 1, 999, 'awaiting_payment', @now, @payBy, @now)
                        """, new { id = firstId + n, saleId, user = n, now, payBy = now + 900_000 }, tx);
                    await tx.CommitAsync();
                    break;
                }
            }
        }).ToList();
        await Task.WhenAll(requests);
        return new Result(orders / clock.Elapsed.TotalSeconds, conflicts, orders);
    }

    private static async Task<Result> RunBatchedAsync(SqlDatabase db, int orders, int concurrency, int batchSize)
    {
        var sale = await new SqlSaleStore(db).CreateAsync(
            new NewSale("BENCH", "writer benchmark", 999, orders, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddHours(1), 1), CancellationToken.None);
        var store = new SqlOrderStore(db, TimeProvider.System);
        var queue = Channel.CreateUnbounded<Reservation>(new UnboundedChannelOptions { SingleReader = true });
        var firstId = (sale.Id * 10_000_000) + 5_000_000;
        long batches = 0;
        var clock = Stopwatch.StartNew();
        // The purchase requests: each hands its reservation to the writer, as Checkout does.
        var producers = Enumerable.Range(0, concurrency).Select(p => Task.Run(() =>
        {
            for (long n = p + 1; n <= orders; n += concurrency)
            {
                queue.Writer.TryWrite(new Reservation(firstId + n, sale.Id, n, 1, 999, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), ShardId: 0));
            }
        })).ToArray();
        _ = Task.WhenAll(producers).ContinueWith(_ => queue.Writer.Complete(), TaskScheduler.Default);
        // The writer: whatever is queued, up to a batch, in one transaction.
        var written = 0;
        var batch = new List<Reservation>(batchSize);
        while (await queue.Reader.WaitToReadAsync())
        {
            while (batch.Count < batchSize && queue.Reader.TryRead(out var r))
            {
                batch.Add(r);
            }
            var writes = await store.WriteAsync(batch, TimeSpan.FromMinutes(15), CancellationToken.None);
            written += writes.Count(w => w.Committed);
            batches++;
            batch.Clear();
        }
        if (written != orders)
        {
            throw new InvalidOperationException($"the batched writer committed {written} of {orders} orders");
        }
        return new Result(orders / clock.Elapsed.TotalSeconds, 0, batches);
    }
}
