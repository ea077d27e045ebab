using System.Collections.Concurrent;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace Seckill.Web.Sales;

/// <summary>
/// Where the request path learns about a sale, in three tiers, so that neither a buyer of a
/// running sale nor a junk id costs any I/O:
/// <list type="number">
/// <item>running and upcoming sales are pinned in the <see cref="SaleCatalog"/>: they never
/// expire and are refreshed from storage in the background (<see cref="SaleRefresher"/>);</item>
/// <item>a Bloom filter of every sale id answers "no such sale" for almost every unknown id;</item>
/// <item>an id that passes the filter is read from storage once and the answer kept in
/// <see cref="IMemoryCache"/>: an ended sale for <c>Gate:EndedSaleTtl</c> ±10%, "not found"
/// for <c>Gate:NegativeCacheTtl</c> (up to +10%, never less: an unknown id reaches storage at
/// most once per that period). Concurrent misses for one id share one read.</item>
/// </list>
/// </summary>
/// <remarks>
/// Running sales are not kept in <see cref="IMemoryCache"/> itself: its keys are objects, so every
/// lookup would box the id, and this lookup is on every purchase. Thread-safe.
/// </remarks>
public sealed partial class SaleDirectory(
    SaleCatalog catalog, ISaleStore store, IMemoryCache cache, IOptions<SaleLookupOptions> options, TimeProvider time,
    ILogger<SaleDirectory> log)
{
    private readonly SaleLookupOptions _options = options.Value;
    private readonly ConcurrentDictionary<long, Lazy<Task<Sale?>>> _reads = new();
    // Refreshes and reloads one at a time, so that an older copy never replaces a newer one.
    private readonly SemaphoreSlim _updating = new(1, 1);
    private volatile BloomFilter _filter = new(options.Value.BloomCapacity, options.Value.BloomFalsePositiveRate);
    private long _filtered, _cacheHits, _storageReads;

    public BloomFilter Filter => _filter;

    /// <summary>Lookups that missed the pinned sales, by where they were answered (for the metrics endpoint).</summary>
    public SaleLookupCounts Counts => new(Interlocked.Read(ref _filtered), Interlocked.Read(ref _cacheHits), Interlocked.Read(ref _storageReads));

    /// <summary>The sale, or null when there is none; completes synchronously unless storage must be read.</summary>
    public ValueTask<Sale?> FindAsync(long saleId)
    {
        if (catalog.TryGet(saleId, out var sale))
        {
            return new(sale);
        }
        if (!_filter.MightContain(saleId))
        {
            Interlocked.Increment(ref _filtered);
            return new((Sale?)null);
        }
        if (cache.TryGetValue(new SaleKey(saleId), out Sale? cached))
        {
            Interlocked.Increment(ref _cacheHits);
            return new(cached);
        }
        // Concurrent callers for the id share the one read and await it.
        var read = _reads.GetOrAdd(saleId, static (id, self) => new Lazy<Task<Sale?>>(() => self.ReadAsync(id)), this);
        return new(read.Value);
    }

    /// <summary>
    /// Makes a sale known at once (creation, startup, refresh): into the filter, and pinned while
    /// it runs or cached while it ended.
    /// </summary>
    public void Know(Sale sale)
    {
        _filter.Add(sale.Id);
        var key = new SaleKey(sale.Id);
        if (sale.HasEnded(time.GetUtcNow()))
        {
            catalog.Remove(sale.Id);
            cache.Set<Sale?>(key, sale, Spread(_options.EndedSaleTtl));
        }
        else
        {
            catalog.Put(sale);
            cache.Remove(key);
        }
    }

    /// <summary>
    /// Before the first request: the filter is built from every stored id, sized for at least
    /// twice as many as exist so it keeps its false-positive rate while sales are added.
    /// </summary>
    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        var ids = await store.ListIdsAsync(cancellationToken);
        var filter = new BloomFilter(Math.Max(_options.BloomCapacity, 2 * ids.Count), _options.BloomFalsePositiveRate);
        foreach (var id in ids)
        {
            filter.Add(id);
        }
        foreach (var sale in catalog.All)
        {
            filter.Add(sale.Id);
        }
        _filter = filter;
        LogFilterBuilt(ids.Count, filter.Capacity, filter.SizeInBytes / 1024);
    }

    /// <summary>Sales that ended longer ago than this are not kept in memory at startup.</summary>
    private static readonly TimeSpan EndedRetention = TimeSpan.FromDays(7);

    /// <summary>At startup: running and upcoming sales pinned, and those ended in the last week cached.</summary>
    public async Task KnowRecentAsync(CancellationToken cancellationToken)
    {
        foreach (var sale in await store.ListEndingAfterAsync(time.GetUtcNow() - EndedRetention, cancellationToken))
        {
            Know(sale);
        }
    }

    /// <summary>Re-reads running sales from storage (changes, and sales created by other instances) and unpins ended ones.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        await _updating.WaitAsync(cancellationToken);
        try
        {
            var now = time.GetUtcNow();
            var listed = new HashSet<long>();
            foreach (var sale in await store.ListEndingAfterAsync(now, cancellationToken))
            {
                listed.Add(sale.Id);
                Know(sale);
            }
            foreach (var sale in catalog.All)
            {
                if (sale.HasEnded(now))
                {
                    Know(sale);
                }
                else if (!listed.Contains(sale.Id))
                {
                    // Pinned as running, but storage no longer lists it as such: it was ended
                    // early, and its news did not arrive. Read it again.
                    Know(await store.FindAsync(sale.Id, cancellationToken) ?? sale);
                }
            }
            if (_filter.Count > _filter.Capacity)
            {
                LogFilterFull(_filter.Count, _filter.Capacity);
            }
        }
        finally
        {
            _updating.Release();
        }
    }

    /// <summary>
    /// Reads one sale from storage and makes it known (a change announced by its news, or made here);
    /// null if storage has none. One update at a time with <see cref="RefreshAsync"/>: a refresh
    /// that read its list before a change committed can never apply its older copy after it.
    /// </summary>
    public async Task<Sale?> ReloadAsync(long saleId, CancellationToken cancellationToken)
    {
        await _updating.WaitAsync(cancellationToken);
        try
        {
            var sale = await store.FindAsync(saleId, cancellationToken);
            if (sale is not null)
            {
                Know(sale);
            }
            return sale;
        }
        finally
        {
            _updating.Release();
        }
    }

    private async Task<Sale?> ReadAsync(long saleId)
    {
        // SQLite answers synchronously: yield first, so the read never runs inside the Lazy's
        // lock (concurrent callers for the id would block on it instead of awaiting).
        await Task.Yield();
        try
        {
            // A read that finished between this caller's cache miss and its turn here has left
            // the answer in the cache: use it rather than read again.
            if (cache.TryGetValue(new SaleKey(saleId), out Sale? cached))
            {
                return cached;
            }
            Interlocked.Increment(ref _storageReads);
            var sale = await store.FindAsync(saleId, CancellationToken.None);
            if (sale is null)
            {
                cache.Set<Sale?>(new SaleKey(saleId), null, Extend(_options.NegativeCacheTtl));
            }
            else
            {
                Know(sale);
            }
            return sale;
        }
        finally
        {
            _reads.TryRemove(saleId, out _);
        }
    }

    /// <summary>±10%, so entries cached together do not all expire together.</summary>
    private static TimeSpan Spread(TimeSpan ttl) => ttl * (0.9 + 0.2 * Random.Shared.NextDouble());

    /// <summary>+0–10%: spread like the others, but never shorter than promised.</summary>
    private static TimeSpan Extend(TimeSpan ttl) => ttl * (1 + 0.1 * Random.Shared.NextDouble());

    private readonly record struct SaleKey(long SaleId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sale id filter: {Ids} stored ids, sized for {Capacity} ({Kilobytes} KiB)")]
    private partial void LogFilterBuilt(int ids, int capacity, long kilobytes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sale id filter holds {Count} ids, more than the {Capacity} it is sized for: more unknown ids reach the cache; a restart resizes it")]
    private partial void LogFilterFull(long count, int capacity);
}

/// <param name="RejectedByFilter">Ids the Bloom filter knew to be absent: answered 404 without a lookup.</param>
/// <param name="CacheHits">Ended sales and known-absent ids answered from the cache.</param>
/// <param name="StorageReads">Lookups that read storage (at most one per unknown id per <c>Gate:NegativeCacheTtl</c>).</param>
public readonly record struct SaleLookupCounts(long RejectedByFilter, long CacheHits, long StorageReads);
