using Seckill.Web.Orders;
using Seckill.Web.Storage.MySql;
using Seckill.Web.Storage.Sqlite;

namespace Seckill.Web.Tests.Unit;

/// <summary>Which writers' loops share a thread: with SQLite's one write lock, both; with MySQL's row locks, only the order writer has one.</summary>
public sealed class WriterThreadsTests
{
    [Fact]
    public void WithSqliteThePaymentWriterRunsOnTheOrderWritersThread()
    {
        var threads = WriterThreads.For(new SqliteDatabase(Path.Combine(Path.GetTempPath(), "never-opened.db")).HasOneWriteLock);

        Assert.Same(threads.Orders, threads.Payments);
    }

    [Fact]
    public void WithMySqlThePaymentWriterRunsOnThePool()
    {
        var threads = WriterThreads.For(new MySqlDatabase("Server=127.0.0.1;Database=never_opened").HasOneWriteLock);

        Assert.NotNull(threads.Orders);
        Assert.Null(threads.Payments);
    }
}
