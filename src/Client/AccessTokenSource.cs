using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Messaging.Client;

/// <summary>
/// The access token of the client (OAuth2 client credentials at <c>/api/auth/token</c>), shared by every
/// <see cref="MessagingClient"/> of the container. A token is replaced ahead of its expiry (see
/// <see cref="MessagingClientOptions.TokenRefreshBeforeExpiry"/>), so no call is ever sent with a token
/// about to expire; concurrent callers share one token request (single flight). When a refresh fails
/// while the current token is still comfortably valid, the current token is used and the next call tries again.
/// </summary>
internal sealed partial class AccessTokenSource(IOptions<MessagingClientOptions> options, TimeProvider timeProvider, ILogger<AccessTokenSource> logger)
{
    /// <summary>A token is never used closer to its expiry than this, even when a refresh failed.</summary>
    internal static readonly TimeSpan MinimumRemainingLifetime = TimeSpan.FromSeconds(5);

#if NET9_0_OR_GREATER
    private readonly Lock _lock = new();
#else
    // System.Threading.Lock is new in .NET 9: the net8.0 build locks a plain object (same semantics).
    private readonly object _lock = new();
#endif
    private CachedToken? _current;
    private Task<CachedToken>? _inFlight;

    /// <summary>A token valid for at least the refresh margin, requested through <paramref name="http"/> when needed.</summary>
    public async Task<string> GetAsync(HttpClient http, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        Task<CachedToken> request;
        TaskCompletionSource<CachedToken>? owner = null;
        CachedToken? current;
        lock (_lock)
        {
            current = _current;
            if (current is not null && now < current.RefreshAt)
            {
                return current.Value;
            }

            if (_inFlight is null)
            {
                owner = new TaskCompletionSource<CachedToken>(TaskCreationOptions.RunContinuationsAsynchronously);
                _inFlight = owner.Task;
            }

            request = _inFlight;
        }

        if (owner is not null)
        {
            // The request belongs to every waiting caller, so it does not observe this caller's cancellation.
            _ = RequestAsync(http, owner);
        }

        try
        {
            return (await request.WaitAsync(cancellationToken).ConfigureAwait(false)).Value;
        }
        catch (Exception ex) when (ex is not OperationCanceledException
            && current is not null && timeProvider.GetUtcNow() < current.ExpiresAt - MinimumRemainingLifetime)
        {
            Log.RefreshFailedUsingCurrent(logger, ex.GetType().Name);
            return current.Value;
        }
    }

    /// <summary>Forgets <paramref name="token"/> (the gateway refused it), so the next call requests a new one.</summary>
    public void Invalidate(string token)
    {
        lock (_lock)
        {
            if (_current?.Value == token)
            {
                _current = null;
            }
        }
    }

    private async Task RequestAsync(HttpClient http, TaskCompletionSource<CachedToken> completion)
    {
        try
        {
            var token = await RequestTokenAsync(http).ConfigureAwait(false);
            lock (_lock)
            {
                _current = token;
                _inFlight = null;
            }

            completion.SetResult(token);
        }
        catch (Exception ex)
        {
            lock (_lock)
            {
                _inFlight = null;
            }

            completion.SetException(ex);
        }
    }

    private async Task<CachedToken> RequestTokenAsync(HttpClient http)
    {
        var settings = options.Value;
        var form = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = settings.ClientId,
            ["client_secret"] = settings.ClientSecret,
        };
        if (!string.IsNullOrWhiteSpace(settings.Scopes))
        {
            form["scope"] = settings.Scopes;
        }

        // Measured from before the request: the token cannot live longer than that.
        var issuedAt = timeProvider.GetUtcNow();
        using var content = new FormUrlEncodedContent(form);
        using var response = await http.PostAsync(new Uri("api/auth/token", UriKind.Relative), content).ConfigureAwait(false);
        var body = await GatewayResponses.ReadAsync<GatewayTokenResponse>(response, timeProvider, CancellationToken.None).ConfigureAwait(false);
        if (string.IsNullOrEmpty(body.AccessToken) || body.ExpiresIn <= 0)
        {
            throw new MessagingClientException("The gateway's token answer has no usable access token.") { StatusCode = response.StatusCode };
        }

        var lifetime = TimeSpan.FromSeconds(body.ExpiresIn);
        var margin = settings.TokenRefreshBeforeExpiry < lifetime / 2 ? settings.TokenRefreshBeforeExpiry : lifetime / 2;
        Log.TokenAcquired(logger, settings.ClientId, body.ExpiresIn);
        return new CachedToken(body.AccessToken, RefreshAt: issuedAt + lifetime - margin, ExpiresAt: issuedAt + lifetime);
    }

    private sealed record CachedToken(string Value, DateTimeOffset RefreshAt, DateTimeOffset ExpiresAt);

    private sealed record GatewayTokenResponse(
        [property: JsonPropertyName("access_token")] string? AccessToken,
        [property: JsonPropertyName("token_type")] string? TokenType,
        [property: JsonPropertyName("expires_in")] int ExpiresIn);

    private static partial class Log
    {
        [LoggerMessage(EventId = 8101, EventName = "MessagingClientTokenAcquired", Level = LogLevel.Debug,
            Message = "Acquired an access token for client {ClientId}, valid for {ExpiresInSeconds} s")]
        public static partial void TokenAcquired(ILogger logger, string clientId, int expiresInSeconds);

        [LoggerMessage(EventId = 8102, EventName = "MessagingClientTokenRefreshFailed", Level = LogLevel.Warning,
            Message = "Refreshing the access token failed ({FailureKind}); the current token is still valid and is used")]
        public static partial void RefreshFailedUsingCurrent(ILogger logger, string failureKind);
    }
}
