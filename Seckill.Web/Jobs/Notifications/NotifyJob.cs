using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Hangfire;
using Hangfire.Server;
using Microsoft.Extensions.Options;
using Seckill.Web.Orders;

namespace Seckill.Web.Jobs.Notifications;

/// <summary>One notification: what happened to which order.</summary>
/// <param name="Event"><c>order_confirmed</c>, <c>order_paid</c> or <c>order_expired</c>.</param>
public sealed record Notification(string Event, long OrderId, DateTimeOffset At);

/// <summary>What the webhook receives (ids as strings, like every id the API gives out).</summary>
public sealed record WebhookBody(
    string Event,
    [property: JsonNumberHandling(JsonNumberHandling.WriteAsString)] long OrderId,
    [property: JsonNumberHandling(JsonNumberHandling.WriteAsString)] long SaleId,
    [property: JsonNumberHandling(JsonNumberHandling.WriteAsString)] long UserId,
    int Quantity, string Status, DateTimeOffset At);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(WebhookBody))]
public sealed partial class NotificationJson : JsonSerializerContext;

/// <summary>What one delivery did (the job's result in the dashboard).</summary>
public sealed record NotifyResult(int Delivered);

/// <summary>
/// Delivers a batch of notifications to the webhook, one POST each, in order: three attempts
/// (a second and two seconds apart), then the job fails and stays in the dashboard's failed list
/// (the dead letters), from where it can be retried. An attempt stops at the first notification
/// the webhook does not take, and the next attempt resumes there (the job remembers how many it
/// delivered). A batch is what the notifier had waiting at once: during a sale's burst, a job for
/// many orders instead of one each, so the job engine's own work stays small next to the sale's.
/// The order is read when sending, so the receiver gets its state of the moment.
/// </summary>
public sealed class NotifyJob(IOrderStore orders, IHttpClientFactory clients, IOptions<NotificationOptions> options)
{
    public const string Queue = "notify";
    public const string HttpClientName = "notifications";

    public const int BatchSize = 100;
    private const string DeliveredParameter = "Delivered";

    /// <param name="context">Given by Hangfire when the job runs (enqueued as null).</param>
    [AutomaticRetry(Attempts = 2, DelaysInSeconds = [1, 2], OnAttemptsExceeded = AttemptsExceededAction.Fail)]
    public async Task<NotifyResult> SendAsync(Notification[] batch, PerformContext? context, CancellationToken cancellationToken)
    {
        var webhook = options.Value.Webhook ?? throw new InvalidOperationException("Notifications:WebhookUrl was unset since these notifications were queued.");
        var client = clients.CreateClient(HttpClientName);
        var delivered = context?.GetJobParameter<int>(DeliveredParameter) ?? 0;
        for (; delivered < batch.Length; delivered++)
        {
            var notification = batch[delivered];
            var order = await orders.FindAsync(notification.OrderId, cancellationToken)
                ?? throw new InvalidOperationException($"Order {notification.OrderId} is not in the database.");
            var body = new WebhookBody(notification.Event, order.Id, order.SaleId, order.UserId, order.Quantity, order.Status, notification.At);
            using var response = await client.PostAsJsonAsync(webhook, body, NotificationJson.Default.WebhookBody, cancellationToken);
            // A refusal is a failed attempt: Hangfire tries again from here, then lists the job as failed.
            response.EnsureSuccessStatusCode();
            context?.SetJobParameter(DeliveredParameter, delivered + 1);
        }
        return new NotifyResult(delivered);
    }
}
