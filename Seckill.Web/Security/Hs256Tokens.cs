using System.Buffers;
using System.Buffers.Text;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Seckill.Web.Security;

/// <summary>
/// Validates the common case of a bearer token — HS256 over a plain header, signed with our key,
/// our issuer and audience, within its lifetime — on the stack: no token object, no JSON
/// document, no handler or ticket. In a flash sale nearly every buyer arrives once with a token
/// never seen before; through the JWT handler that cost about 10 KB of garbage per request, and
/// the collections it caused were the service's worst pauses at the start of a sale
/// (BENCHMARKS.md section 10).
/// </summary>
/// <remarks>
/// It only ever says "valid" or "ask the JWT handler". It accepts a token only when the handler,
/// configured as in <see cref="SecuritySetup"/>, would accept it too, and is stricter wherever
/// that is simpler: a header with anything but <c>alg</c> and <c>typ</c>, a registered claim of an
/// unexpected type, a duplicated claim, an audience that only matches loosely, or a lifetime that
/// holds only within the clock skew all go to the handler, which then decides and explains its
/// refusal (the 401's code). Every refusal goes to the handler, so refusals are answered exactly
/// as before. The principal carries <c>sub</c>, <c>role</c> and <c>exp</c>: the claims Seckill
/// reads (<see cref="SeckillClaims"/>, <see cref="ValidatedTokens"/>); other claims are checked
/// for well-formed JSON and skipped. The bearer events other than the challenge and the refusal
/// do not run for a token accepted here (Seckill sets none).
/// </remarks>
public sealed class Hs256Tokens(IOptions<AuthOptions> options, TimeProvider time)
{
    /// <summary>What ASP.NET's bearer handler names its identities' authentication type.</summary>
    private const string AuthenticationType = "AuthenticationTypes.Federation";
    // Longer tokens are not ours: leave them to the handler rather than use a large stack buffer.
    private const int MaxTokenLength = 2048;
    private const int SignatureLength = 32;
    // Base64url without padding, and the dots: padding and whitespace, which the decoder would
    // skip, go to the handler.
    private static readonly SearchValues<char> TokenChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.");

