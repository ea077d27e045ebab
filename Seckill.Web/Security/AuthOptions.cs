using System.ComponentModel.DataAnnotations;

namespace Seckill.Web.Security;

/// <summary>Section <c>Auth</c>: how bearer tokens are signed and checked (HS256).</summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    /// <summary>HS256 needs a key of at least 256 bits; shorter keys are refused at startup.</summary>
    [Required(ErrorMessage = "Auth:SigningKey is required.")]
    [MinLength(32, ErrorMessage = "Auth:SigningKey must be at least 32 characters (HS256 needs a 256-bit key).")]
    public string SigningKey { get; set; } = "";

    [Required(ErrorMessage = "Auth:Issuer is required.")]
    public string Issuer { get; set; } = "seckill";

    [Required(ErrorMessage = "Auth:Audience is required.")]
    public string Audience { get; set; } = "seckill";

    /// <summary>How many validated tokens to remember, each until it expires or is among the
    /// oldest remembered (0: validate every request); see <see cref="ValidatedTokens"/>.</summary>
    [Range(0, 10_000_000, ErrorMessage = "Auth:ValidatedTokenCache must be between 0 and 10000000.")]
    public int ValidatedTokenCache { get; set; } = 100_000;
}
