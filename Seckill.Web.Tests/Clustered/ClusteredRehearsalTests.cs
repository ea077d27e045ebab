using System.Net;
using MySqlConnector;
using Seckill.Web.Storage;
using Seckill.Web.Tests.Infrastructure;
using StackExchange.Redis;
using static Seckill.Web.Tests.Infrastructure.ProcessBuyers;

namespace Seckill.Web.Tests.Clustered;

/// <summary>
/// A clustered instance rehearses its sale on the real servers (Storage/ClusteredRehearsalPlace): in
/// a database of its own, under a cluster prefix of its own, and leaves nothing of it there — no
/// database, no key, no sale — while the instance's own cluster is as if there had been no rehearsal.
/// </summary>
[Collection(ProcessClusters.Name)]
public sealed class ClusteredRehearsalTests
{
    [Fact]
    public async Task TheTwinSellsOnTheInstancesServersAndLeavesNothingThere()
    {
        using var store = new TestStore(StorageMode.Clustered);
        var settings = SeckillProcess.InstanceSettings(store, 3, store, new Dictionary<string, string?>
        {
            ["Rehearsal:Enabled"] = "true",
            ["Rehearsal:Buyers"] = "300",
            ["Rehearsal:Stock"] = "100",
            ["Logging:LogLevel:Seckill.Web.Ops.StartupRehearsal"] = "Information",
        });
        using var service = await SeckillProcess.StartAsync(settings, store.DataDirectory);

        // Ready means rehearsed: the hosted service finishes before the instance listens (its lines
        // may still be on their way to the log).
        await service.LogShowsAsync("Rehearsed the purchase path on a private twin on the instance's servers");
        await service.LogShowsAsync("300 buyers, 100 orders, 50 paid, 200 told sold out");

        var database = new MySqlConnectionStringBuilder(store.Settings["ConnectionStrings:Mysql"]!).Database;
        await using (var connection = new MySqlConnection(TestServers.MariaDb.ConnectionString(null)))
        {
            await connection.OpenAsync();
            await using var command = new MySqlCommand($"SHOW DATABASES LIKE '{database}\\_rehearsal\\_%'", connection);
            await using var reader = await command.ExecuteReaderAsync();
            Assert.False(await reader.ReadAsync(), "a rehearsal database was left on the server");
        }
        using var admin = service.ClientFor(1, admin: true);
        Assert.Contains("\"total\":0", await admin.GetStringAsync("/api/admin/sales"));
        var sale = await service.CreateSaleAsync(1);
        using var buyers = Client(service);
        var (status, _, _) = await BuyAsync(buyers, sale.Id, 1001);
        Assert.True(status is HttpStatusCode.Created or HttpStatusCode.Accepted, $"the purchase: {status}");
        Assert.Equal("sold_out", (await BuyAsync(buyers, sale.Id, 1002)).Code);

        // Every key on both Redis is the instance's own cluster's (the twin's were under its own prefix).
        string cluster;
        await using (var connection = store.OpenDatabase() as MySqlConnection)
        {
            await using var command = new MySqlCommand("SELECT id FROM cluster", connection);
            cluster = (string)(await command.ExecuteScalarAsync())!;
        }
        foreach (var key in new[] { "Redis:Shard", "Redis:Pool" })
        {
            var options = ConfigurationOptions.Parse(store.Settings[key]!);
            options.AllowAdmin = true;
            await using var redis = await ConnectionMultiplexer.ConnectAsync(options);
            var keys = redis.GetServers()[0].Keys(options.DefaultDatabase ?? 0, "*").Select(k => k.ToString()).ToList();
            Assert.NotEmpty(keys);
            Assert.All(keys, k => Assert.StartsWith($"seckill:{cluster}:", k));
        }
    }

    [Fact]
    public async Task ARehearsalLeftByAKilledProcessIsRemovedByTheInstancesNextOne()
    {
        using var store = new TestStore(StorageMode.Clustered);
        var database = new MySqlConnectionStringBuilder(store.Settings["ConnectionStrings:Mysql"]!).Database;
        var now = DateTimeOffset.UtcNow;
        // What a process of instance 3 killed mid-rehearsal an hour ago left: its database (with the
        // identity its keys are under) and keys on both Redis. Beside it, two places that are not
        // leftovers of instance 3: one made just now (a rehearsal still running), and another
        // instance's (its shard keys are on a Redis instance 3 does not own).
        var leftover = await PlaceAsync(store, ClusteredRehearsalPlace.NameFor(database, 3, now.AddHours(-1), "dead"));
        var running = await PlaceAsync(store, ClusteredRehearsalPlace.NameFor(database, 3, now, "live"));
        var another = await PlaceAsync(store, ClusteredRehearsalPlace.NameFor(database, 4, now.AddHours(-1), "else"));

        using (var service = await SeckillProcess.StartAsync(RehearsingInstance3(store), store.DataDirectory))
        {
            await service.LogShowsAsync($"Removed the startup rehearsal's database {leftover.Database} and its 2 Redis keys");
        }

        Assert.Equal([running.Database, another.Database], await RehearsalDatabasesAsync(database));
        Assert.Empty(await KeysAsync(store, leftover.ClusterId));
        Assert.Equal(2, (await KeysAsync(store, running.ClusterId)).Count);
        Assert.Equal(2, (await KeysAsync(store, another.ClusterId)).Count);
    }

