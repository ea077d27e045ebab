using System.Collections.Concurrent;
using System.Text.Json.Serialization;

namespace Seckill.Web.Gate;

/// <summary>
/// Users refused on every purchase (403 <c>blacklisted</c>): held in memory so the check costs
/// no I/O, written to storage first so the list survives restarts. A change applies to this
/// instance's purchases before the admin call returns.
/// </summary>
/// <remarks>
/// Thread-safe. Admin changes are serialised so storage and memory always end in the same
/// state; purchases read the in-memory set without a lock.
/// </remarks>
public sealed class Blacklist(IBlacklistStore store, TimeProvider time) : IHostedService
{
    private readonly ConcurrentDictionary<long, BlacklistEntry> _users = new();
    private readonly SemaphoreSlim _changes = new(1, 1);

    // ContainsKey alone: it takes no lock (IsEmpty takes all of them when the list is empty).
    public bool Contains(long userId) => _users.ContainsKey(userId);

    public IReadOnlyList<BlacklistEntry> Entries => _users.Values.OrderBy(entry => entry.UserId).ToList();

    public async Task<BlacklistEntry> AddAsync(long userId, CancellationToken cancellationToken)
    {
        await _changes.WaitAsync(cancellationToken);
        try
        {
            var entry = await store.AddAsync(userId, time.GetUtcNow(), cancellationToken);
            _users[userId] = entry;
            return entry;
        }
        finally
        {
            _changes.Release();
        }
    }

    public async Task<bool> RemoveAsync(long userId, CancellationToken cancellationToken)
    {
        await _changes.WaitAsync(cancellationToken);
        try
        {
            var removed = await store.RemoveAsync(userId, cancellationToken);
            _users.TryRemove(userId, out _);
            return removed;
        }
        finally
        {
            _changes.Release();
        }
    }

    /// <summary>Loads the stored list before the first request.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var entry in await store.ListAsync(cancellationToken))
        {
            _users[entry.UserId] = entry;
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
