using System.ComponentModel.DataAnnotations;

namespace Seckill.Web.Gate;

/// <summary>Section <c>Gate</c>: the in-process checks that refuse junk before it reaches stock.</summary>
public sealed class GateOptions : IValidatableObject
{
    public const string Section = "Gate";

    public BotRuleOptions Bots { get; set; } = new();

    /// <summary>How long a purchase token from <c>GET /api/sales/{id}/token</c> stays valid.</summary>
    public TimeSpan PurchaseTokenLifetime { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Share of absent sale ids the Bloom filter lets through to the caches (and, once a minute, to storage).</summary>
    public double BloomFalsePositiveRate { get; set; } = 0.001;

    /// <summary>Sale ids the Bloom filter is sized for; it is rebuilt larger at startup if the store holds more.</summary>
    public int BloomCapacity { get; set; } = 1_000_000;

    /// <summary>How long "no such sale" is remembered for an id that passed the Bloom filter.</summary>
    public TimeSpan NegativeCacheTtl { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long an ended sale's metadata stays cached after it was read from storage (±10%).</summary>
    public TimeSpan EndedSaleTtl { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often the metadata of running sales is re-read from storage.</summary>
    public TimeSpan SaleRefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (PurchaseTokenLifetime < TimeSpan.FromSeconds(1) || PurchaseTokenLifetime > TimeSpan.FromHours(1))
        {
            yield return new("Gate:PurchaseTokenLifetime must be between 1 second and 1 hour.");
        }
        if (BloomFalsePositiveRate is not (> 0 and < 1))
        {
            yield return new("Gate:BloomFalsePositiveRate must be above 0 and below 1.");
        }
        if (BloomCapacity is < 1 or > 100_000_000)
        {
            yield return new("Gate:BloomCapacity must be between 1 and 100000000.");
        }
        if (NegativeCacheTtl < TimeSpan.FromSeconds(1) || NegativeCacheTtl > TimeSpan.FromHours(1))
        {
            yield return new("Gate:NegativeCacheTtl must be between 1 second and 1 hour.");
        }
        if (EndedSaleTtl < TimeSpan.FromSeconds(1) || EndedSaleTtl > TimeSpan.FromDays(1))
        {
            yield return new("Gate:EndedSaleTtl must be between 1 second and 1 day.");
        }
        if (SaleRefreshInterval < TimeSpan.FromMilliseconds(10) || SaleRefreshInterval > TimeSpan.FromHours(1))
        {
            yield return new("Gate:SaleRefreshInterval must be between 10 ms and 1 hour.");
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
