using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Hangfire;
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
public sealed record NotifyResult(int Status);

/// <summary>
/// Delivers one notification to the webhook: three attempts (a second and two seconds apart),
/// then the job fails and stays in the dashboard's failed list (the dead letters), from where it
/// can be retried. The order is read when sending, so the receiver gets its state of the moment.
/// </summary>
public sealed class NotifyJob(IOrderStore orders, IHttpClientFactory clients, IOptions<NotificationOptions> options)
{
    public const string Queue = "notify";
    public const string HttpClientName = "notifications";

    [AutomaticRetry(Attempts = 2, DelaysInSeconds = [1, 2], OnAttemptsExceeded = AttemptsExceededAction.Fail)]
    public async Task<NotifyResult> SendAsync(Notification notification, CancellationToken cancellationToken)
    {
        var webhook = options.Value.Webhook ?? throw new InvalidOperationException("Notifications:WebhookUrl was unset since this notification was queued.");
        var order = await orders.FindAsync(notification.OrderId, cancellationToken)
            ?? throw new InvalidOperationException($"Order {notification.OrderId} is not in the database.");
        var body = new WebhookBody(notification.Event, order.Id, order.SaleId, order.UserId, order.Quantity, order.Status, notification.At);
        using var response = await clients.CreateClient(HttpClientName)
            .PostAsJsonAsync(webhook, body, NotificationJson.Default.WebhookBody, cancellationToken);
        // A refusal is a failed attempt: Hangfire tries again, then lists it as failed.
        response.EnsureSuccessStatusCode();
        return new NotifyResult((int)response.StatusCode);
    }
}
