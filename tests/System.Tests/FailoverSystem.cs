using Messaging.Testing.Harness;

namespace Messaging.System.Tests;

/// <summary>A system of its own for the failover test: nothing else touches its breakers or its providers.</summary>
public sealed class FailoverSystem() : SystemFixture(new SystemSettings { Name = "failover" });
