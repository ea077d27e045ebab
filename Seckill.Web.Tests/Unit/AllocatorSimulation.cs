using System.Reflection;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Seckill.Web.Allocation;
using Seckill.Web.Cluster;
using Seckill.Web.Purchasing;
using Seckill.Web.Sales;
using Seckill.Web.Stock;
using Seckill.Web.Storage.InProcess;

namespace Seckill.Web.Tests.Unit;

/// <summary>
/// A deterministic simulation of the allocator across instances: the service's own allocator,
/// mover, rebalancer, reclaimer and reserver over in-process shards, pool and registry, driven by
/// one seeded random source and a simulated clock. Buyers arrive with a random skew between
/// instances; instances are killed at any store call (before or after it takes effect) and
/// restarted; the periodic jobs run at random; moves are left half done and resumed later.
/// After every step the conservation law is checked; at the end every unit must be sold, and
/// every acknowledged order written once. A failure names its seed: <see cref="Run"/> with that
/// seed replays it exactly.
/// </summary>
/// <remarks>
/// What plays the database: <see cref="InProcessStockPool"/> (pool and ledger) and the set of
/// written orders here (a write is idempotent by order id, as the orders table's key makes it).
/// What plays each instance's Redis: its <see cref="InProcessStockShard"/>, which survives the
/// instance. An instance's startup mirrors <c>Orders/StartupRecovery</c> and <c>ShardRecovery</c>.
/// </remarks>
public sealed class AllocatorSimulation
{
    private const long SaleId = 1;
    private const int Instances = 3;
    private static readonly TimeSpan DeadAfter = TimeSpan.FromSeconds(5);

    private readonly int _seed;
    private readonly Random _random;
    private readonly SimClock _clock = new();
    private readonly InProcessStockPool _pool;
    private readonly InProcessInstanceRegistry _registry;
    private readonly SimInstance[] _instances = new SimInstance[Instances];
    private readonly Dictionary<long, Reservation> _written = [];
    private readonly HashSet<long> _acknowledged = [];
    private readonly StringBuilder _log = new();
    private readonly double[] _skew;
    private readonly AllocationOptions _options;
    private readonly Sale _sale;
    private readonly Dictionary<int, long> _maxIds = [];
    private readonly List<(int From, string Message)> _messages = [];
    private long _users;
    private bool _killsArmed;

    public AllocatorSimulation(int seed)
    {
        _seed = seed;
        _random = new Random(seed);
        _pool = new InProcessStockPool(_clock);
        _registry = new InProcessInstanceRegistry { Time = _clock };
        // Traffic skew: some instances get most buyers, some none.
        _skew = Enumerable.Range(0, Instances).Select(_ => _random.Next(4) == 0 ? 0.0 : _random.NextDouble()).ToArray();
        if (_skew.Sum() == 0)
        {
            _skew[0] = 1;
        }
        _options = new AllocationOptions
        {
            ReserveRatio = _random.NextDouble() * 0.5,
            RefillRatio = 0.01 + _random.NextDouble() * 0.1,
            EndgameThreshold = _random.Next(0, 30),
            LowWatermarkSeconds = 1 + _random.Next(3),
            TargetSeconds = 3 + _random.Next(5),
            HighWatermarkSeconds = 10 + _random.Next(20),
        };
        var stock = 50 + _random.Next(400);
        var now = _clock.GetUtcNow();
        _sale = new Sale(SaleId, "S", "S", 100, stock, now.AddMinutes(-1), now.AddHours(1), 3);
        for (var i = 0; i < Instances; i++)
        {
            _instances[i] = new SimInstance(this, i);
        }
    }

    /// <summary>Runs one seeded simulation; throws with the seed and the last steps if a promise breaks.</summary>
    public static async Task Run(int seed, int steps = 300)
    {
        var simulation = new AllocatorSimulation(seed);
        try
        {
            await simulation.RunAsync(steps);
        }
        catch (Exception e) when (e is not SimulationFailed)
        {
            throw new SimulationFailed(simulation.Describe($"threw {e}"), e);
        }
    }

    private async Task RunAsync(int steps)
    {
        _pool.Add(SaleId, _sale.Stock);
        foreach (var instance in _instances)
        {
            await instance.StartAsync();
        }
        await _instances[0].Do(instance => instance.Allocator.WarmUpAsync(SaleId, _sale.Stock).AsTask());
        await CheckAsync("warm-up");

        _killsArmed = true;
        for (var step = 0; step < steps; step++)
        {
            var what = await StepAsync();
            await CheckAsync($"step {step}: {what}");
        }
        _killsArmed = false;
        await FinishAsync();
    }

