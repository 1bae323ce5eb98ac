using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Messaging.System.Tests.Callbacks;

/// <summary>
/// A real HTTP receiver of completion callbacks on a loopback port (Kestrel), for the system tests: it records every request
/// (webhook headers and body) per path, answers 500 to the first <c>n</c> of a path when told to, and holds a path's
/// requests behind a gate when told to, so a test can make one origin slow while another stays fast.
/// </summary>
public sealed class CallbackReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, int> _failuresLeft = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _gates = new(StringComparer.Ordinal);
    private int _inFlight;

    public CallbackReceiver(int port)
    {
        Port = port;
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.MapPost("/{**path}", (Delegate)ReceiveAsync);
    }

    /// <summary>The port it listens on.</summary>
    public int Port { get; }

    /// <summary>Every request received, in arrival order.</summary>
    public ConcurrentQueue<ReceivedCallback> Received { get; } = new();

    /// <summary>Requests being answered now (held behind a gate, for example).</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>The URL of <paramref name="path"/> on this receiver.</summary>
    public Uri Url(string path) => new($"http://127.0.0.1:{Port}/{path}");

    /// <summary>The requests received on <paramref name="path"/>.</summary>
    public IReadOnlyList<ReceivedCallback> On(string path) => [.. Received.Where(r => r.Path == "/" + path)];

    /// <summary>Answers 500 to the next <paramref name="times"/> requests on <paramref name="path"/>.</summary>
    public void FailNext(string path, int times) => _failuresLeft["/" + path] = times;

    /// <summary>Holds every request on <paramref name="path"/> until <see cref="Open"/>.</summary>
    public void Close(string path) => _gates["/" + path] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Lets the held requests of <paramref name="path"/> through, and the later ones.</summary>
    public void Open(string path)
    {
        if (_gates.TryRemove("/" + path, out var gate))
        {
            gate.TrySetResult();
        }
    }

    public Task StartAsync() => _app.StartAsync();

    public async ValueTask DisposeAsync()
    {
        foreach (var gate in _gates.Values)
        {
            gate.TrySetResult();
        }

        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task<IResult> ReceiveAsync(HttpContext context)
    {
        Interlocked.Increment(ref _inFlight);
        try
        {
            var path = context.Request.Path.Value ?? "/";
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync(context.RequestAborted);
            var headers = context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString(), StringComparer.Ordinal);
            if (_gates.TryGetValue(path, out var gate))
            {
                await gate.Task.WaitAsync(context.RequestAborted);
            }

            var fail = false;
            _failuresLeft.AddOrUpdate(path, 0, (_, left) =>
            {
                fail = left > 0;
                return Math.Max(0, left - 1);
            });
            Received.Enqueue(new ReceivedCallback(path, headers, body, fail ? 500 : 204, DateTimeOffset.UtcNow));
            return fail ? Results.StatusCode(500) : Results.NoContent();
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }
}
