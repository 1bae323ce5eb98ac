using Messaging.System.Tests.Harness;

// Gateway, Workers and FakeServices as real processes on a fresh database and virtual host.
[assembly: AssemblyFixture(typeof(SystemFixture))]
