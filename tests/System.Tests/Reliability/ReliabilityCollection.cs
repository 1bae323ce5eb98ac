namespace Messaging.System.Tests.Reliability;

/// <summary>The scenarios stop shared services: nothing else may run beside them.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ReliabilityCollection : ICollectionFixture<ReliabilitySystem>
{
    public const string Name = "reliability";
}
