using System.Net;
using System.Net.Http.Json;

namespace Seckill.Web.Tests.Infrastructure;

/// <summary>
/// Several instances of one cluster in this test process: one MySQL database and one pool Redis,
/// and each instance its own id and its own shard Redis (a logical database of the shared test
/// server). Instance <c>i</c> has id <c>i</c>. The allocator's jobs run every second and an instance is
/// dead after two silent seconds, so that tests see moves and reclaims without waiting long.
/// </summary>
public sealed class TestCluster : IDisposable
{
    private readonly List<TestStore> _shardStores = [];
    private readonly Dictionary<string, string?> _settings;

    public TestCluster(int instances, IDictionary<string, string?>? settings = null)
    {
        Store = new TestStore(StorageMode.Clustered);
        _settings = new Dictionary<string, string?>
        {
            ["Jobs:Rebalance"] = "* * * * * *",
            ["Jobs:Reclaim"] = "* * * * * *",
            ["Cluster:DeadAfter"] = "00:00:02",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            _settings[key] = value;
        }
        for (var i = 0; i < instances; i++)
        {
            Instances.Add(Start(i));
        }
    }

    public TestStore Store { get; }

    public List<SeckillFactory> Instances { get; } = [];

    public SeckillFactory this[int instance] => Instances[instance];

    /// <summary>Starts instance <paramref name="id"/> on its own shard (the first one's is the store's own).</summary>
    private SeckillFactory Start(int id)
    {
        var settings = new Dictionary<string, string?>(_settings) { ["Seckill:InstanceId"] = id.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        if (id > 0)
        {
            var shardStore = new TestStore(StorageMode.Clustered);
            _shardStores.Add(shardStore);
            settings["Redis:Shard"] = shardStore.Settings["Redis:Shard"];
        }
        var factory = new SeckillFactory(settings, Store);
        factory.CreateClient().Dispose();
        return factory;
    }

    /// <summary>Waits until every instance sees every other as live (and can reach its shard).</summary>
    public async Task AllLiveAsync()
    {
        foreach (var instance in Instances)
        {
            await Eventually.TrueAsync(async () =>
            {
                var live = await instance.Get<Web.Cluster.InstanceHeartbeat>().ListLiveAsync();
                return live.Count == Instances.Count &&
                       Instances.All(other => instance.Get<Web.Cluster.IShardRouter>().TryGet(other.Get<Web.Cluster.IShardRouter>().Local.Id, out _));
            }, "every instance to know every other");
        }
    }

    /// <summary>Buys one unit of the sale as <paramref name="userId"/> through <paramref name="instance"/>; the status code and the order id if any.</summary>
    public static async Task<(HttpStatusCode Status, long OrderId)> BuyAsync(SeckillFactory instance, long saleId, long userId, int quantity = 1)
    {
        using var client = instance.ClientFor(userId);
        var response = await client.PurchaseAsync(saleId, quantity);
        if (response.StatusCode is HttpStatusCode.Created or HttpStatusCode.Accepted)
        {
            return (response.StatusCode, (await response.ReadPurchaseAsync()).OrderId);
        }
        return (response.StatusCode, 0);
    }

    public void Dispose()
    {
        foreach (var instance in Instances)
        {
            instance.Dispose();
        }
        foreach (var store in _shardStores)
        {
            store.Dispose();
        }
        Store.Dispose();
    }
}