    [Fact]
    public async Task ALeftoverThatCannotBeReadStaysAndTheRehearsalStillCounts()
    {
        using var store = new TestStore(StorageMode.Clustered);
        var database = new MySqlConnectionStringBuilder(store.Settings["ConnectionStrings:Mysql"]!).Database;
        // An old leftover of instance 3 whose identity cannot be read: table `cluster` is a view of a table that is gone.
        var broken = ClusteredRehearsalPlace.NameFor(database, 3, DateTimeOffset.UtcNow.AddHours(-1), "bad0");
        await OnTheServerAsync(
            $"CREATE DATABASE `{broken}`",
            $"CREATE TABLE `{broken}`.gone (id VARCHAR(64) NOT NULL)",
            $"CREATE VIEW `{broken}`.cluster AS SELECT id FROM `{broken}`.gone",
            $"DROP TABLE `{broken}`.gone");

        using (var service = await SeckillProcess.StartAsync(RehearsingInstance3(store), store.DataDirectory))
        {
            await service.LogShowsAsync("Rehearsed the purchase path on a private twin on the instance's servers");
            await service.LogShowsAsync("could not remove what earlier processes of this instance left");
        }
        Assert.Equal([broken], await RehearsalDatabasesAsync(database));
    }

    /// <summary>Instance 3 of <paramref name="store"/>'s cluster, rehearsing a small sale, its rehearsal's lines logged.</summary>
    private static IReadOnlyDictionary<string, string?> RehearsingInstance3(TestStore store) =>
        SeckillProcess.InstanceSettings(store, 3, store, new Dictionary<string, string?>
        {
            ["Rehearsal:Enabled"] = "true",
            ["Rehearsal:Buyers"] = "100",
            ["Rehearsal:Stock"] = "30",
            ["Logging:LogLevel:Seckill.Web.Ops.StartupRehearsal"] = "Information",
            ["Logging:LogLevel:Seckill.Web.Storage.ClusteredRehearsalPlace"] = "Information",
        });

    /// <summary>A connection to the test MariaDB server, in no database.</summary>
    private static async Task<MySqlConnection> ServerAsync()
    {
        var connection = new MySqlConnection(TestServers.MariaDb.ConnectionString(null));
        await connection.OpenAsync();
        return connection;
    }

    private static async Task OnTheServerAsync(params string[] statements)
    {
        await using var connection = await ServerAsync();
        foreach (var sql in statements)
        {
            await using var command = new MySqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync();
        }
    }

    private sealed record Place(string Database, string ClusterId);

    /// <summary>A rehearsal database as a twin makes it (its identity in table <c>cluster</c>), and one key under that identity on each Redis.</summary>
    private static async Task<Place> PlaceAsync(TestStore store, string name)
    {
        var clusterId = Guid.NewGuid().ToString("N");
        await OnTheServerAsync(
            $"CREATE DATABASE `{name}`",
            $"CREATE TABLE `{name}`.cluster (id VARCHAR(64) NOT NULL)",
            $"INSERT INTO `{name}`.cluster (id) VALUES ('{clusterId}')");
        foreach (var key in new[] { "Redis:Shard", "Redis:Pool" })
        {
            var options = ConfigurationOptions.Parse(store.Settings[key]!);
            await using var redis = await ConnectionMultiplexer.ConnectAsync(options);
            await redis.GetDatabase().StringSetAsync($"seckill:{clusterId}:sale:1:stock", "5");
        }
        return new Place(name, clusterId);
    }

    private static async Task<List<string>> RehearsalDatabasesAsync(string database)
    {
        await using var connection = await ServerAsync();
        await using var command = new MySqlCommand($"SHOW DATABASES LIKE '{database}\\_rehearsal\\_%'", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var names = new List<string>();
        while (await reader.ReadAsync())
        {
            names.Add(reader.GetString(0));
        }
        return names.Order(StringComparer.Ordinal).ToList();
    }

    private static async Task<List<string>> KeysAsync(TestStore store, string clusterId)
    {
        var keys = new List<string>();
        foreach (var key in new[] { "Redis:Shard", "Redis:Pool" })
        {
            var options = ConfigurationOptions.Parse(store.Settings[key]!);
            await using var redis = await ConnectionMultiplexer.ConnectAsync(options);
            keys.AddRange(redis.GetServers()[0].Keys(options.DefaultDatabase ?? 0, $"seckill:{clusterId}:*").Select(k => k.ToString()));
        }
        return keys;
    }
}