    private async Task<string> StepAsync()
    {
        await DeliverAsync();
        var live = _instances.Where(instance => instance.Alive).ToList();
        var dice = _random.Next(100);
        var instance = live.Count > 0 ? live[_random.Next(live.Count)] : null;
        switch (dice)
        {
            case < 55 when live.Count > 0:
                var buyer = Pick(live);
                return $"buy at {buyer.Id}: {await buyer.Do(b => b.BuyAsync(1 + _random.Next(3)))}";
            case < 65 when instance is not null:
                return $"writer of {instance.Id}: {await instance.Do(i => i.FlushAsync())}";
            case < 70 when instance is not null:
                return $"low-watermark top-up at {instance.Id}: {await instance.Do(i => i.Rebalancer.TopUpAsync(SaleId))}";
            case < 76 when instance is not null:
                return $"periodic rebalance at {instance.Id}: {await instance.Do(async i => (await i.Rebalancer.RebalanceAsync(SaleId)).UnitsMoved)}";
            case < 82 when instance is not null:
                return $"reclaim at {instance.Id}: {await instance.Do(ReclaimAsync)}";
            case < 85 when live.Count > 1:
                instance!.Die();
                return $"kill {instance.Id}";
            case < 89:
                var dead = _instances.Where(other => !other.Alive).ToList();
                if (dead.Count == 0)
                {
                    return "nothing to restart";
                }
                var restarted = dead[_random.Next(dead.Count)];
                return $"restart {restarted.Id}: {(await restarted.StartAsync() ? "up" : "not up (its reclaim's lock is taken, or killed while starting)")}";
            default:
                _clock.Advance(TimeSpan.FromMilliseconds(_random.Next(1, 2000)));
                foreach (var beating in live)
                {
                    await beating.Do(b => b.BeatAsync());
                }
                return $"clock +, now {_clock.GetUtcNow():HH:mm:ss.fff}";
        }
    }

    /// <summary>
    /// The end: kills stop; the dead are reclaimed, writers flushed, half-done moves resumed; then
    /// buyers keep coming at the live instances until every one of them says there is nothing left.
    /// </summary>
    private async Task FinishAsync()
    {
        // Past any dead instance's heartbeat, and past any reclaim lock a killed reclaimer left behind.
        _clock.Advance(DeadAfter + ReclaimLock.For + TimeSpan.FromSeconds(1));
        if (_instances.All(instance => !instance.Alive))
        {
            // Kills may have taken the last one: someone comes back to finish the sale.
            await _instances[0].StartAsync();
        }
        var live = _instances.Where(instance => instance.Alive).ToList();
        // Two rounds, as periodic heartbeats would have it: in one round the first instance learns
        // the others from beats older than the clock's jump above, and does not see one that came
        // back just before it; its rebalance then found an end game on a shard it did not know.
        for (var round = 0; round < 2; round++)
        {
            foreach (var instance in live)
            {
                await instance.BeatAsync();
            }
        }
        await live[0].Reclaimer.ReclaimDeadAsync(live[0].WriteAsync, CancellationToken.None);
        foreach (var instance in live)
        {
            await instance.FlushAsync();
        }
        await live[0].Rebalancer.RebalanceAsync(SaleId);
        await CheckAsync("recovered");

        for (var round = 0; round < 10_000; round++)
        {
            var outcomes = new List<ReserveStatus>();
            foreach (var instance in live)
            {
                try
                {
                    outcomes.Add(await instance.BuyAsync(1));
                }
                catch (StockUnavailableException)
                {
                    outcomes.Add(ReserveStatus.Fenced);
                }
                await instance.FlushAsync();
            }
            await CheckAsync($"drain round {round}");
            if (outcomes.All(outcome => outcome != ReserveStatus.Reserved))
            {
                break;
            }
        }

        var sold = _written.Values.Sum(order => (long)order.Quantity);
        if (sold != _sale.Stock)
        {
            throw new SimulationFailed(Describe($"sold {sold} of {_sale.Stock}: {_sale.Stock - sold} units stranded"));
        }
        var lost = _acknowledged.Where(orderId => !_written.ContainsKey(orderId)).ToList();
        if (lost.Count > 0)
        {
            throw new SimulationFailed(Describe($"acknowledged orders never written: {string.Join(", ", lost)}"));
        }
    }

    /// <summary>
    /// A reclaim of the dead, which finishes every move out of or into a shard it reclaims: one left
    /// in transit for the periodic resume is stock on sale nowhere, and buyers told sold out meanwhile.
    /// </summary>
    private async Task<int> ReclaimAsync(SimInstance reclaimer)
    {
        var reclaims = await reclaimer.Reclaimer.ReclaimDeadAsync(reclaimer.WriteAsync, CancellationToken.None);
        var moves = await _pool.ListInTransitAsync(SaleId);
        foreach (var reclaim in reclaims)
        {
            var left = moves.Where(move => move.FromShard == reclaim.InstanceId || move.ToShard == reclaim.InstanceId).ToList();
            if (left.Count > 0)
            {
                throw new SimulationFailed(Describe($"the reclaim of instance {reclaim.InstanceId} left moves of its shard in transit: {string.Join("; ", left)}"));
            }
        }
        return reclaims.Count;
    }

    private SimInstance Pick(IReadOnlyList<SimInstance> live)
    {
        var weights = live.Select(instance => _skew[instance.Id]).ToList();
        var total = weights.Sum();
        if (total == 0)
        {
            return live[_random.Next(live.Count)];
        }
        var at = _random.NextDouble() * total;
        for (var i = 0; i < live.Count; i++)
        {
            at -= weights[i];
            if (at <= 0)
            {
                return live[i];
            }
        }
        return live[^1];
    }

    /// <summary>
    /// The conservation law, from the stores themselves: total = pool + what the shards hold
    /// (available, and reserved by reservations not yet written) + in transit + sold (written
    /// orders). A reclaimed shard's counters are not its truth (it is fenced; its stock went back
    /// by the ledger): it holds what the ledger says, less what is counted in transit to or from it.
    /// </summary>
    private async Task CheckAsync(string after)
    {
        _log.AppendLine(after);
        if (Environment.GetEnvironmentVariable("SECKILL_SIM_TRACE") == "1")
        {
            _log.AppendLine("   " + State());
        }
        var held = 0L;
        foreach (var instance in _instances)
        {
            var shard = instance.Shard;
            var stock = await shard.GetAsync(SaleId);
            var unwritten = (await shard.ListUnconfirmedAsync()).Where(r => !_written.ContainsKey(r.OrderId)).Sum(r => (long)r.Quantity);
            var counted = stock.Available + unwritten;
            if (await shard.IsReclaimedAsync())
            {
                counted = (await _pool.HoldingsAsync(shard.Id, CancellationToken.None)).FirstOrDefault(h => h.SaleId == SaleId)?.Units ?? 0;
                foreach (var move in await _pool.ListInTransitAsync(SaleId))
                {
                    if (move.Withdrawn && move.ToShard == shard.Id && !await shard.HasReceivedAsync(SaleId, move.TransferId))
                    {
                        counted -= move.Units;
                    }
                    else if (!move.Withdrawn && move.FromShard == shard.Id)
                    {
                        counted -= await shard.SentAsync(SaleId, move.TransferId) ?? 0;
                    }
                }
            }
            held += counted;
        }
        var inTransit = await _instances[0].Checker.InTransitAsync(SaleId);
        var pool = await _pool.GetAsync(SaleId);
        var sold = _written.Values.Sum(order => (long)order.Quantity);
        if (pool + held + inTransit + sold != _sale.Stock)
        {
            throw new SimulationFailed(Describe(
                $"conservation broken after {after}: total {_sale.Stock} != pool {pool} + shards {held} + in transit {inTransit} + sold {sold}"));
        }
    }

    // The stores are in process: their calls complete at once.
    private string State()
    {
        var shards = string.Join("; ", _instances.Select(instance =>
            $"shard {instance.Id}: {instance.Shard.GetAsync(SaleId).Result}, unconfirmed [{string.Join(" ", instance.Shard.ListUnconfirmedAsync().Result.Select(r => $"{r.OrderId}x{r.Quantity}{(_written.ContainsKey(r.OrderId) ? "w" : "")}"))}], " +
            $"alive {instance.Alive}, reclaimed {instance.Shard.IsReclaimedAsync().Result}, " +
            $"ledger {_pool.HoldingsAsync(instance.Id, CancellationToken.None).Result.FirstOrDefault()?.Units}"));
        var moves = string.Join("; ", _pool.ListInTransitAsync(SaleId).Result);
        return $"pool {_pool.GetAsync(SaleId).Result}; sold {_written.Values.Sum(order => order.Quantity)}; {shards}; in transit: [{moves}]";
    }

    private string Describe(string what)
    {
        var lines = _log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return $"seed {_seed} ({nameof(AllocatorSimulation)}.{nameof(Run)}({_seed}) replays it): {what}\n" +
               State() + "\n" +
               $"stock {_sale.Stock}, skew [{string.Join(", ", _skew.Select(w => w.ToString("0.00")))}], reserve {_options.ReserveRatio:0.00}, endgame below {_options.EndgameThreshold}\n" +
               "last steps:\n" + string.Join('\n', lines.TakeLast(40));
    }

    /// <summary>The orders table: a write is applied once per order id; what it sold comes off its shard by the ledger.</summary>
    private void Write(Reservation reservation)
    {
        if (_written.TryAdd(reservation.OrderId, reservation))
        {
            _pool.RecordSold(reservation.SaleId, reservation.ShardId, reservation.Quantity);
        }
    }

    private void SeeId(long id) => _maxIds[IdGenerator.InstanceOf(id)] = Math.Max(_maxIds.GetValueOrDefault(IdGenerator.InstanceOf(id)), id);

    public sealed class SimulationFailed(string message, Exception? inner = null) : Exception(message, inner);

    /// <summary>Thrown from a store call when the simulation kills the instance making it.</summary>
    private sealed class InstanceKilled : Exception;

    /// <summary>
    /// The cluster's channel: a message reaches every other live instance at the start of the next
    /// step, or is lost (as pub/sub may lose it).
    /// </summary>
    private sealed class SimChannel(AllocatorSimulation sim, SimInstance publisher) : IClusterChannel
    {
        public void Publish(string message) => sim._messages.Add((publisher.Id, message));

        public Task SubscribeAsync(Func<string, Task> onMessage) => Task.CompletedTask;

        public Task UnsubscribeAsync(Func<string, Task> onMessage) => Task.CompletedTask;
    }

    private async Task DeliverAsync()
    {
        var messages = _messages.ToList();
        _messages.Clear();
        foreach (var (from, message) in messages)
        {
            foreach (var instance in _instances.Where(instance => instance.Alive && instance.Id != from))
            {
                if (_random.Next(10) > 0)
                {
                    await instance.Do(async i => { await i.HearAsync(message); return message; });
                }
            }
        }
    }

    private sealed class SimClock : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }

    /// <summary>
    /// One instance: the service's allocation components, built anew at each start, over stores
    /// seen through <see cref="Fated{T}"/> so that any call may be its last.
    /// </summary>
    private sealed class SimInstance
    {
        private readonly AllocatorSimulation _sim;
        private readonly List<Reservation> _queued = [];
        private IdGenerator _ids = null!;

        public SimInstance(AllocatorSimulation sim, int id)
        {
            _sim = sim;
            Id = id;
            Shard = new InProcessStockShard(id);
            // The checker sees the stores as they are, without fate.
            _checkerShards = new InProcessRemoteShards();
            _checkerRouter = new ShardRouter(Shard, _checkerShards, Options.Create(new ClusterOptions()), NullLogger<ShardRouter>.Instance);
            Checker = new StockMover(sim._pool, _checkerRouter, new IdGenerator(Options.Create(new InstanceOptions { InstanceId = id }), sim._clock),
                new SoldOutBoard(), new Silent());
        }

        private readonly InProcessRemoteShards _checkerShards;
        private readonly ShardRouter _checkerRouter;

        public int Id { get; }

        public InProcessStockShard Shard { get; }

        public StockMover Checker { get; }

        public bool Alive { get; private set; }

        public Allocator Allocator { get; private set; } = null!;

