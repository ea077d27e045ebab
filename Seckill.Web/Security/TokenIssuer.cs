using System.Security.Claims;
using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Seckill.Web.Security;

/// <summary>
/// Mints development tokens signed with the configured key: used by the <c>token</c>
/// sub-command, the demo sale's printout and the tests. Production tokens come from the
/// identity provider that shares the key.
/// </summary>
public sealed class TokenIssuer(IOptions<AuthOptions> options)
{
    private readonly AuthOptions _auth = options.Value;

    public static SymmetricSecurityKey KeyFrom(AuthOptions auth) => new(Encoding.UTF8.GetBytes(auth.SigningKey));

    public string Issue(long userId, bool admin, TimeSpan lifetime)
    {
        var claims = new List<Claim> { new(SeckillClaims.Subject, userId.ToString(System.Globalization.CultureInfo.InvariantCulture)) };
        if (admin)
        {
            claims.Add(new Claim(SeckillClaims.Role, SeckillClaims.AdminRole));
        }
        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = _auth.Issuer,
            Audience = _auth.Audience,
            Subject = new ClaimsIdentity(claims),
            IssuedAt = now,
            NotBefore = now,
            Expires = now + lifetime,
            SigningCredentials = new SigningCredentials(KeyFrom(_auth), SecurityAlgorithms.HmacSha256),
        });
    }
}