    // One keyed HMAC per thread, reset after each use. The one-shot HMACSHA256.HashData sets a
    // new HMAC up in OpenSSL for every token, and under a flash sale's concurrency that cost ten
    // times what it does alone (BENCHMARKS.md section 11).
    private readonly ThreadLocal<IncrementalHash> _hmac = new(() =>
        IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(options.Value.SigningKey)));
    private readonly byte[] _issuer = Encoding.UTF8.GetBytes(options.Value.Issuer);
    private readonly byte[] _audience = Encoding.UTF8.GetBytes(options.Value.Audience);

    /// <summary>A token's payload, as far as the decision needs it.</summary>
    private struct Payload
    {
        public bool Issuer, Audience;
        public long? Expires, NotBefore;
        public string? Subject;
        public List<string>? Roles;
    }

    /// <summary>
    /// True when <paramref name="authorization"/> (the whole header) holds a token the JWT handler
    /// would accept; false when the handler must decide.
    /// </summary>
    public bool TryValidate(string authorization, out BuyerPrincipal principal, out long expires)
    {
        principal = null!;
        expires = 0;
        if (!authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        var token = authorization.AsSpan(7).Trim();
        if (token.Length is 0 or > MaxTokenLength || token.ContainsAnyExcept(TokenChars))
        {
            return false;
        }
        var firstDot = token.IndexOf('.');
        var lastDot = token.LastIndexOf('.');
        if (firstDot <= 0 || lastDot == firstDot || token[(firstDot + 1)..lastDot].Contains('.'))
        {
            return false;
        }
        if (!SignatureMatches(token[..lastDot], token[(lastDot + 1)..]))
        {
            return false;
        }

        Span<byte> json = stackalloc byte[Base64Url.GetMaxDecodedLength(MaxTokenLength)];
        if (!Decode(token[..firstDot], json, out var headerLength) || !HeaderIsPlainHs256(json[..headerLength]))
        {
            return false;
        }
        var payload = new Payload();
        if (!Decode(token[(firstDot + 1)..lastDot], json, out var payloadLength) || !TryRead(json[..payloadLength], ref payload))
        {
            return false;
        }
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        if (!payload.Issuer || !payload.Audience || payload.Expires is not { } exp || now >= exp || payload.NotBefore > now)
        {
            return false;
        }
        principal = Principal(payload, exp);
        expires = exp;
        return true;
    }

    private bool SignatureMatches(ReadOnlySpan<char> signed, ReadOnlySpan<char> signature)
    {
        Span<byte> given = stackalloc byte[SignatureLength + 3];
        if (!Decode(signature, given, out var length) || length != SignatureLength)
        {
            return false;
        }
        // The signing input is the token's text, which a decodable token keeps within ASCII.
        Span<byte> input = stackalloc byte[signed.Length];
        if (Ascii.FromUtf16(signed, input, out _) != OperationStatus.Done)
        {
            return false;
        }
        Span<byte> expected = stackalloc byte[SignatureLength];
        var hmac = _hmac.Value!;
        hmac.AppendData(input);
        hmac.GetHashAndReset(expected);
        return CryptographicOperations.FixedTimeEquals(expected, given[..SignatureLength]);
    }

    private static bool Decode(ReadOnlySpan<char> part, Span<byte> into, out int length)
    {
        // The OperationStatus form: the Try form throws on a malformed length.
        length = 0;
        return part.Length > 0 && Base64Url.DecodeFromChars(part, into, out _, out length) == OperationStatus.Done;
    }

    /// <summary><c>{"alg":"HS256"}</c>, with <c>"typ":"JWT"</c> or not, and nothing else.</summary>
    private static bool HeaderIsPlainHs256(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        bool alg = false, typ = false;
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("alg"u8) && !alg)
            {
                alg = reader.Read() && reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("HS256"u8);
                if (!alg)
                {
                    return false;
                }
            }
            else if (reader.ValueTextEquals("typ"u8) && !typ)
            {
                typ = reader.Read() && reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("JWT"u8);
                if (!typ)
                {
                    return false;
                }
            }
            else
            {
                return false;
            }
        }
        return alg && reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == 0 && !reader.Read();
    }

    /// <summary>Reads the claims the decision needs; false on anything unexpected.</summary>
    private bool TryRead(ReadOnlySpan<byte> json, ref Payload payload)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }
            bool seenIss = false, seenAud = false, seenSub = false, seenRole = false, seenIat = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool ok;
                if (reader.ValueTextEquals("iss"u8))
                {
                    ok = Once(ref seenIss) && reader.Read() && reader.TokenType == JsonTokenType.String;
                    payload.Issuer = ok && reader.ValueTextEquals(_issuer);
                }
                else if (reader.ValueTextEquals("aud"u8))
                {
                    ok = Once(ref seenAud) && ReadAudience(ref reader, out payload.Audience);
                }
                else if (reader.ValueTextEquals("exp"u8))
                {
                    ok = payload.Expires is null && ReadSeconds(ref reader, out var exp) && (payload.Expires = exp) > 0;
                }
                else if (reader.ValueTextEquals("nbf"u8))
                {
                    ok = payload.NotBefore is null && ReadSeconds(ref reader, out var nbf) && (payload.NotBefore = nbf) >= 0;
                }
                else if (reader.ValueTextEquals("iat"u8))
                {
                    ok = Once(ref seenIat) && ReadSeconds(ref reader, out _);
                }
                else if (reader.ValueTextEquals("sub"u8))
                {
                    ok = Once(ref seenSub) && reader.Read() && reader.TokenType == JsonTokenType.String;
                    payload.Subject = ok ? reader.GetString() : null;
                }
                else if (reader.ValueTextEquals("role"u8))
                {
                    ok = Once(ref seenRole) && ReadRoles(ref reader, ref payload);
                }
                else
                {
                    // A claim Seckill does not read: well-formed JSON is all the handler asks of it.
                    ok = reader.Read() && reader.TrySkip();
                }
                if (!ok)
                {
                    return false;
                }
            }
            return reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == 0 && !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>A time in whole seconds since 1970 (a fraction goes to the handler).</summary>
    private static bool ReadSeconds(ref Utf8JsonReader reader, out long seconds)
    {
        seconds = 0;
        return reader.Read() && reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out seconds);
    }

    private static bool Once(ref bool seen) => !seen && (seen = true);

    /// <summary><c>aud</c> is a string or an array of strings; it matches when one equals ours exactly.</summary>
    private bool ReadAudience(ref Utf8JsonReader reader, out bool matches)
    {
        matches = false;
        if (!reader.Read())
        {
            return false;
        }
        if (reader.TokenType == JsonTokenType.String)
        {
            matches = reader.ValueTextEquals(_audience);
            return true;
        }
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return false;
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.String)
        {
            matches |= reader.ValueTextEquals(_audience);
        }
        return reader.TokenType == JsonTokenType.EndArray;
    }

    /// <summary><c>role</c> is a string or an array of strings (the admin role is the one that matters).</summary>
    private static bool ReadRoles(ref Utf8JsonReader reader, ref Payload payload)
    {
        if (!reader.Read())
        {
            return false;
        }
        if (reader.TokenType == JsonTokenType.String)
        {
            AddRole(ref payload, reader.GetString()!);
            return true;
        }
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return false;
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.String)
        {
            AddRole(ref payload, reader.GetString()!);
        }
        return reader.TokenType == JsonTokenType.EndArray;
    }

    private static void AddRole(ref Payload payload, string role)
    {
        (payload.Roles ??= []).Add(role);
    }

    /// <remarks>
    /// Each claim is made with the identity as its subject: a claim made without one is copied
    /// when it is added to an identity. The user id and the admin role come from the payload, not
    /// from a walk of the claims. A new buyer's token is validated once, at their first request, and
    /// in a flash sale that is nearly every request (BENCHMARKS.md section 24).
    /// </remarks>
    private static BuyerPrincipal Principal(in Payload payload, long exp)
    {
        var identity = new ClaimsIdentity(AuthenticationType, SeckillClaims.Subject, SeckillClaims.Role);
        if (payload.Subject is { } subject)
        {
            identity.AddClaim(Claim(identity, SeckillClaims.Subject, subject));
        }
        var admin = false;
        foreach (var role in payload.Roles ?? [])
        {
            identity.AddClaim(Claim(identity, SeckillClaims.Role, role));
            admin |= role == SeckillClaims.AdminRole;
        }
        identity.AddClaim(Claim(identity, "exp", exp.ToString(System.Globalization.CultureInfo.InvariantCulture), ClaimValueTypes.Integer64));
        return new BuyerPrincipal(identity, SeckillClaims.ParseUserId(payload.Subject), admin);
    }

    private static Claim Claim(ClaimsIdentity identity, string type, string value, string valueType = ClaimValueTypes.String) =>
        new(type, value, valueType, ClaimsIdentity.DefaultIssuer, ClaimsIdentity.DefaultIssuer, identity);
}
