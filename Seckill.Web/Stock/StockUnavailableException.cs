namespace Seckill.Web.Stock;

/// <summary>
/// A stock store (a shard or the pool Redis) did not answer, or is not known here yet. The step
/// may or may not have happened there: every stock step is idempotent or recorded, so the caller
/// may retry it, and a buyer is answered 503 <c>unavailable</c> rather than a guess.
/// </summary>
public sealed class StockUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
