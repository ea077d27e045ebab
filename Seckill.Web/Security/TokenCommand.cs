using Microsoft.Extensions.Options;

namespace Seckill.Web.Security;

/// <summary>
/// <c>Seckill.Web token --user 42 [--admin] [--hours 24]</c>: prints a bearer token signed with
/// the configured key, for trying the API by hand.
/// </summary>
public static class TokenCommand
{
    public static bool IsInvoked(string[] args) => args.Length > 0 && args[0] == "token";

    public static int Run(IConfiguration configuration, string[] args)
    {
        long user = 0;
        var admin = false;
        var hours = 24.0;
        for (var i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--user" when i + 1 < args.Length && long.TryParse(args[i + 1], out user) && user > 0:
                    i++;
                    break;
                case "--admin":
                    admin = true;
                    break;
                case "--hours" when i + 1 < args.Length && double.TryParse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture, out hours) && hours > 0:
                    i++;
                    break;
                default:
                    return Usage($"unexpected argument '{args[i]}'");
            }
        }
        if (user <= 0)
        {
            return Usage("--user is required (a positive integer)");
        }

        var auth = configuration.GetSection(AuthOptions.Section).Get<AuthOptions>() ?? new AuthOptions();
        if (auth.SigningKey.Length < 32)
        {
            Console.Error.WriteLine("Auth:SigningKey must be set (at least 32 characters) to mint tokens.");
            return 2;
        }
        Console.WriteLine(new TokenIssuer(Options.Create(auth)).Issue(user, admin, TimeSpan.FromHours(hours)));
        return 0;
    }

    private static int Usage(string problem)
    {
        Console.Error.WriteLine($"token: {problem}");
        Console.Error.WriteLine("usage: Seckill.Web token --user <id> [--admin] [--hours <n>]");
        return 2;
    }
}
