using System.Net.Sockets;
using System.Text;

namespace Messaging.Testing.Tests;

/// <summary>The Docker probe against a socket of the test's own, standing in for an engine's API.</summary>
public sealed class DockerEngineProbeTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("docker-probe-").FullName;

    [Fact]
    public async Task Answers_WhenTheSocketAnswersPing_IsTrue()
    {
        var path = Path.Combine(_directory, "docker.sock");
        using var listener = Listen(path);
        var server = ServeOnceAsync(listener, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK");

        Assert.True(DockerEngineProbe.Answers(TimeSpan.FromSeconds(5), "unix://" + path));
        Assert.StartsWith("GET /_ping ", await server, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Answers_WhenTheSocketAnswersAnError_IsFalse()
    {
        var path = Path.Combine(_directory, "docker.sock");
        using var listener = Listen(path);
        var server = ServeOnceAsync(listener, "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n");

        Assert.False(DockerEngineProbe.Answers(TimeSpan.FromSeconds(5), "unix://" + path));
        await server;
    }

    [Fact]
    public void Answers_WhenNothingListens_IsFalseQuickly()
    {
        var started = TimeProvider.System.GetTimestamp();
        Assert.False(DockerEngineProbe.Answers(TimeSpan.FromSeconds(2), "unix://" + Path.Combine(_directory, "missing.sock")));
        Assert.True(TimeProvider.System.GetElapsedTime(started) < TimeSpan.FromSeconds(2));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static Socket Listen(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        socket.Listen(1);
        return socket;
    }

    private static async Task<string> ServeOnceAsync(Socket listener, string response)
    {
        using var client = await listener.AcceptAsync();
        var buffer = new byte[1024];
        var read = await client.ReceiveAsync(buffer);
        await client.SendAsync(Encoding.ASCII.GetBytes(response));
        return Encoding.ASCII.GetString(buffer, 0, read);
    }
}
