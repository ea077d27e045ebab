using System.ComponentModel.DataAnnotations;

namespace Seckill.Web.Gate;

/// <summary>
/// Section <c>Gate</c>: the in-process checks that refuse junk before it reaches stock. (How a
/// sale is looked up, also under <c>Gate</c>, is <see cref="Sales.SaleLookupOptions"/>.)
/// </summary>
public sealed class GateOptions : IValidatableObject
{
    public const string Section = "Gate";

    public BotRuleOptions Bots { get; set; } = new();

    /// <summary>How long a purchase token from <c>GET /api/sales/{id}/token</c> stays valid.</summary>
    public TimeSpan PurchaseTokenLifetime { get; set; } = TimeSpan.FromSeconds(60);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (PurchaseTokenLifetime < TimeSpan.FromSeconds(1) || PurchaseTokenLifetime > TimeSpan.FromHours(1))
        {
            yield return new("Gate:PurchaseTokenLifetime must be between 1 second and 1 hour.");
        }
    }

    public sealed class BotRuleOptions
    {
        /// <summary>Off switch for the User-Agent rules (rate limits still apply).</summary>
        public bool Enabled { get; set; } = true;

        /// <summary>Browsers always send a User-Agent; a request without one is a script.</summary>
        public bool BlockEmptyUserAgent { get; set; } = true;

        /// <summary>
        /// Case-insensitive fragments of User-Agent strings refused on the buying routes; when set,
        /// the list replaces <see cref="DefaultBlockedAgents"/> (null means the defaults).
        /// </summary>
        /// <remarks>
        /// Null rather than the defaults themselves: the configuration binder appends to an array
        /// that already has items, so a configured list could never drop a default.
        /// </remarks>
        public string[]? BlockedAgents { get; set; }

        public string[] EffectiveBlockedAgents => BlockedAgents ?? DefaultBlockedAgents;

        /// <summary>What HTTP libraries and command-line tools send unless told otherwise.</summary>
        public static readonly string[] DefaultBlockedAgents =
        [
            "curl/", "Wget/", "python-requests", "python-urllib", "python-httpx", "aiohttp", "Scrapy",
            "Go-http-client", "okhttp", "Apache-HttpClient", "Java/", "libwww-perl", "node-fetch", "axios/",
            "undici", "PostmanRuntime", "HeadlessChrome", "PhantomJS",
        ];
    }
}
