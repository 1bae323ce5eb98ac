using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Messaging.Testing;

/// <summary>
/// Whether a Docker engine answers: <c>GET /_ping</c> on <c>DOCKER_HOST</c> (unix:// or tcp:// without TLS) or on the
/// usual sockets (rootful, rootless, Docker Desktop). A short timeout: on a machine without an engine it costs nothing.
/// </summary>
internal static class DockerEngineProbe
{
    public static bool Answers(TimeSpan timeout) => Answers(timeout, Environment.GetEnvironmentVariable("DOCKER_HOST"));

    /// <summary>The probe with <c>DOCKER_HOST</c> given (tests point it at a socket of their own).</summary>
    public static bool Answers(TimeSpan timeout, string? dockerHost)
    {
        foreach (var endpoint in Candidates(dockerHost))
        {
            try
            {
                using var cancel = new CancellationTokenSource(timeout);
                if (PingAsync(endpoint, cancel.Token).GetAwaiter().GetResult())
                {
                    return true;
                }
            }
            catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
            {
                // Not this one: try the next candidate.
            }
        }

        return false;
    }

    private static IEnumerable<EndPoint> Candidates(string? dockerHost)
    {
        if (!string.IsNullOrEmpty(dockerHost) && Uri.TryCreate(dockerHost, UriKind.Absolute, out var uri))
        {
            if (uri.Scheme == "unix")
            {
                yield return new UnixDomainSocketEndPoint(uri.AbsolutePath);
            }
            else if (uri.Scheme == "tcp")
            {
                yield return new DnsEndPoint(uri.Host, uri.Port > 0 ? uri.Port : 2375);
            }

            yield break;
        }

        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var runtime = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
        string?[] sockets =
        [
            "/var/run/docker.sock",
            runtime is null ? null : Path.Combine(runtime, "docker.sock"),
            Path.Combine(home, ".docker", "run", "docker.sock"),
            Path.Combine(home, ".docker", "desktop", "docker.sock"),
        ];
        foreach (var socket in sockets)
        {
            if (socket is not null && File.Exists(socket))
            {
                yield return new UnixDomainSocketEndPoint(socket);
            }
        }
    }

    private static async Task<bool> PingAsync(EndPoint endpoint, CancellationToken cancellationToken)
    {
        var protocol = endpoint is UnixDomainSocketEndPoint ? ProtocolType.Unspecified : ProtocolType.Tcp;
        using var socket = new Socket(endpoint.AddressFamily == AddressFamily.Unspecified ? AddressFamily.InterNetwork : endpoint.AddressFamily, SocketType.Stream, protocol);
        await socket.ConnectAsync(endpoint, cancellationToken);
        await socket.SendAsync(Encoding.ASCII.GetBytes("GET /_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n"), cancellationToken);
        var buffer = new byte[256];
        var read = await socket.ReceiveAsync(buffer, cancellationToken);
        var status = Encoding.ASCII.GetString(buffer, 0, read);
        return status.StartsWith("HTTP/1.", StringComparison.Ordinal) && status.Contains(" 200 ", StringComparison.Ordinal);
    }
}
