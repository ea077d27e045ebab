using System.ComponentModel.DataAnnotations;
using System.Net;

namespace Seckill.Web.Gate;

/// <summary>Section <c>RateLimits</c>: how often one address and one buyer may knock.</summary>
public sealed class RateLimitOptions : IValidatableObject
{
    public const string Section = "RateLimits";

    public AddressLimit PerIp { get; set; } = new();

    public BuyerLimit PerUser { get; set; } = new();

    /// <summary>
    /// Addresses (<c>10.0.0.5</c>) or networks (<c>10.0.0.0/8</c>) of the proxies in front of us
    /// (Nginx). Only a request whose peer is one of these has its <c>X-Forwarded-For</c> believed;
    /// from anyone else the header is ignored, so nobody dodges a limit by inventing addresses.
    /// Empty by default: nothing is trusted until configured.
    /// </summary>
    public string[] TrustedProxies { get; set; } = [];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (PerIp.PermitsPerSecond is < 1 or > 10_000_000)
        {
            yield return new("RateLimits:PerIp:PermitsPerSecond must be between 1 and 10000000.");
        }
        if (PerIp.Burst < 1 || PerIp.Burst > 10_000_000)
        {
            yield return new("RateLimits:PerIp:Burst must be between 1 and 10000000.");
        }
        if (PerUser.PermitsPerMinute is < 1 or > 10_000_000)
        {
            yield return new("RateLimits:PerUser:PermitsPerMinute must be between 1 and 10000000.");
        }
        for (var i = 0; i < TrustedProxies.Length; i++)
        {
            if (!IPAddress.TryParse(TrustedProxies[i], out _) && !System.Net.IPNetwork.TryParse(TrustedProxies[i], out _))
            {
                yield return new($"RateLimits:TrustedProxies:{i}: '{TrustedProxies[i]}' is neither an IP address nor a network like 10.0.0.0/8.");
            }
        }
    }

    public sealed class AddressLimit
    {
        /// <summary>Tokens added to each address's bucket every second.</summary>
        public int PermitsPerSecond { get; set; } = 5;

        /// <summary>Size of the bucket: how many requests an address may send at once after a pause.</summary>
        public int Burst { get; set; } = 10;
    }

    public sealed class BuyerLimit
    {
        /// <summary>Purchase attempts one buyer may make in any minute.</summary>
        public int PermitsPerMinute { get; set; } = 10;
    }
}
