using System.ComponentModel.DataAnnotations;

namespace Seckill.Web.Security;

/// <summary>Warns at startup when the development key from appsettings.json signs tokens outside Development.</summary>
internal sealed partial class SigningKeyCheck(Microsoft.Extensions.Options.IOptions<AuthOptions> auth, IHostEnvironment environment, ILogger<SigningKeyCheck> log)
    : IHostedService
{
    internal const string DevelopmentKeyPrefix = "dev-only-";

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!environment.IsDevelopment() && auth.Value.SigningKey.StartsWith(DevelopmentKeyPrefix, StringComparison.Ordinal))
        {
            LogDevelopmentKey();
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Auth:SigningKey is the development key shipped in appsettings.json: anyone can mint tokens. Set Auth__SigningKey.")]
    private partial void LogDevelopmentKey();
}
