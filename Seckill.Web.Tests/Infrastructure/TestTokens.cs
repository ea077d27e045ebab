using System.Security.Claims;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Seckill.Web.Tests.Infrastructure;

/// <summary>Bearer tokens the service did not issue: expired, signed with another key, from another issuer.</summary>
public static class TestTokens
{
    /// <summary>An HS256 token valid for the hour before <paramref name="expires"/>, its header naming <paramref name="keyId"/> if given.</summary>
    public static string Sign(string key, string issuer, string subject, DateTime expires, bool admin = false, string? keyId = null)
    {
        var claims = new List<Claim> { new("sub", subject) };
        if (admin)
        {
            claims.Add(new Claim("role", "admin"));
        }
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = "seckill",
            Subject = new ClaimsIdentity(claims),
            IssuedAt = expires.AddHours(-1),
            NotBefore = expires.AddHours(-1),
            Expires = expires,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(key)) { KeyId = keyId }, SecurityAlgorithms.HmacSha256),
        });
    }
}
