using System.ComponentModel.DataAnnotations;

namespace Seckill.Web.Jobs.Notifications;

/// <summary>Section <c>Notifications</c>: buyers' notifications, posted to a webhook.</summary>
public sealed class NotificationOptions : IValidatableObject
{
    public const string Section = "Notifications";

    /// <summary>Where each notification is POSTed (JSON); unset, notifications are off.</summary>
    public string? WebhookUrl { get; set; }

    /// <summary>
    /// Notifications waiting to be sent, at most; past it new ones are shed (counted, never
    /// waited for): a flash sale's burst of orders must not queue behind a slow receiver.
    /// </summary>
    [Range(1, 10_000_000, ErrorMessage = "Notifications:MaxBacklog must be between 1 and 10000000.")]
    public int MaxBacklog { get; set; } = 10_000;

    /// <summary>How long one delivery attempt may take.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00", ErrorMessage = "Notifications:Timeout must be between 100 ms and 1 minute.")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    public Uri? Webhook => string.IsNullOrWhiteSpace(WebhookUrl) ? null : new Uri(WebhookUrl);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrWhiteSpace(WebhookUrl) &&
            (!Uri.TryCreate(WebhookUrl, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)))
        {
            yield return new("Notifications:WebhookUrl must be an absolute http or https URL.");
        }
    }
}
