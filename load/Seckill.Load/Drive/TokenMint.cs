using System.Security.Cryptography;
using System.Text;

namespace Seckill.Load.Drive;

/// <summary>
/// Mints the HS256 bearer tokens the service accepts (<c>sub</c> = user id, <c>role: admin</c>
/// for admins) from the signing key the service is configured with, so the tool needs no
/// identity provider. A token lives for the whole run.
/// </summary>
public sealed class TokenMint(string signingKey, string issuer = "seckill", string audience = "seckill", TimeProvider? time = null)
{
    /// <summary>The key of appsettings.json, which a service started without Auth__SigningKey uses.</summary>
    public const string DevelopmentKey = "dev-only-signing-key-change-me-in-production-0123456789";

    private static readonly string Header = Base64Url("""{"alg":"HS256","typ":"JWT"}"""u8);
    private readonly byte[] _key = Encoding.UTF8.GetBytes(signingKey);
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public string For(long userId, bool admin = false)
    {
        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        var payload = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var json = new System.Text.Json.Utf8JsonWriter(payload))
        {
            json.WriteStartObject();
            json.WriteString("sub", userId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            json.WriteString("iss", issuer);
            json.WriteString("aud", audience);
            json.WriteNumber("nbf", now - 10);
            json.WriteNumber("iat", now - 10);
            json.WriteNumber("exp", now + (6 * 3600));
            if (admin)
            {
                json.WriteString("role", "admin");
            }
            json.WriteEndObject();
        }
        var signed = Header + "." + Base64Url(payload.WrittenSpan);
        return signed + "." + Base64Url(HMACSHA256.HashData(_key, Encoding.ASCII.GetBytes(signed)));
    }

    private static string Base64Url(ReadOnlySpan<byte> bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