        public Rebalancer Rebalancer { get; private set; } = null!;

        public Reclaimer Reclaimer { get; private set; } = null!;

        private StockReserver _reserver = null!;
        private Func<string, Task>[] _listeners = [];

        /// <summary>A message of the cluster's channel reaches this instance.</summary>
        public async Task HearAsync(string message)
        {
            foreach (var listener in _listeners)
            {
                await listener(message);
            }
        }
        private IShardRouter _router = null!;
        private SellRates _rates = null!;
        private IInstanceRegistry _registry = null!;

        /// <summary>Runs one step of this instance; a kill in the middle ends it (and the instance).</summary>
        public async Task<string> Do<T>(Func<SimInstance, Task<T>> step)
        {
            try
            {
                return $"{await step(this)}";
            }
            catch (InstanceKilled)
            {
                Die();
                return "killed in the middle";
            }
            catch (StockUnavailableException e)
            {
                // What a buyer hears as 503 and a job as a failed run: a shard not reachable now.
                return $"unavailable ({e.Message})";
            }
        }

        public void Die()
        {
            Alive = false;
            _queued.Clear(); // the writer's queue was in memory; the reservations are in the shard
        }

        /// <summary>Starts (or restarts) the instance: false if its reclaim is under way (the lock is taken).</summary>
        public async Task<bool> StartAsync()
        {
            var options = Options.Create(_sim._options);
            var cluster = Options.Create(new ClusterOptions { DeadAfter = DeadAfter });
            var pool = Fated<IStockPool>.Wrap(_sim._pool, this);
            _registry = Fated<IInstanceRegistry>.Wrap(_sim._registry, this);
            var remote = new InProcessRemoteShards();
            foreach (var other in _sim._instances)
            {
                remote.Register(other.Id, Fated<IStockShard>.Wrap(other.Shard, this));
                _checkerShards.Register(other.Id, other.Shard);
            }
            await _checkerRouter.LearnAsync(_sim._instances.Select(other => new InstanceBeat(other.Id, "in-process", _sim._clock.GetUtcNow(), new Dictionary<long, double>())).ToList());
            _router = new ShardRouter(Fated<IStockShard>.Wrap(Shard, this), remote, cluster, NullLogger<ShardRouter>.Instance);
            _ids = new IdGenerator(Options.Create(new InstanceOptions { InstanceId = Id }), _sim._clock);
            // A start takes time (and ids carry the time): the clock moves on, and this instance's
            // ids continue above the highest it handed out, as the service's startup makes sure.
            _sim._clock.Advance(TimeSpan.FromMilliseconds(1));
            _ids.AdvancePast(_sim._maxIds.GetValueOrDefault(Id));
            _rates = new SellRates();
            var soldOut = new SoldOutBoard();
            var channel = new SimChannel(_sim, this);
            var broadcast = new SoldOutBroadcast(channel, soldOut, pool, _router, NullLogger<SoldOutBroadcast>.Instance);
            var heartbeat = new InstanceHeartbeat(_registry, _router, _rates, Options.Create(new InstanceOptions { InstanceId = Id }), cluster,
                _sim._clock, NullLogger<InstanceHeartbeat>.Instance);
            var mover = new StockMover(pool, _router, _ids, soldOut, broadcast);
            Allocator = new Allocator(pool, _router, mover, _rates, heartbeat, _registry, channel, soldOut, broadcast, options, NullLogger<Allocator>.Instance);
            Rebalancer = new Rebalancer(Allocator, mover, pool, _router, soldOut, broadcast, options, _sim._clock, NullLogger<Rebalancer>.Instance);
            Reclaimer = new Reclaimer(_registry, _router, pool, Allocator, mover, _ids, soldOut, broadcast, cluster, _sim._clock, NullLogger<Reclaimer>.Instance);
            _reserver = new StockReserver(_router, Allocator, soldOut, broadcast);
            _listeners = [broadcast.OnMessageAsync, Allocator.OnMessageAsync];

            Alive = true;
            var owner = $"start-{Id}";
            var result = await Do(async self =>
            {
                if (!await _registry.TryLockAsync(ReclaimLock.Of(Id), owner, ReclaimLock.For))
                {
                    return false;
                }
                await BeatAsync();
                var shard = _router.Local;
                var reclaimed = await shard.IsReclaimedAsync();
                await RecoverShardAsync(pool);
                if (reclaimed)
                {
                    await shard.RejoinAsync();
                    await shard.LiftFenceAsync();
                }
                await _registry.UnlockAsync(ReclaimLock.Of(Id), owner);
                return true;
            });
            if (result != "True")
            {
                Alive = false;
                return false;
            }
            return true;
        }

