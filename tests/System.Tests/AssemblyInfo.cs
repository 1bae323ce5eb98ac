using Messaging.Testing.Harness;

[assembly: AssemblyFixture(typeof(SystemFixture))]

// The tests mostly wait on real processes and services, so more of them run at once than there are cores.
[assembly: CollectionBehavior(MaxParallelThreads = 4)]
