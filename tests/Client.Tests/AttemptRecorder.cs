using System.Net;
using System.Text.Json;

namespace Messaging.Client.Tests;

/// <summary>
/// Sits in the client's handler chain and records what goes over the wire: the idempotency key of every
/// single send attempt (a batch's are in its body), the tokens the gateway issued, the token and status of every API call, and connection
/// failures. Optionally turns the first send's answer into a lost answer (after a callback that may, for
/// example, restart the gateway): the gateway committed, the client never hears of it.
/// </summary>
internal sealed class AttemptRecorder(Func<HttpResponseMessage, CancellationToken, Task<string>>? loseFirstAnswer = null) : DelegatingHandler
{
#if NET9_0_OR_GREATER
    private readonly Lock _lock = new();
#else
    private readonly object _lock = new(); // also compiled by tests/Client.Net8.Tests
#endif
    private bool _firstLost;

    public List<string> Keys { get; } = [];

    public List<string> TokenAnswers { get; } = [];

    public List<(string Token, HttpStatusCode Status)> ApiCalls { get; } = [];

    public int ConnectionFailures { get; private set; }

    /// <summary>The body of the answer that was lost.</summary>
    public string? FirstAnswer { get; private set; }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        // A send: POST /api/commands/{type} (its key in the header) or /api/commands/batch (the keys in the body).
        var path = request.RequestUri!.AbsolutePath;
        var isSend = request.Method == HttpMethod.Post && path.StartsWith("/api/commands/", StringComparison.Ordinal) && path.Count(c => c == '/') == 3;
        if (isSend && request.Headers.TryGetValues("Idempotency-Key", out var key))
        {
            lock (_lock)
            {
                Keys.Add(key.Single());
            }
        }

        HttpResponseMessage response;
        try
        {
            response = await base.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException)
        {
            lock (_lock)
            {
                ConnectionFailures++;
            }

            throw;
        }

        if (request.RequestUri!.AbsolutePath == "/api/auth/token")
        {
#if NET9_0_OR_GREATER
            await response.Content.LoadIntoBufferAsync(cancellationToken);
#else
            await response.Content.LoadIntoBufferAsync();
#endif
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            lock (_lock)
            {
                TokenAnswers.Add(body.RootElement.GetProperty("access_token").GetString()!);
            }

            return response;
        }

        lock (_lock)
        {
            ApiCalls.Add((request.Headers.Authorization?.Parameter ?? "", response.StatusCode));
        }

        if (isSend && loseFirstAnswer is not null && !_firstLost)
        {
            _firstLost = true;
            FirstAnswer = await loseFirstAnswer(response, cancellationToken);
            response.Dispose();
            throw new HttpRequestException(HttpRequestError.ResponseEnded, "The connection closed before the answer (simulated).");
        }

        return response;
    }
}
