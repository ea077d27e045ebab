using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Seckill.Web.Security;
using Seckill.Web.Tests.Infrastructure;

namespace Seckill.Web.Tests.Endpoints;

public sealed class HealthAndStartupTests
{
    [Fact]
    public async Task LiveAndReadyAnswer200WhenStorageIsThere()
    {
        using var factory = new SeckillFactory();
        using var client = factory.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);
    }

    [Fact]
    public async Task ReadyIs503WhenTheDatabaseIsGoneButLiveStays200()
    {
        // No background job may touch the folder while it is being removed.
        using var factory = new SeckillFactory(new Dictionary<string, string?> { ["Jobs:Expire"] = "0 0 31 2 *" });
        using var client = factory.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);

        // The database disappears (disk unmounted, volume lost, database dropped).
        factory.Store.DestroyDatabase();

        var ready = await client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal("unavailable", await ready.ProblemCodeAsync());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
    }

    [Theory]
    [InlineData("Seckill:InstanceId", "1024")]
    [InlineData("Auth:SigningKey", "short")]
    [InlineData("Orders:ConfirmWaitMs", "-1")]
    [InlineData("Orders:DatabaseConcurrency", "0")]
    [InlineData("Auth:ValidatedTokenCache", "-1")]
    [InlineData("Orders:BatchSize", "0")]
    [InlineData("Orders:PaymentTimeout", "00:00:00")]
    [InlineData("Allocation:ReserveRatio", "1.5")]
    [InlineData("RateLimits:PerIp:Burst", "0")]
    [InlineData("RateLimits:PerUser:PermitsPerMinute", "-1")]
    [InlineData("RateLimits:TrustedProxies:0", "not-an-address")]
    [InlineData("Gate:BloomFalsePositiveRate", "1.5")]
    [InlineData("Gate:PurchaseTokenLifetime", "00:00:00")]
    [InlineData("Overload:TargetDelayMs", "0")]
    [InlineData("Overload:IntervalMs", "5")]
    [InlineData("Overload:MaxOrderWaitMs", "0")]
    [InlineData("Overload:ProbeEveryMs", "0")]
    [InlineData("Rehearsal:Buyers", "0")]
    [InlineData("Rehearsal:Stock", "0")]
    [InlineData("Rehearsal:TimeoutSeconds", "0")]
    public void InvalidConfigurationFailsStartupNamingTheKey(string key, string value)
    {
        using var factory = new SeckillFactory(new Dictionary<string, string?> { [key] = value });
        var error = Assert.Throws<OptionsValidationException>(() => factory.CreateClient());
        Assert.Contains(key, error.Message);
    }

    [Fact]
    public async Task TheTokenCommandPrintsATokenTheServiceAccepts()
    {
        using var factory = new SeckillFactory();
        var key = factory.Get<IOptions<AuthOptions>>().Value.SigningKey;
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Auth:SigningKey"] = key }).Build();
        var printed = new StringWriter();
        var stdout = Console.Out;
        Console.SetOut(printed);
        int exit;
        try
        {
            exit = TokenCommand.Run(configuration, ["token", "--user", "42", "--admin"]);
        }
        finally
        {
            Console.SetOut(stdout);
        }
        Assert.Equal(0, exit);
        using var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", printed.ToString().Trim());
        // An admin-only route answers (404 for a sale that does not exist) instead of 401/403.
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/admin/sales/1/stock")).StatusCode);
    }

    [Theory]
    [InlineData]
    [InlineData("--user")]
    [InlineData("--user", "0")]
    [InlineData("--user", "abc")]
    [InlineData("--user", "1", "--bogus")]
    public void TheTokenCommandRefusesBadArguments(params string[] arguments)
    {
        var configuration = new ConfigurationBuilder().Build();
        var stderr = Console.Error;
        Console.SetError(TextWriter.Null);
        try
        {
            Assert.Equal(2, TokenCommand.Run(configuration, ["token", .. arguments]));
        }
        finally
        {
            Console.SetError(stderr);
        }
    }
}
