using Microsoft.Extensions.Options;
using Seckill.Web.Gate;
using Seckill.Web.Tests.Infrastructure;

namespace Seckill.Web.Tests.Unit;

public class BotRulesTests
{
    private static BotRules Rules(Action<GateOptions.BotRuleOptions>? configure = null)
    {
        var options = new GateOptions();
        configure?.Invoke(options.Bots);
        return new BotRules(Options.Create(options));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("curl/8.5.0")]
    [InlineData("python-requests/2.31.0")]
    [InlineData("Python-urllib/3.12")]
    [InlineData("Go-http-client/1.1")]
    [InlineData("okhttp/4.12.0")]
    [InlineData("Wget/1.21.4")]
    [InlineData("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0 Safari/537.36")]
    public void ScriptsAreSuspected(string agent) => Assert.True(Rules().IsSuspect(agent));

    [Theory]
    [InlineData(SeckillFactory.BrowserAgent)]
    [InlineData("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1")]
    [InlineData("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0")]
    public void BrowsersPass(string agent) => Assert.False(Rules().IsSuspect(agent));

    [Fact]
    public void AConfiguredListReplacesTheDefaults()
    {
        var rules = Rules(bots => bots.BlockedAgents = ["EvilBot"]);
        Assert.True(rules.IsSuspect("Mozilla/5.0 evilbot/1.0"));
        Assert.False(rules.IsSuspect("curl/8.5.0"));
    }

    [Fact]
    public void RulesCanBeSwitchedOff()
    {
        var rules = Rules(bots => bots.Enabled = false);
        Assert.False(rules.IsSuspect(""));
        Assert.False(rules.IsSuspect("curl/8.5.0"));
    }

    [Fact]
    public void AnEmptyAgentCanBeAllowed() => Assert.False(Rules(bots => bots.BlockEmptyUserAgent = false).IsSuspect(""));
}
