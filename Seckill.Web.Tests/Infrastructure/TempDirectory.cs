namespace Seckill.Web.Tests.Infrastructure;

/// <summary>
/// A throwaway folder for SQLite files, removed on dispose. Pooled connections hold the files
/// open, so the pools are cleared first; a file still held is left to the OS temp cleaner.
/// </summary>
public sealed class TempDirectory : IDisposable
{
    public string Path { get; } = TestJanitor.NewDirectory("test");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open; the OS temp cleaner gets it.
        }
    }
}
