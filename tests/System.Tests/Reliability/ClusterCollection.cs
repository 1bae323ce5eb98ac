namespace Messaging.System.Tests.Reliability;

/// <summary>The cluster scenarios kill nodes of the cluster's services: nothing else runs beside them.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterCollection : ICollectionFixture<ClusterSystem>
{
    public const string Name = "cluster";
}
