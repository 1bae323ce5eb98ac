using Messaging.Testing.Harness;

// Gateway, Workers and FakeServices as real processes on a fresh database and virtual host.
[assembly: AssemblyFixture(typeof(SystemFixture))]
