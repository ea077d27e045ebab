using System.Net;
using System.Security.Claims;
using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Seckill.Web.Security;
using Seckill.Web.Tests.Infrastructure;

namespace Seckill.Web.Tests.Endpoints;

/// <summary>
/// The jobs dashboard at <c>/hangfire</c>: admins in, everyone else out, and the expire job is
/// there as one recurring job that runs. Runs in both modes (memory and the pool Redis).
/// </summary>
public sealed class JobsDashboardTests : IDisposable
{
    private readonly SeckillFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    private HttpClient Browser() => _factory.CreateClient(new() { HandleCookies = true, AllowAutoRedirect = false });

    private static async Task<HttpResponseMessage> StartSessionAsync(HttpClient browser, string? bearer)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/admin/session");
        if (bearer is not null)
        {
            request.Headers.Authorization = new("Bearer", bearer);
        }
        return await browser.SendAsync(request);
    }

    [Fact]
    public async Task AnAdminSessionOpensTheDashboardWithTheExpireJobOnIt()
    {
        using var browser = Browser();
        var session = await StartSessionAsync(browser, _factory.Token(1, admin: true));
        Assert.Equal(HttpStatusCode.NoContent, session.StatusCode);
        var cookie = Assert.Single(session.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith(AdminSession.CookieName + "=", cookie);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);

        var home = await browser.GetAsync("/hangfire");
        Assert.Equal(HttpStatusCode.OK, home.StatusCode);
        var recurring = await browser.GetStringAsync("/hangfire/recurring");
        Assert.Contains("ExpireJob.RunAsync", recurring);

        // The recurring job runs by itself (every second in tests) and succeeds.
        await Eventually.TrueAsync(async () => (await browser.GetStringAsync("/hangfire/jobs/succeeded")).Contains("ExpireJob.RunAsync"),
            "a run of the expire job to succeed");

        // "Trigger now" from the recurring jobs page is the admin's too.
        var trigger = await browser.PostAsync("/hangfire/recurring/trigger", new FormUrlEncodedContent([new("jobs[]", "expire")]));
        Assert.Equal(HttpStatusCode.NoContent, trigger.StatusCode);

        // Ending the session closes the dashboard again.
        Assert.Equal(HttpStatusCode.NoContent, (await browser.DeleteAsync("/api/admin/session")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync("/hangfire")).StatusCode);
    }

    [Fact]
    public async Task AnAdminBearerTokenOpensItToo()
    {
        using var admin = _factory.Admin();
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/hangfire/recurring")).StatusCode);
    }

    public static TheoryData<string, string?, HttpStatusCode> Refused => new()
    {
        { "anonymous", null, HttpStatusCode.Unauthorized },
        { "a buyer's cookie", "buyer", HttpStatusCode.Unauthorized },
        { "an expired admin token in the cookie", "expired-admin", HttpStatusCode.Unauthorized },
        { "an admin token signed with another key", "forged-admin", HttpStatusCode.Unauthorized },
        { "garbage", "garbage", HttpStatusCode.Unauthorized },
    };

    /// <summary>Whatever cookie a browser shows up with, only a live admin token gets in.</summary>
    [Theory]
    [MemberData(nameof(Refused))]
    public async Task EveryoneElseIsRefused(string who, string? cookieToken, HttpStatusCode expected)
    {
        using var browser = _factory.CreateClient(new() { HandleCookies = false, AllowAutoRedirect = false });
        foreach (var page in new[] { "/hangfire", "/hangfire/recurring", "/hangfire/jobs/succeeded" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, page);
            if (cookieToken is not null)
            {
                request.Headers.Add("Cookie", $"{AdminSession.CookieName}={TokenFor(cookieToken)}");
            }
            var response = await browser.SendAsync(request);
            Assert.True(expected == response.StatusCode, $"{who} on {page}: {response.StatusCode}");
        }
        // A trigger from the dashboard (a POST) is refused too.
        using var trigger = new HttpRequestMessage(HttpMethod.Post, "/hangfire/recurring/trigger") { Content = new FormUrlEncodedContent([new("jobs[]", "expire")]) };
        if (cookieToken is not null)
        {
            trigger.Headers.Add("Cookie", $"{AdminSession.CookieName}={TokenFor(cookieToken)}");
        }
        Assert.Equal(expected, (await browser.SendAsync(trigger)).StatusCode);
    }

    [Fact]
    public async Task ABuyersBearerTokenIsForbiddenAndStartsNoSession()
    {
        using var buyer = _factory.ClientFor(42);
        Assert.Equal(HttpStatusCode.Forbidden, (await buyer.GetAsync("/hangfire")).StatusCode);

        using var browser = Browser();
        var session = await StartSessionAsync(browser, _factory.Token(42));
        Assert.Equal(HttpStatusCode.Forbidden, session.StatusCode);
        Assert.Equal("forbidden", await session.ProblemCodeAsync());
        Assert.False(session.Headers.Contains("Set-Cookie"));
        var anonymous = await StartSessionAsync(browser, null);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("unauthorized", await anonymous.ProblemCodeAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync("/hangfire")).StatusCode);
    }

    private string TokenFor(string kind)
    {
        var key = _factory.Get<IOptions<AuthOptions>>().Value.SigningKey;
        var now = DateTime.UtcNow;
        string Sign(string signingKey, DateTime expires) => TestTokens.Sign(signingKey, "seckill", "1", expires, admin: true);
        return kind switch
        {
            "buyer" => _factory.Token(42),
            "expired-admin" => Sign(key, now.AddMinutes(-10)),
            "forged-admin" => Sign("another-key-that-is-long-enough-for-hs256!!", now.AddHours(1)),
            "garbage" => "not.a.token",
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
    }
}
