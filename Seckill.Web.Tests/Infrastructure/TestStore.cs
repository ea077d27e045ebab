using System.Data.Common;
using Microsoft.Data.Sqlite;
using MySqlConnector;

namespace Seckill.Web.Tests.Infrastructure;

/// <summary>Which storage the integration suite runs against: <c>SECKILL_TEST_STORAGE=clustered</c>, or embedded by default.</summary>
public enum StorageMode { Embedded, Clustered }

/// <summary>
/// The storage of one Seckill instance under test, in the mode of this test run: a SQLite file
/// (embedded), or a MySQL database and two Redis logical databases on the shared test servers
/// (clustered). A second factory given the same store is a restart of the same instance.
/// </summary>
public sealed class TestStore : IDisposable
{
    private static int _redisDatabases;

    public static StorageMode Mode { get; } =
        string.Equals(Environment.GetEnvironmentVariable("SECKILL_TEST_STORAGE"), "clustered", StringComparison.OrdinalIgnoreCase)
            ? StorageMode.Clustered
            : StorageMode.Embedded;

    private readonly TempDirectory _directory = new();
    private readonly string? _mysql;

    public TestStore(StorageMode? mode = null)
    {
        ModeOfThisStore = mode ?? Mode;
        if (ModeOfThisStore == StorageMode.Clustered)
        {
            _mysql = TestServers.MariaDb.CreateDatabase();
            var shard = Interlocked.Add(ref _redisDatabases, 2);
            Settings = new Dictionary<string, string?>
            {
                ["ConnectionStrings:Mysql"] = _mysql,
                ["Redis:Shard"] = TestServers.Redis.Configuration(shard - 2),
                ["Redis:Pool"] = TestServers.Redis.Configuration(shard - 1),
            };
        }
        else
        {
            Settings = new Dictionary<string, string?> { ["Storage:SqlitePath"] = SqlitePath };
        }
    }

    public StorageMode ModeOfThisStore { get; }

    /// <summary>The settings that point an instance at this store.</summary>
    public IReadOnlyDictionary<string, string?> Settings { get; }

    public string DataDirectory => _directory.Path;

    private string SqlitePath => Path.Combine(_directory.Path, "seckill.db");

    /// <summary>Opens a connection to the orders database behind the service's back.</summary>
    public DbConnection OpenDatabase()
    {
        DbConnection connection = _mysql is null ? new SqliteConnection($"Data Source={SqlitePath}") : new MySqlConnection(_mysql);
        connection.Open();
        return connection;
    }

    /// <summary>Changes the database behind the service's back (to simulate drift or lost state).</summary>
    public void ExecuteSql(string sql)
    {
        using var connection = OpenDatabase();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>
    /// Blocks the order writer's transactions on <paramref name="saleId"/> until disposed: SQLite's
    /// write lock, or MySQL's row lock on the sale (the writer's guarded update waits on it).
    /// </summary>
    public IDisposable HoldOrderWrites(long saleId)
    {
        var connection = OpenDatabase();
        if (connection is SqliteConnection sqlite)
        {
            var write = sqlite.BeginTransaction(deferred: false);
            return new Hold(connection, write);
        }
        var transaction = connection.BeginTransaction();
        using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = $"SELECT id FROM sales WHERE id = {saleId} FOR UPDATE";
            command.ExecuteScalar();
        }
        return new Hold(connection, transaction);
    }

    /// <summary>Takes the orders database away for good (readiness must then fail).</summary>
    public void DestroyDatabase()
    {
        if (_mysql is null)
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(_directory.Path, recursive: true);
        }
        else
        {
            ExecuteSql($"DROP DATABASE {new MySqlConnectionStringBuilder(_mysql).Database}");
        }
    }

    /// <summary>Drops the MySQL database and creates it again, empty, under the same name (a reset or a restore).</summary>
    public void RecreateDatabase()
    {
        var name = new MySqlConnectionStringBuilder(_mysql ?? throw new InvalidOperationException("only a clustered store has a MySQL database")).Database;
        MySqlConnection.ClearAllPools();
        using var server = TestServers.MariaDb.Open("mysql");
        using var command = server.CreateCommand();
        command.CommandText = $"DROP DATABASE {name}; CREATE DATABASE {name}";
        command.ExecuteNonQuery();
    }

    private sealed class Hold(DbConnection connection, DbTransaction transaction) : IDisposable
    {
        public void Dispose()
        {
            transaction.Dispose();
            connection.Dispose();
        }
    }

    public void Dispose() => _directory.Dispose();
}
