using Seckill.Load.Drive;

namespace Seckill.Load.Tests;

public class OptionsTests
{
    [Fact]
    public void OptionsAreRead()
    {
        var o = LoadOptions.Parse(["--url", "http://127.0.0.1:5005", "--scenario", "mixed", "--rate", "2500", "--users", "200000", "--duration", "2m",
            "--warmup", "0", "--stock", "10000", "--pay-share", "0.25", "--max-p99", "50", "--p99-objective-ms", "20", "--min-rate", "2000", "--max-error-rate", "0.001", "--no-verify"]);
        Assert.Equal((5005, "mixed", 2500.0, 200_000L, TimeSpan.FromMinutes(2), TimeSpan.Zero, 10_000L, 0.25), (o.Target.Port, o.Scenario, o.Rate, o.Requests, o.Duration, o.Warmup, o.Stock, o.PayShare));
        Assert.Equal((50.0, 20.0, 2000.0, 0.001, false), (o.MaxP99Ms, o.P99ObjectiveMs, o.MinRate, o.MaxErrorRate, o.Verify));
        Assert.Equal(50.0, LoadOptions.Parse([]).P99ObjectiveMs);
        Assert.Equal((false, true), (LoadOptions.Parse([]).KeepSale, LoadOptions.Parse(["--keep-sale"]).KeepSale));
        Assert.Equal(TimeSpan.FromMilliseconds(500), LoadOptions.Time("--timeout", "500ms"));
        Assert.Equal(TimeSpan.FromHours(1), LoadOptions.Time("--timeout", "1h"));
    }

    [Theory]
    [InlineData("flash-sale")]
    [InlineData("bots")]
    [InlineData("mixed")]
    [InlineData("bare")]
    public void EveryScenarioIsAccepted(string scenario) =>
        Assert.Equal(scenario, LoadOptions.Parse(["--scenario", scenario]).Scenario);

    [Theory]
    [InlineData("--rate", "0")]
    [InlineData("--rate", "fast")]
    [InlineData("--scenario", "stampede")]
    [InlineData("--pay-share", "1.5")]
    [InlineData("--p99-objective-ms", "0")]
    [InlineData("--duration", "-3s")]
    [InlineData("--url", "not a url")]
    [InlineData("--url", "https://127.0.0.1:5001")]
    [InlineData("--signing-key", "short")]
    [InlineData("--colour", "blue")]
    public void BadOptionsAreRefusedByName(string name, string value)
    {
        var e = Assert.Throws<UsageException>(() => LoadOptions.Parse([name, value]));
        Assert.Contains(name, e.Message);
    }

    [Fact]
    public void RepliesAreRead()
    {
        var purchase = Reply.Parse(202, """{"orderId":117784115876462592,"status":"queued","position":3,"etaMs":12}"""u8);
        Assert.Equal((117784115876462592L, "queued", 12L, true), (purchase.OrderId, purchase.OrderStatus, purchase.EtaMs, purchase.Acknowledged));
        var problem = Reply.Parse(409, """{"type":"x","title":"Sold out.","status":409,"detail":"d","code":"sold_out"}"""u8);
        Assert.Equal(("sold_out", null, false), (problem.Code, problem.OrderStatus, problem.Acknowledged));
        Assert.Equal("409 sold_out", problem.Outcome.Label);
        Assert.Equal("unreadable_body", Reply.Parse(500, "<html>"u8).Code);
        Assert.Null(Reply.Parse(204, ""u8).Code);
    }

    [Fact]
    public void MintedTokensAreHs256WithTheClaimsTheServiceReads()
    {
        var token = new TokenMint(TokenMint.DevelopmentKey).For(42, admin: true);
        var parts = token.Split('.');
        Assert.Equal(3, parts.Length);
        var payload = System.Text.Json.JsonDocument.Parse(Convert.FromBase64String(parts[1].Replace('-', '+').Replace('_', '/').PadRight((parts[1].Length + 3) / 4 * 4, '='))).RootElement;
        Assert.Equal(("42", "admin", "seckill", "seckill"), (payload.GetProperty("sub").GetString(), payload.GetProperty("role").GetString(),
            payload.GetProperty("iss").GetString(), payload.GetProperty("aud").GetString()));
        var signature = System.Security.Cryptography.HMACSHA256.HashData(System.Text.Encoding.UTF8.GetBytes(TokenMint.DevelopmentKey), System.Text.Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]));
        Assert.Equal(Convert.ToBase64String(signature).TrimEnd('=').Replace('+', '-').Replace('/', '_'), parts[2]);
    }
}
