using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using MySqlConnector;
using Seckill.Web.Cluster;
using Seckill.Web.Ops;
using Seckill.Web.Storage.Redis;

namespace Seckill.Web.Storage;

/// <summary>
/// The startup rehearsal's place on a clustered instance's own servers: a MySQL database of its own
/// (<c>{database}_rehearsal_{random}</c>, created here and dropped afterwards), and therefore a
/// cluster identity of its own, which every Redis key, channel and job of the twin carries
/// (<see cref="RedisConnections.KeyPrefix"/>): the live cluster never sees the twin, and the twin's
/// keys are deleted afterwards by that prefix.
/// </summary>
/// <remarks>
/// Why on the real servers: the twin's in-process stores answer synchronously, so the paths that
/// wait for Redis and MySQL (and the clients' own code) ran for the first time in the instance's
/// first sale, and compiling them in its first second tipped clustered sales into collapse
/// (BENCHMARKS.md section 21). Creating the database needs the privilege to (README "Run
/// clustered" grants it on <c>seckill%</c>); without it the twin rehearses in process, as before.
/// </remarks>
public sealed partial class ClusteredRehearsalPlace(IOptions<ClusteredStorageOptions> options, IOptions<InstanceOptions> instance,
    ILogger<ClusteredRehearsalPlace> log) : IRehearsalPlace
{
    private string? _database;

    // Validated at startup: clustered means a MySQL connection string.
    private string Mysql => options.Value.Mysql!;

    public async Task<IReadOnlyDictionary<string, string?>?> OpenAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var live = new MySqlConnectionStringBuilder(Mysql);
        // A MySQL name is at most 64 characters; the random part keeps two instances apart.
        var suffix = $"_rehearsal_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";
        var name = live.Database[..Math.Min(live.Database.Length, 64 - suffix.Length)] + suffix;
        try
        {
            await ExecuteAsync($"CREATE DATABASE {Quote(name)}", cancellationToken);
        }
        catch (MySqlException e)
        {
            LogNoPlace(e.Message, name);
            return null;
        }
        _database = name;
        var twin = new MySqlConnectionStringBuilder(Mysql) { Database = name };
        return new Dictionary<string, string?>
        {
            [ClusteredStorageOptions.MysqlKey] = twin.ConnectionString,
            [ClusteredStorageOptions.PoolKey] = settings.Pool,
            [ClusteredStorageOptions.ShardKey] = settings.Shard,
            // Its cluster is its own, but the instance id shows in its logs and ids as ours would.
            [$"{InstanceOptions.Section}:{nameof(InstanceOptions.InstanceId)}"] = instance.Value.InstanceId.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
    }

    public async Task RemoveAsync(IServiceProvider? twin, CancellationToken cancellationToken)
    {
        if (twin?.GetService<RedisConnections>() is { } redis)
        {
            await redis.DeleteClusterKeysAsync();
        }
        if (_database is { } name)
        {
            // The twin's pooled connections first: they would linger, idle, on a database that is gone.
            await using (var pooled = new MySqlConnection(new MySqlConnectionStringBuilder(Mysql) { Database = name }.ConnectionString))
            {
                await MySqlConnection.ClearPoolAsync(pooled, cancellationToken);
            }
            await ExecuteAsync($"DROP DATABASE IF EXISTS {Quote(name)}", cancellationToken);
            _database = null;
        }
    }

    private async Task ExecuteAsync(string sql, CancellationToken cancellationToken)
    {
        // On the server, not in a database: the twin's does not exist yet, or is being dropped.
        var server = new MySqlConnectionStringBuilder(Mysql) { Database = "" };
        await using var connection = new MySqlConnection(server.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new MySqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string Quote(string name) => $"`{name.Replace("`", "``", StringComparison.Ordinal)}`";

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "The startup rehearsal cannot make its database {Database} ({Error}): it rehearses in process, and the first sale compiles the Redis and MySQL paths. Grant this user CREATE and DROP on databases named like it (README \"Run clustered\").")]
    private partial void LogNoPlace(string error, string database);
}
