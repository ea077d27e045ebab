using System.Buffers;
using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Seckill.Web.Security;

namespace Seckill.Web.Gate;

/// <summary>
/// The "hidden seckill URL": a short-lived token a buyer must fetch once the sale is active and
/// present with the purchase of a <c>requireToken</c> sale, so a script cannot fire purchases
/// prepared before the start. Stateless: the token is its expiry plus an HMAC over
/// (sale, user, expiry), so any instance sharing the signing key checks it without storage.
/// </summary>
/// <remarks>
/// Token = base64url(expiry as 8 bytes big-endian ‖ HMAC-SHA256). The HMAC key is derived from
/// <c>Auth:SigningKey</c> with a fixed label, so a purchase token is never a valid JWT signature
/// and no second secret needs distributing. Thread-safe; checking allocates nothing.
/// </remarks>
public sealed class PurchaseTokens(IOptions<AuthOptions> auth, IOptions<GateOptions> gate, TimeProvider time)
{
    private const int MacBytes = 32;
    private const int TokenBytes = sizeof(long) + MacBytes;
    private static readonly int TokenChars = Base64Url.GetEncodedLength(TokenBytes);

    private readonly byte[] _key = HMACSHA256.HashData(Encoding.UTF8.GetBytes(auth.Value.SigningKey), "seckill/purchase-token/v1"u8);
    private readonly TimeSpan _lifetime = gate.Value.PurchaseTokenLifetime;

    public (string Token, DateTimeOffset ExpiresAt) Issue(long saleId, long userId)
    {
        // Whole seconds, rounded up, so a token never lives shorter than the configured lifetime.
        var expires = DateTimeOffset.FromUnixTimeSeconds((time.GetUtcNow() + _lifetime).ToUnixTimeSeconds() + 1);
        Span<byte> token = stackalloc byte[TokenBytes];
        BinaryPrimitives.WriteInt64BigEndian(token, expires.ToUnixTimeSeconds());
        Sign(saleId, userId, expires.ToUnixTimeSeconds(), token[sizeof(long)..]);
        return (Base64Url.EncodeToString(token), expires);
    }

    /// <summary>True when <paramref name="token"/> was issued by us for this sale and user and has not expired.</summary>
    public bool IsValid(ReadOnlySpan<char> token, long saleId, long userId)
    {
        if (token.Length != TokenChars)
        {
            return false;
        }
        Span<byte> presented = stackalloc byte[TokenBytes];
        if (Base64Url.DecodeFromChars(token, presented, out _, out var written) != OperationStatus.Done || written != TokenBytes)
        {
            return false;
        }
        // Only the canonical spelling: the last character has spare bits a decoder ignores.
        Span<char> canonical = stackalloc char[TokenChars];
        if (!Base64Url.TryEncodeToChars(presented, canonical, out _) || !canonical.SequenceEqual(token))
        {
            return false;
        }
        var expires = BinaryPrimitives.ReadInt64BigEndian(presented);
        if (expires <= time.GetUtcNow().ToUnixTimeSeconds())
        {
            return false;
        }
        Span<byte> expected = stackalloc byte[MacBytes];
        Sign(saleId, userId, expires, expected);
        return CryptographicOperations.FixedTimeEquals(expected, presented[sizeof(long)..]);
    }

    private void Sign(long saleId, long userId, long expires, Span<byte> mac)
    {
        Span<byte> message = stackalloc byte[3 * sizeof(long)];
        BinaryPrimitives.WriteInt64BigEndian(message, saleId);
        BinaryPrimitives.WriteInt64BigEndian(message[8..], userId);
        BinaryPrimitives.WriteInt64BigEndian(message[16..], expires);
        HMACSHA256.HashData(_key, message, mac);
    }
}