        /// <summary>What <c>ShardRecovery</c> does at startup: the shard set from the ledger, then its unwritten reservations written.</summary>
        private async Task RecoverShardAsync(IStockPool pool)
        {
            var shard = _router.Local;
            await shard.FenceAsync();
            foreach (var holding in await pool.HoldingsAsync(Id, CancellationToken.None))
            {
                foreach (var intent in (await pool.ListInTransitAsync(holding.SaleId)).Where(move => !move.Withdrawn && move.FromShard == Id))
                {
                    await pool.MarkWithdrawnAsync(intent.SaleId, intent.TransferId, await shard.SettleWithdrawalAsync(intent.SaleId, intent.TransferId));
                }
            }
            var outstanding = (await shard.ListUnconfirmedAsync()).Where(r => !_sim._written.ContainsKey(r.OrderId)).ToList();
            foreach (var holding in await pool.HoldingsAsync(Id, CancellationToken.None))
            {
                var reservations = outstanding.Where(r => r.SaleId == holding.SaleId).ToList();
                await shard.RestoreAsync(new ShardState(holding.SaleId, holding.Units, holding.MovesIn, reservations,
                    reservations.ToDictionary(r => r.UserId, r => r.OrderId)));
                foreach (var move in holding.MovesIn)
                {
                    await pool.CompleteTransferAsync(holding.SaleId, move.TransferId);
                }
            }
            await shard.LiftFenceAsync();
            await WriteAsync(outstanding);
        }

