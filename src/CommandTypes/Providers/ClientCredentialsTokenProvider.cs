using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Messaging.CommandTypes.Providers;

/// <summary>
/// OAuth2 client-credentials access tokens, cached per token URL, client id and scope. Tokens are
/// refreshed ahead of expiry (<see cref="TokenRefreshOptions"/>); one request to the token endpoint
/// serves every concurrent caller (single flight); an expired token is never handed out.
/// </summary>
internal sealed partial class ClientCredentialsTokenProvider(
    IHttpClientFactory httpClientFactory,
    TimeProvider timeProvider,
    IOptionsMonitor<TokenRefreshOptions> options,
    ILogger<ClientCredentialsTokenProvider> logger)
{
    /// <summary>The lifetime assumed when the token endpoint sends no <c>expires_in</c>.</summary>
    internal static readonly TimeSpan DefaultLifetime = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, TokenSlot> _slots = new(StringComparer.Ordinal);

    /// <summary>
    /// Returns a valid access token: the cached one while it is fresh, otherwise one fetched now (or
    /// being fetched by another caller). If a refresh ahead of expiry fails, the cached token is used
    /// for as long as it is still valid.
    /// </summary>
    public async ValueTask<string> GetTokenAsync(ClientCredentials credentials, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        var slot = _slots.GetOrAdd(credentials.CacheKey, static _ => new TokenSlot());
        var current = slot.Current;
        if (current is not null && timeProvider.GetUtcNow() < current.RefreshAt)
        {
            return current.AccessToken;
        }

        try
        {
            var fresh = await FetchOnce(slot, credentials).WaitAsync(cancellationToken).ConfigureAwait(false);
            return fresh.AccessToken;
        }
        catch (TokenRequestException ex) when (current is not null && timeProvider.GetUtcNow() < current.ExpiresAt)
        {
            Log.RefreshFailedUsingCurrentToken(logger, credentials.Provider, credentials.ClientId, ex.Message);
            return current.AccessToken;
        }
    }

    /// <summary>
    /// Returns a token other than <paramref name="rejectedToken"/>, which the provider refused (401):
    /// the cached one if another caller already replaced it, otherwise a newly fetched one (forced,
    /// still one request for all callers). The rejected token is dropped from the cache.
    /// </summary>
    public async ValueTask<string> RefreshAfterRejectionAsync(ClientCredentials credentials, string rejectedToken, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        var slot = _slots.GetOrAdd(credentials.CacheKey, static _ => new TokenSlot());
        var current = slot.Current;
        if (current is not null && !string.Equals(current.AccessToken, rejectedToken, StringComparison.Ordinal)
            && timeProvider.GetUtcNow() < current.ExpiresAt)
        {
            return current.AccessToken;
        }

        if (current is not null)
        {
            // Only if it is still the rejected one: a token fetched meanwhile stays.
            Interlocked.CompareExchange(ref slot.CurrentField, null, current);
        }

        var fresh = await FetchOnce(slot, credentials).WaitAsync(cancellationToken).ConfigureAwait(false);
        return fresh.AccessToken;
    }

    /// <summary>Joins the fetch in flight for this slot, or starts one.</summary>
    private Task<CachedToken> FetchOnce(TokenSlot slot, ClientCredentials credentials)
    {
        TaskCompletionSource<CachedToken> completion;
        lock (slot)
        {
            if (slot.InFlight is { } inFlight)
            {
                return inFlight;
            }

            completion = new TaskCompletionSource<CachedToken>(TaskCreationOptions.RunContinuationsAsynchronously);
            slot.InFlight = completion.Task;
        }

        // Not tied to any caller's cancellation: the fetch serves all of them, and is bounded by the
        // token client's own timeouts. Each caller stops waiting on its own token.
        _ = CompleteFetchAsync(slot, credentials, completion);
        return completion.Task;
    }

    private async Task CompleteFetchAsync(TokenSlot slot, ClientCredentials credentials, TaskCompletionSource<CachedToken> completion)
    {
        try
        {
            var token = await RequestTokenAsync(credentials).ConfigureAwait(false);
            slot.Current = token;
            completion.SetResult(token);
        }
        catch (TokenRequestException ex)
        {
            Log.TokenRequestFailed(logger, credentials.Provider, credentials.ClientId, ex.Message);
            completion.SetException(ex);
        }
        catch (Exception ex)
        {
            // Not swallowed: every waiter gets it. Without this a waiter without a deadline would wait forever.
            completion.SetException(ex);
        }
        finally
        {
            lock (slot)
            {
                slot.InFlight = null;
            }
        }
    }

    private async Task<CachedToken> RequestTokenAsync(ClientCredentials credentials)
    {
        var fields = new List<KeyValuePair<string, string>>
        {
            new("grant_type", "client_credentials"),
            new("client_id", credentials.ClientId),
            new("client_secret", credentials.ClientSecret),
        };
        if (!string.IsNullOrEmpty(credentials.Scope))
        {
            fields.Add(new("scope", credentials.Scope));
        }

        // The lifetime counts from before the request, so the cached expiry is never later than the real one.
        var requestedAt = timeProvider.GetUtcNow();
        using var request = new HttpRequestMessage(HttpMethod.Post, credentials.TokenUrl) { Content = new FormUrlEncodedContent(fields) };
        // The provider's token client: its own pipeline (<provider>.token), not the provider's endpoints'.
        var http = httpClientFactory.CreateClient(ProviderResilience.TokenPipelineName(credentials.Provider));
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or TimeoutRejectedException or BrokenCircuitException or OperationCanceledException)
        {
            throw new TokenRequestException(credentials.Provider, "failed: " + ex.GetType().Name, isTransient: true, innerException: ex);
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                var error = await ProviderHttp.ReadJsonAsync<TokenErrorResponse>(response, CancellationToken.None).ConfigureAwait(false);
                var code = ProviderHttp.SafeCode(error?.Error, fallback: "none");
                throw new TokenRequestException(credentials.Provider, $"returned {(int)response.StatusCode} ({code})",
                    ProviderHttp.IsTransient(response.StatusCode), response.StatusCode);
            }

            var body = await ProviderHttp.ReadJsonAsync<ProviderTokenResponse>(response, CancellationToken.None).ConfigureAwait(false);
            if (string.IsNullOrEmpty(body?.AccessToken))
            {
                throw new TokenRequestException(credentials.Provider, "returned no access_token", isTransient: false, HttpStatusCode.OK);
            }

            var lifetime = body.ExpiresIn is > 0 ? TimeSpan.FromSeconds(body.ExpiresIn.Value) : DefaultLifetime;
            var token = CachedToken.Create(body.AccessToken, requestedAt, lifetime, options.CurrentValue);
            if (timeProvider.GetUtcNow() >= token.ExpiresAt)
            {
                throw new TokenRequestException(credentials.Provider, "returned a token that expired on arrival", isTransient: true, HttpStatusCode.OK);
            }

            Log.TokenIssued(logger, credentials.Provider, credentials.ClientId, lifetime.TotalSeconds);
            return token;
        }
    }

    /// <summary>A cached token with the instants it must be refreshed at and stops being usable at.</summary>
    internal sealed record CachedToken(string AccessToken, DateTimeOffset RefreshAt, DateTimeOffset ExpiresAt)
    {
        public static CachedToken Create(string accessToken, DateTimeOffset issuedAt, TimeSpan lifetime, TokenRefreshOptions options)
        {
            // The earlier of: the configured share of the lifetime, and the margin before expiry.
            var byFraction = TimeSpan.FromTicks((long)Math.Round(lifetime.Ticks * options.LifetimeFraction));
            var byMargin = lifetime - options.Margin;
            var refreshAfter = byFraction < byMargin ? byFraction : byMargin;
            refreshAfter = refreshAfter < TimeSpan.Zero ? TimeSpan.Zero : refreshAfter;
            return new CachedToken(accessToken, issuedAt + refreshAfter, issuedAt + lifetime);
        }

        /// <summary>Keeps the token itself out of logs and exception messages.</summary>
        public override string ToString() => $"token refreshing at {RefreshAt:O}, expiring at {ExpiresAt:O}";
    }

    /// <summary>The cache entry of one credentials key.</summary>
    private sealed class TokenSlot
    {
        // A field so that RefreshAfterRejectionAsync can compare-and-swap it.
        public CachedToken? CurrentField;

        public CachedToken? Current
        {
            get => Volatile.Read(ref CurrentField);
            set => Volatile.Write(ref CurrentField, value);
        }

        /// <summary>The fetch in flight; read and written under the slot's lock.</summary>
        public Task<CachedToken>? InFlight { get; set; }
    }

    private sealed record ProviderTokenResponse(
        [property: JsonPropertyName("access_token")] string? AccessToken,
        [property: JsonPropertyName("expires_in")] double? ExpiresIn);

    private sealed record TokenErrorResponse([property: JsonPropertyName("error")] string? Error);

    private static partial class Log
    {
        [LoggerMessage(EventId = 4100, EventName = "AccessTokenIssued", Level = LogLevel.Information,
            Message = "Access token for {Provider} (client {ClientId}) issued, valid for {LifetimeSeconds} s")]
        public static partial void TokenIssued(ILogger logger, string provider, string clientId, double lifetimeSeconds);

        [LoggerMessage(EventId = 4101, EventName = "AccessTokenRequestFailed", Level = LogLevel.Warning,
            Message = "Access token request for {Provider} (client {ClientId}) failed: {Reason}")]
        public static partial void TokenRequestFailed(ILogger logger, string provider, string clientId, string reason);

        [LoggerMessage(EventId = 4102, EventName = "AccessTokenRefreshFailedUsingCurrent", Level = LogLevel.Warning,
            Message = "Refreshing the access token for {Provider} (client {ClientId}) failed; the current token is still valid and stays in use ({Reason})")]
        public static partial void RefreshFailedUsingCurrentToken(ILogger logger, string provider, string clientId, string reason);
    }
}
