using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Seckill.Web.Http;
using Seckill.Web.Ops;

namespace Seckill.Web.Gate;

/// <summary>Every ten seconds, forgets the address buckets and buyer windows that have emptied.</summary>
public sealed class RateLimitSweep(AddressBuckets addresses, BuyerWindows buyers, TimeProvider time, ILogger<RateLimitSweep> log) : BackgroundService
{
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Period, time);
        while (await timer.NextTickAsync(stoppingToken))
        {
            var forgotten = addresses.Sweep() + buyers.Sweep();
            log.LogDebug("Rate limits: forgot {Forgotten} idle buckets and windows; {Addresses} addresses and {Buyers} buyers held",
                forgotten, addresses.Count, buyers.Count);
        }
    }
}
