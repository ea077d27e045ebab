using System.Collections.Concurrent;

namespace Seckill.Web.Gate;

/// <summary>
/// Users refused on every purchase (403 <c>blacklisted</c>): held in memory so the check costs
/// no I/O, written to storage first so the list survives restarts. A change applies to this
/// instance's purchases before the admin call returns, and to the other instances' when they hear
/// of it (<see cref="BlacklistNews"/>) or, if that message is lost, at their next reload
/// (<see cref="BlacklistRefresher"/>).
/// </summary>
/// <remarks>
/// Thread-safe. Admin changes and reloads are serialised so storage and memory always end in the
/// same state; purchases read the in-memory set without a lock.
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

    /// <summary>
    /// Another instance changed this user's entry: re-reads it from storage and adds or removes
    /// the user here to match. Read under the change lock, so of two quick changes the last one
    /// read is the last one applied.
    /// </summary>
    public async Task ReloadAsync(long userId, CancellationToken cancellationToken)
    {
        await _changes.WaitAsync(cancellationToken);
        try
        {
            if (await store.FindAsync(userId, cancellationToken) is { } entry)
            {
                _users[userId] = entry;
            }
            else
            {
                _users.TryRemove(userId, out _);
            }
        }
        finally
        {
            _changes.Release();
        }
    }

    /// <summary>
    /// Makes the list in memory the stored list: adds the users stored and not here, removes
    /// those here and not stored. A user on both is never missing meanwhile.
    /// </summary>
    public async Task ReloadAsync(CancellationToken cancellationToken)
    {
        await _changes.WaitAsync(cancellationToken);
        try
        {
            var stored = (await store.ListAsync(cancellationToken)).ToDictionary(entry => entry.UserId);
            foreach (var userId in _users.Keys)
            {
                if (!stored.ContainsKey(userId))
                {
                    _users.TryRemove(userId, out _);
                }
            }
            foreach (var (userId, entry) in stored)
            {
                _users[userId] = entry;
            }
        }
        finally
        {
            _changes.Release();
        }
    }

    /// <summary>Loads the stored list before the first request.</summary>
    public Task StartAsync(CancellationToken cancellationToken) => ReloadAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
