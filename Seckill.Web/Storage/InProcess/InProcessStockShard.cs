using System.Collections.Concurrent;
using Seckill.Web.Stock;

namespace Seckill.Web.Storage.InProcess;

/// <summary>
/// The embedded mode's shard: stock, buyer marks and unconfirmed reservations in memory.
/// </summary>
/// <remarks>
/// Thread-safe: each sale has its own lock, held for a few dictionary operations and never
/// across an await. Nothing here survives the process; in embedded mode stock is re-derived
/// from the database at startup (by the orders feature's shard recovery, which fences it meanwhile), and
/// nothing here can lose writes while the process lives, so it never fences itself. Received transfers are kept per sale (a
/// handful: warm-up and refills) so a transfer is applied at most once.
/// </remarks>
/// <param name="id">The shard's id: the id of the instance that holds it.</param>
public sealed class InProcessStockShard(int id) : IStockShard
{
    private sealed class SaleSlot
    {
        public long Available;
        public long Reserved;
        public readonly Dictionary<long, long> OrderByUser = [];
        public readonly Dictionary<long, Reservation> Unconfirmed = [];
        public readonly Dictionary<long, long> Received = [];
        public readonly Dictionary<long, long> Sent = [];
    }

    private readonly ConcurrentDictionary<long, SaleSlot> _sales = new();
    private volatile bool _fenced;
    private volatile bool _reclaimed;

    public int Id { get; } = id;

    public event Action? Fenced
    {
        add { }
        remove { }
    }

    private SaleSlot Slot(long saleId) => _sales.GetOrAdd(saleId, static _ => new SaleSlot());

    public ValueTask<ReserveResult> ReserveAsync(Reservation reservation)
    {
        if (!_sales.TryGetValue(reservation.SaleId, out var slot))
        {
            return new(new ReserveResult(ReserveStatus.Insufficient, 0, 0));
        }
        lock (slot)
        {
            if (_fenced)
            {
                return new(new ReserveResult(ReserveStatus.Fenced, 0, slot.Available));
            }
            if (slot.OrderByUser.TryGetValue(reservation.UserId, out var existing))
            {
                return new(new ReserveResult(ReserveStatus.AlreadyHolding, existing, slot.Available));
            }
            if (slot.Available < reservation.Quantity)
            {
                return new(new ReserveResult(ReserveStatus.Insufficient, 0, slot.Available));
            }
            slot.Available -= reservation.Quantity;
            slot.Reserved += reservation.Quantity;
            slot.OrderByUser.Add(reservation.UserId, reservation.OrderId);
            slot.Unconfirmed.Add(reservation.OrderId, reservation);
            return new(new ReserveResult(ReserveStatus.Reserved, 0, slot.Available));
        }
    }

    public bool TryGetKnownOrder(long saleId, long userId, out long orderId)
    {
        orderId = 0;
        if (!_sales.TryGetValue(saleId, out var slot))
        {
            return false;
        }
        lock (slot)
        {
            return slot.OrderByUser.TryGetValue(userId, out orderId);
        }
    }

