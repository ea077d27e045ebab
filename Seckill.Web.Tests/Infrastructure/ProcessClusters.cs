namespace Seckill.Web.Tests.Infrastructure;

/// <summary>
/// Tests that start a whole cluster of real processes (instances, their Redis servers, MariaDB,
/// Nginx) run one at a time: on a 2-core CI machine, several such clusters at once (beside the
/// rest of the suite) starve each other, and heartbeats and writers fall seconds behind.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ProcessClusters
{
    public const string Name = "clusters of real processes";
}
