using Messaging.System.Tests.Harness;

[assembly: AssemblyFixture(typeof(SystemFixture))]
