using Microsoft.Extensions.Options;
using Seckill.Web.Gate;
using Seckill.Web.Security;
using Seckill.Web.Tests.Infrastructure;

namespace Seckill.Web.Tests.Unit;

public class PurchaseTokensTests
{
    private const string Key = "a-signing-key-of-at-least-thirty-two-characters";
    private readonly TestClock _clock = new();

    private PurchaseTokens Tokens(string key = Key) =>
        new(Options.Create(new AuthOptions { SigningKey = key }), Options.Create(new GateOptions()), _clock);

    [Fact]
    public void ATokenIsValidForItsSaleAndUserUntilItExpires()
    {
        var tokens = Tokens();
        var (token, expiresAt) = tokens.Issue(saleId: 7, userId: 42);

        Assert.True(tokens.IsValid(token, 7, 42));
        Assert.InRange(expiresAt - _clock.GetUtcNow(), TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(61));

        _clock.Advance(TimeSpan.FromSeconds(59));
        Assert.True(tokens.IsValid(token, 7, 42));
        _clock.Advance(TimeSpan.FromSeconds(3));
        Assert.False(tokens.IsValid(token, 7, 42));
    }

    [Fact]
    public void ATokenIsRefusedForAnotherUserAnotherSaleOrAnotherKey()
    {
        var tokens = Tokens();
        var (token, _) = tokens.Issue(7, 42);

        Assert.False(tokens.IsValid(token, 7, 43));
        Assert.False(tokens.IsValid(token, 8, 42));
        Assert.False(Tokens("another-signing-key-of-at-least-thirty-two-chars").IsValid(token, 7, 42));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not-a-token")]
    [InlineData("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!")]
    public void GarbageIsRefused(string token) => Assert.False(Tokens().IsValid(token, 7, 42));

    [Fact]
    public void AnyAlteredCharacterIsRefused()
    {
        var tokens = Tokens();
        var (token, _) = tokens.Issue(7, 42);
        for (var i = 0; i < token.Length; i++)
        {
            var chars = token.ToCharArray();
            chars[i] = chars[i] == 'A' ? 'B' : 'A';
            Assert.False(tokens.IsValid(new string(chars), 7, 42), $"token altered at {i} was accepted");
        }
    }

    [Fact]
    public void AForgedLaterExpiryIsRefused()
    {
        // The expiry is signed: pushing it forward breaks the signature.
        var tokens = Tokens();
        var (token, _) = tokens.Issue(7, 42);
        var bytes = System.Buffers.Text.Base64Url.DecodeFromChars(token);
        bytes[7] ^= 0x10;
        Assert.False(tokens.IsValid(System.Buffers.Text.Base64Url.EncodeToString(bytes), 7, 42));
    }
}
