using Seckill.Web.Stock;
using StackExchange.Redis;

namespace Seckill.Web.Storage.Redis;

internal static class RedisCalls
{
    /// <summary>Awaits a Redis call; a Redis that does not answer becomes <see cref="StockUnavailableException"/> naming <paramref name="store"/>.</summary>
    public static async Task<T> Guard<T>(Task<T> call, string store)
    {
        try
        {
            return await call;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            throw new StockUnavailableException($"The {store} Redis did not answer.", e);
        }
    }

    /// <summary>As <see cref="Guard{T}"/>, for a call without a result.</summary>
    public static async Task Guard(Task call, string store)
    {
        try
        {
            await call;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            throw new StockUnavailableException($"The {store} Redis did not answer.", e);
        }
    }
}
