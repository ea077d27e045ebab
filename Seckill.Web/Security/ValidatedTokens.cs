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
/// A token is remembered the second time it is validated. Most buyers of a flash sale send one
/// request; remembering their tokens filled every young generation of the heap with identities
/// that survived it, and the collections copying them paused the service for 70–90 ms every
/// two seconds (BENCHMARKS.md). Which tokens were seen once is a table of their hash codes,
/// overwritten as it goes, with no references for the collector to follow.
///
/// Bounded by <c>Auth:ValidatedTokenCache</c> without an eviction policy on the hot path: tokens
/// go into the current generation, and when it holds half the bound it becomes the previous one
/// and the one before is dropped whole. A token is looked up in both, so what is forgotten is what
/// was remembered longest ago. Refusals are never remembered. The principal is shared by the
/// requests that carry the same token (its user id read once, see <see cref="BuyerPrincipal"/>);
/// nothing in the service changes a principal after authentication.
/// </remarks>
public sealed class ValidatedTokens(IOptions<AuthOptions> options, TimeProvider time)
{
    private const int SeenOnceSlots = 1 << 16;

    private readonly int _generationSize = (options.Value.ValidatedTokenCache + 1) / 2;
    private readonly int[] _seenOnce = new int[SeenOnceSlots];
    private readonly Lock _turning = new();
    private volatile Generations _generations = new(new Generation(), new Generation());

    private sealed record Entry(BuyerPrincipal Principal, DateTimeOffset Expires);

    private sealed class Generation
    {
        public readonly ConcurrentDictionary<string, Entry> Tokens = new(StringComparer.Ordinal);
        // Counted here rather than read from Tokens.Count, which takes every lock of the dictionary.
        public int Added;
    }

    private sealed record Generations(Generation Current, Generation Previous);

    /// <summary>How many tokens are held (walks the dictionaries' locks: for tests, not for requests).</summary>
    public int Count => _generations.Current.Tokens.Count + _generations.Previous.Tokens.Count;

    public bool TryGet(string authorization, out BuyerPrincipal principal)
    {
        var generations = _generations;
        if (TryGet(generations.Current, authorization, out principal) || TryGet(generations.Previous, authorization, out principal))
        {
            return true;
        }
        principal = null!;
        return false;
    }

    private bool TryGet(Generation generation, string authorization, out BuyerPrincipal principal)
    {
        if (generation.Tokens.TryGetValue(authorization, out var entry))
        {
            if (time.GetUtcNow() < entry.Expires)
            {
                principal = entry.Principal;
                return true;
            }
            generation.Tokens.TryRemove(authorization, out _);
        }
        principal = null!;
        return false;
    }

    /// <summary>Called for every token the JWT handler accepted; remembers it from the second time.</summary>
    public void Remember(string authorization, ClaimsPrincipal principal)
    {
        if (principal.Identity is ClaimsIdentity identity && principal.Identities.Count() == 1
            && long.TryParse(principal.FindFirst("exp")?.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var exp)
            && SeenBefore(authorization))
        {
            Add(authorization, principal as BuyerPrincipal ?? new BuyerPrincipal(identity), exp);
        }
    }

    /// <summary>Called for every token <see cref="Hs256Tokens"/> accepted; remembers it from the second time.</summary>
    public void Remember(string authorization, BuyerPrincipal principal, long exp)
    {
        if (SeenBefore(authorization))
        {
            Add(authorization, principal, exp);
        }
    }

    /// <summary>Whether the token was seen before; if not, it is noted as seen (nothing is remembered when the cache is off).</summary>
    private bool SeenBefore(string authorization)
    {
        if (_generationSize == 0)
        {
            return false;
        }
        // A collision only remembers a token sooner; lookups still compare the whole text.
        var hash = authorization.GetHashCode();
        ref var seen = ref _seenOnce[(uint)hash % SeenOnceSlots];
        if (Volatile.Read(ref seen) == hash)
        {
            return true;
        }
        Volatile.Write(ref seen, hash);
        return false;
    }

    private void Add(string authorization, BuyerPrincipal principal, long exp)
    {
        var generations = _generations;
        var current = generations.Current;
        if (current.Tokens.TryAdd(authorization, new Entry(principal, DateTimeOffset.FromUnixTimeSeconds(exp)))
            && Interlocked.Increment(ref current.Added) >= _generationSize)
        {
            lock (_turning)
            {
                if (_generations == generations)
                {
                    _generations = new Generations(new Generation(), current);
                }
            }
        }
    }
}
