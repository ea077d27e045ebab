using Seckill.Load.Drive;

namespace Seckill.Load.Scenarios;

/// <summary>
/// <c>bots</c>: a few identities on a few addresses firing as fast as the schedule says. Every
/// fifth bot does not even pretend to be a browser. The service should let each identity buy at
/// most once, hold each address to its rate limit and refuse the scripted agents.
/// </summary>
public class Bots(SaleRun run) : Scenario(run)
{
    public const string ScriptAgent = "python-requests/2.31.0";

    public override Task ArrivalAsync(long index, long due) => BotAsync(index, due);

    protected async Task BotAsync(long index, long due)
    {
        var bot = index % Run.Options.BotIdentities;
        var user = FirstBot + bot;
        var agent = bot % 5 == 4 ? ScriptAgent : ClientPool.BrowserAgent;
        var reply = await Run.Sender.SendAsync(Run.Bots.For(bot), new Call(Purchase, HttpMethod.Post, Run.PurchasePath, SaleRun.OneUnit, Token: Run.Tokens.For(user), UserAgent: agent),
            due, isArrival: true, r => BuyerAnswer(r) || (agent == ScriptAgent && r.Status == 403 && r.Code == "bot_suspected"));
        Run.Judged(reply, user);
    }
}
