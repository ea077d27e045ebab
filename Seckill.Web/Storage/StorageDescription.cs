using Microsoft.Extensions.Options;
using MySqlConnector;
using Seckill.Web.Storage.Sqlite;

namespace Seckill.Web.Storage;

/// <summary>A store and where it is, for people: never a password.</summary>
/// <param name="Check">The name of the health check that reaches it (<c>/health/ready</c> names it the same way).</param>
public sealed record StoreAddress(string Check, string What, string Where);

/// <summary>The storage mode this process runs in and where its stores are, as the startup banner shows them.</summary>
public sealed record StorageDescription(string Mode, IReadOnlyList<StoreAddress> Stores)
{
    public const string Embedded = "embedded";
    public const string Clustered = "clustered";

    public static StorageDescription Of(IServiceProvider services)
    {
        if (services.GetService<SqliteDatabase>() is { } sqlite)
        {
            return new(Embedded, [
                new("orders-db", "orders", $"SQLite {sqlite.Path}"),
                new("stock-shard", "stock", "in process"),
            ]);
        }
        var options = services.GetRequiredService<IOptions<ClusteredStorageOptions>>().Value;
        return new(Clustered, [
            new("orders-db", "orders", MySql(options.Mysql!)),
            new("stock-shard", "stock shard", RedisEndpoints(options.Shard!)),
            new(Seckill.Web.Storage.Redis.PoolHealthCheck.Name, "shared (pool) Redis", RedisEndpoints(options.Pool!)),
        ]);
    }

    /// <summary>Server, port, database and user: the connection string's password stays out.</summary>
    private static string MySql(string connectionString)
    {
        var mysql = new MySqlConnectionStringBuilder(connectionString);
        return $"MySQL {mysql.Server}:{mysql.Port}/{mysql.Database} (user {mysql.UserID})";
    }

    /// <summary>The endpoints only: a configuration string may carry <c>password=…</c>.</summary>
    private static string RedisEndpoints(string configuration) =>
        "Redis " + string.Join(", ", StackExchange.Redis.ConfigurationOptions.Parse(configuration).EndPoints.Select(endpoint => endpoint switch
        {
            System.Net.DnsEndPoint dns => $"{dns.Host}:{dns.Port}",
            _ => endpoint.ToString(),
        }));
}
