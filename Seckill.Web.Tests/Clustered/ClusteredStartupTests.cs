using System.Net;
using Microsoft.Extensions.Options;
using Seckill.Web.Cluster;
using Seckill.Web.Storage.Redis;
using Seckill.Web.Tests.Infrastructure;

namespace Seckill.Web.Tests.Clustered;

/// <summary>Choosing the clustered mode, and refusing to start when its settings are wrong or its servers away.</summary>
public sealed class ClusteredStartupTests
{
    [Theory]
    [InlineData("Redis:Shard", "127.0.0.1:6379", "ConnectionStrings:Mysql")]
    [InlineData("Redis:Shard", "127.0.0.1:6379", "Redis:Pool")]
    [InlineData("ConnectionStrings:Mysql", "Server=127.0.0.1", "Redis:Shard")]
    [InlineData("ConnectionStrings:Mysql", "Server=127.0.0.1;Nonsense Option=1", "ConnectionStrings:Mysql")]
    public void AnIncompleteOrMalformedClusterSettingFailsStartupNamingTheKey(string key, string value, string named)
    {
        using var factory = new SeckillFactory(new Dictionary<string, string?> { [key] = value }, new TestStore(StorageMode.Embedded));
        var error = Assert.Throws<OptionsValidationException>(() => factory.CreateClient());
        Assert.Contains(named, error.Message);
    }

    [Theory]
    [InlineData("Redis:Shard")]
    [InlineData("Redis:Pool")]
    [InlineData("ConnectionStrings:Mysql")]
    public async Task AServerThatDoesNotAnswerFailsStartupNamingItsKey(string key)
    {
        using var store = new TestStore(StorageMode.Clustered);
        var nobody = TestServers.FreePort();
        var settings = new Dictionary<string, string?>(store.Settings)
        {
            [key] = key == "ConnectionStrings:Mysql" ? $"Server=127.0.0.1;Port={nobody};User Id=x;SslMode=None" : $"127.0.0.1:{nobody},connectTimeout=1000",
        };
        using var process = await SeckillProcess.StartExpectingFailureAsync(settings, store.DataDirectory);
        Assert.NotEqual(0, process.ExitCode);
        Assert.Contains($"{key}: cannot", process.Log);
    }

    [Fact]
    public async Task ReadinessNamesTheStoreThatIsAwayAndTheInstanceHeartbeats()
    {
        using var shardRedis = RedisServer.Start();
        using var factory = new SeckillFactory(new Dictionary<string, string?> { ["Redis:Shard"] = shardRedis.Configuration() },
            new TestStore(StorageMode.Clustered));
        using var client = factory.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);
        var live = await factory.Get<InstanceHeartbeat>().ListLiveAsync();
        Assert.Equal((0, shardRedis.Configuration()), (Assert.Single(live).InstanceId, live[0].ShardEndpoint));

        shardRedis.Kill();
        var ready = await client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        var detail = (await ready.ProblemAsync()).GetProperty("detail").GetString();
        Assert.Contains("stock-shard", detail);
        Assert.DoesNotContain("orders-db", detail);
    }

    [Fact]
    public async Task AStockReturnAnnouncedByAnotherInstanceClearsTheSoldOutFlagHere()
    {
        using var factory = new SeckillFactory(store: new TestStore(StorageMode.Clustered));
        var sale = await factory.CreateSaleAsync(stock: 1);
        using (var buyer = factory.ClientFor(1))
        {
            await buyer.PurchaseAsync(sale.Id);
        }
        using (var late = factory.ClientFor(2))
        {
            Assert.Equal("sold_out", await (await late.PurchaseAsync(sale.Id)).ProblemCodeAsync());
        }
        var board = factory.Get<Seckill.Web.Stock.SoldOutBoard>();
        Assert.True(board.IsSoldOut(sale.Id));

        // Another instance publishes on the pool Redis (here: the same channel, another connection and origin).
        using var other = new RedisConnections(new RedisSettings(factory.Store.Settings["Redis:Pool"]!, factory.Store.Settings["Redis:Shard"]!, ShardId: 99));
        await other.ConnectAsync(await factory.Get<Seckill.Web.Storage.MySql.MySqlDatabase>().ClusterIdAsync(CancellationToken.None));
        var channel = new RedisClusterChannel(other);
        channel.Publish($"stock_back:{sale.Id}");
        await Eventually.TrueAsync(() => Task.FromResult(!board.IsSoldOut(sale.Id)), "the flag to clear");

        // "Sold out" from elsewhere is believed only when this instance's own stock agrees.
        channel.Publish($"sold_out:{sale.Id}");
        await Eventually.TrueAsync(() => Task.FromResult(board.IsSoldOut(sale.Id)), "the flag to be set again");
    }
}
