using System.Net;
using System.Net.Http.Headers;

namespace Messaging.CommandTypes.Providers;

/// <summary>
/// Puts a client-credentials bearer token on each request attempt. It sits inside the resilience
/// handler, so every attempt (also a retry after the cached token was refreshed) carries a valid
/// token. On 401 the token is refreshed once (forced) and the request sent once more; a second 401
/// is returned to the client, which treats it as a non-transient failure.
/// </summary>
internal sealed partial class ClientCredentialsHandler(
    ClientCredentialsTokenProvider tokens,
    Func<ClientCredentials> credentials,
    ILogger<ClientCredentialsHandler> logger) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var registration = credentials();
        var token = await tokens.GetTokenAsync(registration, cancellationToken).ConfigureAwait(false);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Unauthorized)
        {
            return response;
        }

        // The provider no longer accepts the token (expired early, revoked, keys rotated).
        response.Dispose();
        Log.TokenRejected(logger, registration.Provider, registration.ClientId);
        token = await tokens.RefreshAfterRejectionAsync(registration, token, cancellationToken).ConfigureAwait(false);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4103, EventName = "AccessTokenRejected", Level = LogLevel.Warning,
            Message = "{Provider} rejected the access token of client {ClientId} (401); refreshing it and retrying once")]
        public static partial void TokenRejected(ILogger logger, string provider, string clientId);
    }
}
