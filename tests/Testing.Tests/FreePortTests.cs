using System.Net;
using System.Net.Sockets;
using Messaging.Testing.Harness;

namespace Messaging.Testing.Tests;

public sealed class FreePortTests
{
    [Fact]
    public void Ports_HandedOutBeforeAnyIsUsed_AreAllDifferent()
    {
        // The case that broke a CI run: several ports taken in a row, none bound yet by the process it is for.
        var ports = Enumerable.Range(0, 500).Select(_ => SystemFixture.FreePort()).ToList();

        Assert.Equal(ports.Count, ports.Distinct().Count());
    }

    [Fact]
    public void APortHandedOut_CanBeBound()
    {
        var port = SystemFixture.FreePort();

        using var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Start();
        Assert.Equal(port, ((IPEndPoint)listener.LocalEndpoint).Port);
    }
}
