using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using MySqlConnector;
using Seckill.Web.Cluster;
using Seckill.Web.Ops;
using Seckill.Web.Storage.Redis;
using StackExchange.Redis;

namespace Seckill.Web.Storage;

/// <summary>
/// The startup rehearsal's place on a clustered instance's own servers: a MySQL database of its own
/// (<see cref="NameFor"/>, created here and dropped afterwards), and therefore a
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
/// A process killed mid-rehearsal leaves its place behind; the name says which instance made it and
/// when, so the same instance removes it at its next rehearsal (<see cref="RemoveLeftoversAsync"/>).
/// </remarks>
public sealed partial class ClusteredRehearsalPlace(IOptions<ClusteredStorageOptions> options, IOptions<InstanceOptions> instance,
    IOptions<RehearsalOptions> rehearsal, TimeProvider time, ILogger<ClusteredRehearsalPlace> log) : IRehearsalPlace
{
    private const string Marker = "_rehearsal_";
    private string? _database;

    /// <summary>
    /// The name of a rehearsal database: <c>{database}_rehearsal_{instance}_{created, Unix seconds, 8 hex}_{random, 4 characters}</c>,
    /// the live database's name shortened so that the whole fits MySQL's 64 characters.
    /// </summary>
    public static string NameFor(string database, int instanceId, DateTimeOffset created, string random) =>
        PrefixFor(database, instanceId) + $"{created.ToUnixTimeSeconds():x8}_{random}";

    // What every rehearsal database of this instance's starts with: all but "{created}_{random}".
    private static string PrefixFor(string database, int instanceId)
    {
        var marker = $"{Marker}{instanceId.ToString(CultureInfo.InvariantCulture)}_";
        return database[..Math.Min(database.Length, 64 - marker.Length - (8 + 1 + 4))] + marker;
    }

    // Validated at startup: clustered means a MySQL connection string.
    private string Mysql => options.Value.Mysql!;

    public async Task<IReadOnlyDictionary<string, string?>?> OpenAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var live = new MySqlConnectionStringBuilder(Mysql);
        var name = NameFor(live.Database, instance.Value.InstanceId, time.GetUtcNow(), Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(2)));
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
            [$"{InstanceOptions.Section}:{nameof(InstanceOptions.InstanceId)}"] = instance.Value.InstanceId.ToString(CultureInfo.InvariantCulture),
        };
    }

    public async Task RemoveAsync(IServiceProvider? twin, CancellationToken cancellationToken)
    {
        var redis = twin?.GetService<RedisConnections>();
        if (redis is not null)
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
        if (redis is not null)
        {
            try
            {
                await RemoveLeftoversAsync(redis, cancellationToken);
            }
            catch (Exception e) when (e is MySqlException or RedisException or TimeoutException)
            {
                // The rehearsal itself went well; the leftovers wait for the next one.
                LogLeftoversKept(e.Message);
            }
        }
    }

    /// <summary>
    /// Removes the places this instance's earlier processes made and never removed (killed
    /// mid-rehearsal): their Redis keys, found by the cluster identity in their database, then the
    /// database. Only this instance's (their keys are on its shard, which the twin is connected
    /// to), and only those older than twice the rehearsal's timeout, so that a rehearsal still
    /// running (the same instance started twice by mistake) keeps its place.
    /// </summary>
    private async Task RemoveLeftoversAsync(RedisConnections twinsRedis, CancellationToken cancellationToken)
    {
        var prefix = PrefixFor(new MySqlConnectionStringBuilder(Mysql).Database, instance.Value.InstanceId);
        var before = time.GetUtcNow() - TimeSpan.FromSeconds(2 * rehearsal.Value.TimeoutSeconds);
        await using var connection = await OpenServerAsync(cancellationToken);
        var names = new List<string>();
        await using (var list = new MySqlCommand("SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE @pattern", connection))
        {
            list.Parameters.AddWithValue("@pattern", prefix.Replace("_", "\\_", StringComparison.Ordinal) + "%");
            await using var reader = await list.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                names.Add(reader.GetString(0));
            }
        }
        foreach (var name in names)
        {
            if (!CreatedBefore(name[prefix.Length..], before))
            {
                continue;
            }
            long keys = 0;
            await using (var identity = new MySqlCommand($"SELECT id FROM {Quote(name)}.cluster", connection))
            {
                try
                {
                    if (await identity.ExecuteScalarAsync(cancellationToken) is string clusterId)
                    {
                        keys = await twinsRedis.DeleteKeysOfClusterAsync(clusterId);
                    }
                }
                catch (MySqlException e) when (e.ErrorCode == MySqlErrorCode.NoSuchTable)
                {
                    // Killed before its schema was made: it has no identity, so no keys either.
                }
            }
            await using (var drop = new MySqlCommand($"DROP DATABASE IF EXISTS {Quote(name)}", connection))
            {
                await drop.ExecuteNonQueryAsync(cancellationToken);
            }
            LogLeftoverRemoved(name, keys);
        }
    }

    // "{created hex}_{random}"; anything else under the prefix is not ours to remove.
    private static bool CreatedBefore(string rest, DateTimeOffset before) =>
        rest.Length == 8 + 1 + 4 && rest[8] == '_'
        && long.TryParse(rest.AsSpan(0, 8), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var seconds)
        && DateTimeOffset.FromUnixTimeSeconds(seconds) < before;

    private async Task ExecuteAsync(string sql, CancellationToken cancellationToken)
    {
        await using var connection = await OpenServerAsync(cancellationToken);
        await using var command = new MySqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    // On the server, not in a database: the twin's does not exist yet, or is being dropped.
    private async Task<MySqlConnection> OpenServerAsync(CancellationToken cancellationToken)
    {
        var connection = new MySqlConnection(new MySqlConnectionStringBuilder(Mysql) { Database = "" }.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private static string Quote(string name) => $"`{name.Replace("`", "``", StringComparison.Ordinal)}`";

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "The startup rehearsal cannot make its database {Database} ({Error}): it rehearses in process, and the first sale compiles the Redis and MySQL paths. Grant this user CREATE and DROP on databases named like it (README \"Run clustered\").")]
    private partial void LogNoPlace(string error, string database);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Removed the startup rehearsal's database {Database} and its {Keys} Redis keys, left by a process of this instance that stopped mid-rehearsal.")]
    private partial void LogLeftoverRemoved(string database, long keys);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "The startup rehearsal could not remove what earlier processes of this instance left ({Error}); the next rehearsal tries again.")]
    private partial void LogLeftoversKept(string error);
}
