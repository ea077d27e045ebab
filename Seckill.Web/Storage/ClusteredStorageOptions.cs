using Microsoft.Extensions.Options;
using MySqlConnector;
using Seckill.Web.Storage.Redis;

namespace Seckill.Web.Storage;

/// <summary>
/// The three connection settings of the clustered mode (ARCHITECTURE §6). Setting any of them
/// selects the clustered mode, and then all three are required.
/// </summary>
public sealed class ClusteredStorageOptions
{
    public const string MysqlKey = "ConnectionStrings:Mysql";
    public const string PoolKey = RedisSettings.PoolKey;
    public const string ShardKey = RedisSettings.ShardKey;

    /// <summary>The orders database shared by every instance (MySQL 8 or MariaDB 10.11+).</summary>
    public string? Mysql { get; set; }

    /// <summary>The Redis shared by every instance: pools, transfers, sold-out broadcast, heartbeats.</summary>
    public string? Pool { get; set; }

    /// <summary>This instance's own Redis: its stock shard, buyer marks and unconfirmed reservations.</summary>
    public string? Shard { get; set; }

    public static bool IsSelected(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration[MysqlKey]) ||
        !string.IsNullOrWhiteSpace(configuration[PoolKey]) ||
        !string.IsNullOrWhiteSpace(configuration[ShardKey]);

    public static void Bind(IConfiguration configuration, ClusteredStorageOptions options)
    {
        options.Mysql = configuration[MysqlKey];
        options.Pool = configuration[PoolKey];
        options.Shard = configuration[ShardKey];
    }
}

/// <summary>Each setting present and well-formed; whether the servers answer is checked when connecting.</summary>
public sealed class ClusteredStorageOptionsValidator : IValidateOptions<ClusteredStorageOptions>
{
    public ValidateOptionsResult Validate(string? name, ClusteredStorageOptions options)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Mysql))
        {
            errors.Add($"{ClusteredStorageOptions.MysqlKey} is required in clustered mode (Redis:Pool or Redis:Shard is set).");
        }
        else
        {
            try
            {
                _ = new MySqlConnectionStringBuilder(options.Mysql);
            }
            catch (ArgumentException e)
            {
                errors.Add($"{ClusteredStorageOptions.MysqlKey} is not a valid MySQL connection string: {e.Message}");
            }
        }
        CheckRedis(ClusteredStorageOptions.PoolKey, options.Pool, errors);
        CheckRedis(ClusteredStorageOptions.ShardKey, options.Shard, errors);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void CheckRedis(string key, string? value, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            errors.Add($"{key} is required in clustered mode (host:port of its Redis).");
            return;
        }
        try
        {
            if (StackExchange.Redis.ConfigurationOptions.Parse(value).EndPoints.Count == 0)
            {
                errors.Add($"{key} names no Redis endpoint.");
            }
        }
        catch (ArgumentException e)
        {
            errors.Add($"{key} is not a valid Redis configuration: {e.Message}");
        }
    }
}
