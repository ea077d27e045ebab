namespace Seckill.Web.Stock;

/// <summary>
/// A stock store (the shard or the pool Redis) did not answer. The step may or may not have
/// happened there: every stock step is idempotent or recorded, so the caller may retry it, and a
/// buyer is answered 503 <c>unavailable</c> rather than a guess.
/// </summary>
public sealed class StockUnavailableException(string message, Exception inner) : Exception(message, inner);
