using System.Diagnostics;
using Seckill.Web.Stock;
using StackExchange.Redis;

namespace Seckill.Web.Storage.Redis;

internal static class RedisCalls
{
    /// <summary>Awaits a Redis call; a Redis that does not answer becomes <see cref="StockUnavailableException"/> naming <paramref name="store"/>.</summary>
    /// <remarks>
    /// Every call is timed here (<see cref="StorageMetrics"/>), from when it is handed over to when it
    /// completes or fails: the call was issued just before, when its task was made.
    /// </remarks>
    public static async Task<T> Guard<T>(Task<T> call, string store)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            return await call;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            throw new StockUnavailableException($"The {store} Redis did not answer.", e);
        }
        finally
        {
            StorageMetrics.RedisCallTook(store, started);
        }
    }

    /// <summary>As <see cref="Guard{T}"/>, for a call without a result.</summary>
    public static async Task Guard(Task call, string store)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await call;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            throw new StockUnavailableException($"The {store} Redis did not answer.", e);
        }
        finally
        {
            StorageMetrics.RedisCallTook(store, started);
        }
    }
}
