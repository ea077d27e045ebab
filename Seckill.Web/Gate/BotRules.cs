using System.Buffers;
using Microsoft.Extensions.Options;

namespace Seckill.Web.Gate;

/// <summary>
/// The User-Agent rules of the buying routes: a request with no agent, or with the agent of an
/// HTTP library or command-line tool, is a script and gets 403 <c>bot_suspected</c>.
/// </summary>
/// <remarks>
/// This only stops scripts that do not bother to lie; the rate limits and purchase tokens stop
/// the rest. Thread-safe and allocation-free: one vectorised multi-string search per request.
/// </remarks>
public sealed class BotRules
{
    private readonly bool _enabled;
    private readonly bool _blockEmpty;
    private readonly SearchValues<string>? _agents;

    public BotRules(IOptions<GateOptions> options)
    {
        var bots = options.Value.Bots;
        _enabled = bots.Enabled;
        _blockEmpty = bots.BlockEmptyUserAgent;
        var agents = bots.EffectiveBlockedAgents.Where(agent => !string.IsNullOrWhiteSpace(agent)).ToArray();
        _agents = agents.Length > 0 ? SearchValues.Create(agents, StringComparison.OrdinalIgnoreCase) : null;
    }

    public bool IsSuspect(HttpRequest request) => IsSuspect(request.Headers.UserAgent.ToString());

    public bool IsSuspect(ReadOnlySpan<char> userAgent)
    {
        if (!_enabled)
        {
            return false;
        }
        if (userAgent.IsWhiteSpace())
        {
            return _blockEmpty;
        }
        return _agents is not null && userAgent.ContainsAny(_agents);
    }
}