        public async Task<int> BeatAsync()
        {
            var now = _sim._clock.GetUtcNow();
            await _registry.BeatAsync(Id, now, _rates.Tick(TimeSpan.FromSeconds(1)));
            await _router.LearnAsync(await _registry.ListAliveSinceAsync(now - DeadAfter));
            return 0;
        }

        public async Task<ReserveStatus> BuyAsync(int quantity)
        {
            var reservation = new Reservation(_ids.Next(), SaleId, ++_sim._users, quantity, 100 * quantity,
                _sim._clock.GetUtcNow().ToUnixTimeMilliseconds(), _router.Local.Id);
            _sim.SeeId(reservation.OrderId);
            var (result, taken) = await _reserver.ReserveAsync(_sim._sale, reservation, 0);
            if (result.Status == ReserveStatus.Reserved)
            {
                _sim._acknowledged.Add(taken.OrderId);
                _queued.Add(taken);
            }
            return result.Status;
        }

        /// <summary>
        /// The order writer: everything queued here, written then confirmed on its shard; then, as
        /// <c>ReservationReplay</c> does, reservations on this shard older than its replay age that
        /// no one here has queued (taken by an instance that forwarded them in an end game and died).
        /// </summary>
        public async Task<int> FlushAsync()
        {
            var batch = _queued.ToList();
            await WriteAsync(batch);
            _queued.Clear();
            var before = (_sim._clock.GetUtcNow() - TimeSpan.FromSeconds(5)).ToUnixTimeMilliseconds();
            var orphans = (await _router.Local.ListUnconfirmedAsync()).Where(r => r.CreatedAtMs <= before).ToList();
            await WriteAsync(orphans);
            return batch.Count + orphans.Count;
        }

        public async Task<int> WriteAsync(IReadOnlyList<Reservation> reservations)
        {
            foreach (var reservation in reservations)
            {
                // The database call may be the instance's last, before or after it commits.
                Fated<object>.MaybeKill(this, () => _sim.Write(reservation));
                await _router.Get(reservation.ShardId).ConfirmAsync([reservation]);
            }
            return reservations.Count;
        }

        public Random Random => _sim._random;

        public bool KillsArmed => _sim._killsArmed;

        private sealed class Silent : ISoldOutBroadcast
        {
            public void SoldOut(long saleId)
            {
            }

            public void StockBack(long saleId)
            {
            }
        }

        /// <summary>
        /// A store as one instance sees it: every call may be the instance's last — not made, or made
        /// and its answer never heard — with a small chance, while kills are armed.
        /// </summary>
        public class Fated<T> : DispatchProxy where T : class
        {
            private const double KillChance = 0.004;
            private object _inner = null!;
            private SimInstance _instance = null!;

            public static T Wrap(T inner, SimInstance instance)
            {
                var proxy = Create<T, Fated<T>>();
                var fated = (Fated<T>)(object)proxy;
                fated._inner = inner;
                fated._instance = instance;
                return proxy;
            }

            public static void MaybeKill(SimInstance instance, Action call)
            {
                if (!instance.Alive)
                {
                    throw new InstanceKilled();
                }
                var roll = instance.KillsArmed ? instance.Random.NextDouble() : 1;
                if (roll < KillChance / 2)
                {
                    instance.Die();
                    throw new InstanceKilled();
                }
                call();
                if (roll < KillChance)
                {
                    instance.Die();
                    throw new InstanceKilled();
                }
            }

            protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
            {
                object? result = null;
                MaybeKill(_instance, () =>
                {
                    try
                    {
                        result = targetMethod!.Invoke(_inner, args);
                    }
                    catch (TargetInvocationException e) when (e.InnerException is not null)
                    {
                        throw e.InnerException;
                    }
                });
                return result;
            }
        }
    }
}
