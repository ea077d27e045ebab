using System.Net;
using Hangfire;
using Seckill.Web.Jobs.Notifications;
using Seckill.Web.Tests.Infrastructure;

namespace Seckill.Web.Tests.Promises;

/// <summary>Buyers' notifications: delivered when the webhook answers, dead-lettered when it does not, never in a purchase's way.</summary>
public sealed class NotificationTests
{
    private static SeckillFactory FactoryFor(WebhookReceiver receiver, Dictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Notifications:WebhookUrl"] = receiver.Url.ToString(),
            ["Notifications:Timeout"] = "00:00:00.500",
            ["Orders:PaymentTimeout"] = "00:10:00",
        };
        foreach (var (key, value) in more ?? [])
        {
            settings[key] = value;
        }
        return new SeckillFactory(settings);
    }

    [Fact]
    public async Task ConfirmedPaidAndExpiredOrdersReachTheWebhook()
    {
        await using var receiver = await WebhookReceiver.StartAsync(Receiver.Ok);
        using var factory = FactoryFor(receiver);
        var sale = await factory.CreateSaleAsync(stock: 10);
        using var payer = factory.ClientFor(41);
        using var sleeper = factory.ClientFor(42);
        var paid = (await (await payer.PurchaseAsync(sale.Id)).ReadPurchaseAsync()).OrderId;
        var unpaid = (await (await sleeper.PurchaseAsync(sale.Id)).ReadPurchaseAsync()).OrderId;
        Assert.Equal(HttpStatusCode.OK, (await payer.PostAsync($"/api/orders/{paid}/pay", null)).StatusCode);
        factory.Clock.Advance(TimeSpan.FromMinutes(11));

        string[] expected = [$"order_confirmed {paid} 41", $"order_confirmed {unpaid} 42", $"order_paid {paid} 41", $"order_expired {unpaid} 42"];
        string[] Got() => receiver.Received
            .Select(body => $"{body.GetProperty("event").GetString()} {body.GetProperty("orderId").GetString()} {body.GetProperty("userId").GetString()}")
            .ToArray();
        await Eventually.TrueAsync(() => Task.FromResult(expected.All(Got().Contains)), () => "all four notifications; got " + string.Join(", ", Got()));
        Assert.Equal(expected.Order(), Got().Order());
        var expiredBody = receiver.Received.Single(body => body.GetProperty("event").GetString() == "order_expired");
        Assert.Equal("expired", expiredBody.GetProperty("status").GetString());
        Assert.Equal(sale.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), expiredBody.GetProperty("saleId").GetString());
    }

    /// <summary>A webhook that fails, is too slow or is not there: three attempts, then the failed list; buyers are served all along.</summary>
    [Theory]
    [InlineData(Receiver.Failing)]
    [InlineData(Receiver.Slow)]
    [InlineData(Receiver.Down)]
    public async Task AWebhookThatDoesNotTakeThemEndsInTheFailedListAfterThreeAttempts(Receiver behaviour)
    {
        await using var receiver = await WebhookReceiver.StartAsync(behaviour);
        using var factory = FactoryFor(receiver);
        var sale = await factory.CreateSaleAsync(stock: 100);
        const int Buyers = 5;
        var answers = await Task.WhenAll(Enumerable.Range(1, Buyers).Select(async user =>
        {
            using var buyer = factory.ClientFor(user);
            return (await buyer.PurchaseAsync(sale.Id)).StatusCode;
        }));
        Assert.All(answers, status => Assert.Equal(HttpStatusCode.Created, status));

        // Notifications waiting at once go in one job: count them through the failed jobs' batches.
        var monitoring = factory.Get<JobStorage>().GetMonitoringApi();
        List<KeyValuePair<string, Hangfire.Storage.Monitoring.FailedJobDto>> Failed() =>
            monitoring.FailedJobs(0, 100).Where(job => job.Value.Job?.Type == typeof(NotifyJob)).ToList();
        int InFailed() => Failed().Sum(job => ((Notification[])job.Value.Job.Args[0]).Length);
        await Eventually.TrueAsync(() => Task.FromResult(InFailed() >= Buyers), "every notification in the failed list", TimeSpan.FromMinutes(2));
        Assert.Equal(Buyers, InFailed());
        var failed = Failed();
        foreach (var (id, _) in failed)
        {
            Assert.Equal(3, monitoring.JobDetails(id).History.Count(state => state.StateName == "Processing"));
        }
        if (behaviour != Receiver.Down)
        {
            // Each attempt stops at the first notification the webhook does not take.
            Assert.Equal(3 * failed.Count, receiver.Attempts);
        }
        Assert.Empty(receiver.Received);
    }

    /// <summary>A batch interrupted by one refusal resumes where it stopped: nothing is sent twice, nothing is lost.</summary>
    [Fact]
    public async Task ARetriedBatchResumesWhereItStopped()
    {
        await using var receiver = await WebhookReceiver.StartAsync(Receiver.FailsFifthOnce);
        using var factory = FactoryFor(receiver);
        var sale = await factory.CreateSaleAsync(stock: 100);
        // Bought at once: the writer commits them together and their notifications wait together.
        var orders = await Task.WhenAll(Enumerable.Range(1, 20).Select(async user =>
        {
            using var buyer = factory.ClientFor(user);
            return (await (await buyer.PurchaseAsync(sale.Id)).ReadPurchaseAsync()).OrderId;
        }));

        string[] Got() => receiver.Received.Select(body => body.GetProperty("orderId").GetString()!).ToArray();
        await Eventually.TrueAsync(() => Task.FromResult(Got().Distinct().Count() == orders.Length), "every order's notification");
        Assert.Equal(orders.Select(id => id.ToString(System.Globalization.CultureInfo.InvariantCulture)).Order(), Got().Order());
        Assert.Equal(orders.Length + 1, receiver.Attempts);
    }

    [Fact]
    public async Task PastTheBacklogNotificationsAreShedAndCountedWhileEveryPurchaseIsServed()
    {
        await using var receiver = await WebhookReceiver.StartAsync(Receiver.Slow);
        using var factory = FactoryFor(receiver, new() { ["Notifications:MaxBacklog"] = "3", ["Notifications:Timeout"] = "00:00:10" });
        var sale = await factory.CreateSaleAsync(stock: 1000);
        var answers = await Task.WhenAll(Enumerable.Range(1, 200).Select(async user =>
        {
            using var buyer = factory.ClientFor(user);
            return (await buyer.PurchaseAsync(sale.Id)).StatusCode;
        }));
        Assert.All(answers, status => Assert.Equal(HttpStatusCode.Created, status));
        await Eventually.TrueAsync(() => Task.FromResult(factory.Get<Notifier>().Shed > 0), "notifications to be shed");
    }
}
