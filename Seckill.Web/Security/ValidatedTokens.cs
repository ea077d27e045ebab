using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;

namespace Seckill.Web.Security;

/// <summary>
/// Bearer tokens that passed validation, remembered until they expire. In a flash sale the same
/// buyers send the same token again and again within seconds (retries on sold_out, polling
/// their order), and validating it again each time — signature, JSON, claims — is most of what
/// a refusal costs. A token is recognised only by the exact text of its Authorization header,
/// so nothing is accepted that the JWT handler did not accept, and never past its <c>exp</c>.
/// </summary>
/// <remarks>
/// Bounded: when <c>Auth:ValidatedTokenCache</c> tokens are held the cache starts over empty —
/// a rare, cheap reset instead of an eviction policy on the hot path. Refusals are never
/// remembered. The identity is shared by the requests that carry the same token; nothing in
/// the service changes an identity after authentication.
/// </remarks>
public sealed class ValidatedTokens(IOptions<AuthOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Entry> _valid = new(StringComparer.Ordinal);
    private readonly int _capacity = options.Value.ValidatedTokenCache;

    private sealed record Entry(ClaimsIdentity Identity, DateTimeOffset Expires);

    public int Count => _valid.Count;

    public bool TryGet(string authorization, out ClaimsIdentity identity)
    {
        if (_valid.TryGetValue(authorization, out var entry))
        {
            if (time.GetUtcNow() < entry.Expires)
            {
                identity = entry.Identity;
                return true;
            }
            _valid.TryRemove(authorization, out _);
        }
        identity = null!;
        return false;
    }

    public void Remember(string authorization, ClaimsPrincipal principal)
    {
        if (_capacity == 0 || principal.Identity is not ClaimsIdentity identity || principal.Identities.Count() != 1
            || !long.TryParse(principal.FindFirst("exp")?.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var exp))
        {
            return;
        }
        if (_valid.Count >= _capacity)
        {
            _valid.Clear();
        }
        _valid[authorization] = new Entry(identity, DateTimeOffset.FromUnixTimeSeconds(exp));
    }
}

/// <summary>The JWT bearer handler, answering from <see cref="ValidatedTokens"/> for a token it has accepted before.</summary>
public sealed class CachingJwtBearerHandler(IOptionsMonitor<JwtBearerOptions> options, ILoggerFactory logger, UrlEncoder encoder, ValidatedTokens tokens)
    : JwtBearerHandler(options, logger, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var authorization = Request.Headers.Authorization;
        var header = authorization.Count == 1 ? authorization[0] : null;
        if (header is not null && tokens.TryGet(header, out var identity))
        {
            return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name));
        }
        var result = await base.HandleAuthenticateAsync();
        if (result.Succeeded && header is not null)
        {
            tokens.Remember(header, result.Principal);
        }
        return result;
    }
}
