using Messaging.Testing.Harness;

// Gateway, Workers and FakeServices as real processes on a fresh database and virtual host, shared by the live tests.
[assembly: AssemblyFixture(typeof(SystemFixture))]