    public ValueTask ConfirmAsync(IReadOnlyList<Reservation> reservations)
    {
        foreach (var reservation in reservations)
        {
            var slot = Slot(reservation.SaleId);
            lock (slot)
            {
                if (slot.Unconfirmed.Remove(reservation.OrderId))
                {
                    slot.Reserved -= reservation.Quantity;
                }
            }
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask FailAsync(Reservation reservation, bool returnUnits = true)
    {
        var slot = Slot(reservation.SaleId);
        lock (slot)
        {
            // Only a reservation still unconfirmed holds units; failing one twice returns nothing.
            if (slot.Unconfirmed.Remove(reservation.OrderId))
            {
                slot.Reserved -= reservation.Quantity;
                if (returnUnits)
                {
                    slot.Available += reservation.Quantity;
                }
            }
            RemoveMark(slot, reservation.UserId, reservation.OrderId);
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask ReleaseMarkAsync(long saleId, long userId, long orderId)
    {
        var slot = Slot(saleId);
        lock (slot)
        {
            RemoveMark(slot, userId, orderId);
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask RestoreMarkAsync(long saleId, long userId, long orderId)
    {
        var slot = Slot(saleId);
        lock (slot)
        {
            slot.OrderByUser[userId] = orderId;
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask<bool> AddAsync(long saleId, long units, long transferId)
    {
        var slot = Slot(saleId);
        lock (slot)
        {
            // A reclaimed shard records the transfer with 0 units, so that it is never applied.
            if (slot.Received.TryAdd(transferId, _reclaimed ? 0 : units))
            {
                slot.Available += slot.Received[transferId];
            }
            return new(slot.Received[transferId] > 0);
        }
    }

    public ValueTask<bool> HasReceivedAsync(long saleId, long transferId)
    {
        if (!_sales.TryGetValue(saleId, out var slot))
        {
            return new(false);
        }
        lock (slot)
        {
            return new(slot.Received.TryGetValue(transferId, out var units) && units > 0);
        }
    }

    public ValueTask<long> WithdrawAsync(long saleId, long maxUnits, long transferId)
    {
        var slot = Slot(saleId);
        lock (slot)
        {
            if (!slot.Sent.TryGetValue(transferId, out var sent))
            {
                sent = _fenced ? 0 : Math.Max(0, Math.Min(slot.Available, maxUnits));
                slot.Available -= sent;
                slot.Sent.Add(transferId, sent);
            }
            return new(sent);
        }
    }

    public ValueTask<long> SettleWithdrawalAsync(long saleId, long transferId)
    {
        var slot = Slot(saleId);
        lock (slot)
        {
            slot.Sent.TryAdd(transferId, 0);
            return new(slot.Sent[transferId]);
        }
    }

    public ValueTask<long?> SentAsync(long saleId, long transferId)
    {
        if (!_sales.TryGetValue(saleId, out var slot))
        {
            return new((long?)null);
        }
        lock (slot)
        {
            return new(slot.Sent.TryGetValue(transferId, out var sent) ? sent : null);
        }
    }

    public ValueTask<IReadOnlyList<Reservation>> ReclaimAsync()
    {
        // Every slot's lock in turn, the fence set first: a reservation checks it under its
        // slot's lock, so none lands in a slot after that slot was listed.
        _reclaimed = true;
        _fenced = true;
        return ListUnconfirmedAsync();
    }

    public ValueTask<bool> IsReclaimedAsync() => new(_reclaimed);

    public ValueTask RejoinAsync()
    {
        _reclaimed = false;
        return ValueTask.CompletedTask;
    }

    public ValueTask RestoreAsync(ShardState state)
    {
        var slot = Slot(state.SaleId);
        lock (slot)
        {
            // Transfers that landed after the ledger was read count on top of what it says.
            var landedSince = slot.Received.Where(received => !state.MovesIn.Any(move => move.TransferId == received.Key)).Sum(received => received.Value);
            foreach (var move in state.MovesIn)
            {
                slot.Received[move.TransferId] = move.Units;
            }
            foreach (var stale in slot.Unconfirmed.Keys.ToList())
            {
                slot.Unconfirmed.Remove(stale);
            }
            foreach (var reservation in state.Outstanding)
            {
                slot.Unconfirmed[reservation.OrderId] = reservation;
            }
            slot.Reserved = state.Outstanding.Sum(reservation => (long)reservation.Quantity);
            slot.Available = state.Held + landedSince - slot.Reserved;
            slot.OrderByUser.Clear();
            foreach (var (userId, orderId) in state.Buyers)
            {
                slot.OrderByUser[userId] = orderId;
            }
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask FenceAsync()
    {
        _fenced = true;
        return ValueTask.CompletedTask;
    }

    public ValueTask LiftFenceAsync()
    {
        // A reclaimed shard stays fenced until its instance rejoins.
        _fenced = _reclaimed;
        return ValueTask.CompletedTask;
    }

    public ValueTask PingAsync() => ValueTask.CompletedTask;

    public ValueTask<ShardStock> GetAsync(long saleId)
    {
        if (!_sales.TryGetValue(saleId, out var slot))
        {
            return new(default(ShardStock));
        }
        lock (slot)
        {
            return new(new ShardStock(slot.Available, slot.Reserved));
        }
    }

    public ValueTask ForgetBuyersAsync(long saleId)
    {
        if (_sales.TryGetValue(saleId, out var slot))
        {
            lock (slot)
            {
                slot.OrderByUser.Clear();
                slot.OrderByUser.TrimExcess();
            }
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask<IReadOnlyDictionary<long, long>> ListBuyersAsync(long saleId)
    {
        if (!_sales.TryGetValue(saleId, out var slot))
        {
            return new(new Dictionary<long, long>());
        }
        lock (slot)
        {
            return new(new Dictionary<long, long>(slot.OrderByUser));
        }
    }

    public ValueTask<long> CountBuyersAsync(long saleId)
    {
        if (!_sales.TryGetValue(saleId, out var slot))
        {
            return new(0L);
        }
        lock (slot)
        {
            return new((long)slot.OrderByUser.Count);
        }
    }

    public ValueTask<IReadOnlyList<Reservation>> ListUnconfirmedAsync()
    {
        var all = new List<Reservation>();
        foreach (var slot in _sales.Values)
        {
            lock (slot)
            {
                all.AddRange(slot.Unconfirmed.Values);
            }
        }
        all.Sort(static (a, b) => a.OrderId.CompareTo(b.OrderId));
        return new(all);
    }

    public ValueTask<Reservation?> FindUnconfirmedAsync(long orderId)
    {
        foreach (var slot in _sales.Values)
        {
            lock (slot)
            {
                if (slot.Unconfirmed.TryGetValue(orderId, out var reservation))
                {
                    return new(reservation);
                }
            }
        }
        return new((Reservation?)null);
    }

    // A mark is removed only by the order that set it: a late failure of an old reservation
    // must not clear the mark of the user's newer order.
    private static void RemoveMark(SaleSlot slot, long userId, long orderId)
    {
        if (slot.OrderByUser.TryGetValue(userId, out var current) && current == orderId)
        {
            slot.OrderByUser.Remove(userId);
        }
    }
}
