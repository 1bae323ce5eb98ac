using System.Net;
using System.Text;
using System.Text.Json.Serialization;
using Messaging.Gateway.Clients;
using Messaging.Gateway.RateLimiting;
using Messaging.Resilience.Classification;
using Messaging.Resilience;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Polly.Registry;

namespace Messaging.Gateway.Auth;

/// <summary>A successful token response (RFC 6749 5.1).</summary>
internal sealed record IssuedTokenResponse(
    [property: JsonPropertyName("access_token")] string AccessToken,
    [property: JsonPropertyName("token_type")] string TokenType,
    [property: JsonPropertyName("expires_in")] int ExpiresIn,
    [property: JsonPropertyName("scope")] string Scope);

/// <summary>A token error response (RFC 6749 5.2).</summary>
internal sealed record OAuthError(
    [property: JsonPropertyName("error")] string Error,
    [property: JsonPropertyName("error_description"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ErrorDescription);

/// <summary>
/// <c>POST /api/auth/token</c>: the OAuth2 client credentials grant (RFC 6749 4.4), with the client
/// authenticated by HTTP Basic or by form fields (2.3.1). Fails closed: when the credential store cannot be
/// read the answer is 503 <c>temporarily_unavailable</c>, never a token and never <c>invalid_client</c>.
/// </summary>
internal sealed partial class ClientCredentialsTokenHandler(
    ClientStore store,
    ClientSecretHasher hasher,
    AccessTokenIssuer issuer,
    FailedSecretLimiter secretChecks,
    LegacySecretCheckLimiter legacyChecks,
    ResiliencePipelineProvider<string> pipelines,
    IOptionsMonitor<AuthOptions> options,
    TimeProvider timeProvider,
    ILogger<ClientCredentialsTokenHandler> logger)
{
    /// <summary>The only supported grant type.</summary>
    public const string ClientCredentialsGrant = "client_credentials";

    /// <summary>Seconds in <c>Retry-After</c> when the credential store is unavailable.</summary>
    public const int RetryAfterSeconds = 5;

    private const string FormMediaType = "application/x-www-form-urlencoded";

    // A token request is a handful of short fields; anything bigger is not one.
    private static readonly FormOptions FormLimits = new() { ValueCountLimit = 16, KeyLengthLimit = 64, ValueLengthLimit = 4096 };

    public async Task<Results<JsonHttpResult<IssuedTokenResponse>, JsonHttpResult<OAuthError>, ProblemHttpResult>> HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = context.Request;
        var cancellationToken = context.RequestAborted;

        // RFC 6749 5.1/5.2: token responses, errors included, must not be cached.
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers.Pragma = "no-cache";

        if (!IsForm(request.ContentType))
        {
            return InvalidRequest($"The request body must be {FormMediaType}.");
        }

        IFormCollection form;
        try
        {
            context.Features.Set<IFormFeature>(new FormFeature(request, FormLimits));
            form = await request.ReadFormAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidDataException)
        {
            return InvalidRequest("The request body is not an acceptable form.");
        }

        if (form.Any(field => field.Value.Count > 1))
        {
            return InvalidRequest("Request parameters must not be repeated.");
        }

        var grantType = (string?)form["grant_type"];
        if (string.IsNullOrEmpty(grantType))
        {
            return InvalidRequest("grant_type is required.");
        }

        if (!string.Equals(grantType, ClientCredentialsGrant, StringComparison.Ordinal))
        {
            return Error(StatusCodes.Status400BadRequest, "unsupported_grant_type", $"Only {ClientCredentialsGrant} is supported.");
        }

        var formClientId = (string?)form["client_id"];
        var formSecret = (string?)form["client_secret"];
        string clientId;
        string secret;
        if (request.Headers.Authorization is { Count: > 0 } authorization)
        {
            if (authorization.Count > 1 || formSecret is not null)
            {
                return InvalidRequest("Use one client authentication method: HTTP Basic or form fields, not both.");
            }

            if (!TryReadBasic(authorization, out clientId, out secret))
            {
                return InvalidClient(context);
            }

            if (!string.IsNullOrEmpty(formClientId) && !string.Equals(formClientId, clientId, StringComparison.Ordinal))
            {
                return InvalidRequest("Use one client authentication method: HTTP Basic or form fields, not both.");
            }
        }
        else
        {
            if (string.IsNullOrEmpty(formClientId) || string.IsNullOrEmpty(formSecret))
            {
                return InvalidRequest("client_id and client_secret are required.");
            }

            (clientId, secret) = (formClientId, formSecret);
        }

        // Ids that cannot be ours cost nothing: refused before any limiter, lookup or hash, with the usual answer.
        if (!ClientCredentials.IsWellFormedClientId(clientId))
        {
            Log.ClientAuthenticationFailed(logger, "malformed client id", "-");
            return InvalidClient(context);
        }

        // Failed secret checks are limited per client id and source address (the permit is taken before the check and
        // given back unless the secret was wrong), with the same answer whether the client exists or not.
        var address = context.Connection.RemoteIpAddress;
        var check = await secretChecks.BeginCheckAsync(clientId, address, cancellationToken).ConfigureAwait(false);
        if (!check.IsAllowed)
        {
            return RateLimitRejection.Result(context, check);
        }

        ClientCredential? credential;
        using (var timeout = new CancellationTokenSource(options.CurrentValue.CredentialStoreTimeout, timeProvider))
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken))
        {
            try
            {
                // Through the postgres pipeline: transient errors are retried, and while its breaker is open
                // the answer is an immediate 503 instead of a wait for a database that is down.
                var pipeline = pipelines.GetPipeline(DependencyNames.Postgres);
                credential = await pipeline.ExecuteAsync(
                    static async (state, ct) => await state.store.FindAsync(state.clientId, ct).ConfigureAwait(false),
                    (store, clientId),
                    linked.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (DependencyUnavailable.IsPostgresFailure(ex)
                || (ex is OperationCanceledException && timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested))
            {
                // Fail closed: without the store nobody is authenticated, and a valid client is not told it is invalid.
                // Any other database error (a missing table, a refused login) leaves the secret just as unchecked, so it
                // gets the same answer and gives the permit back: an outage of ours never counts as a failed secret check.
                Log.CredentialStoreUnavailable(logger, ex);
                await secretChecks.NotFailedAsync(clientId, address, CancellationToken.None).ConfigureAwait(false);
                context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                return Error(StatusCodes.Status503ServiceUnavailable, "temporarily_unavailable", "Client credentials cannot be checked right now; retry later.");
            }
        }

        // Unknown and revoked clients are checked against a dummy: same work, same answer.
        var client = credential?.Client;
        var usable = credential is { Client.IsRevoked: false };
        var storedHash = usable ? credential!.SecretHash : null;
        if (ClientSecretHasher.IsLegacy(storedHash))
        {
            // A PBKDF2 check costs tens of milliseconds: limited per client id until the first success re-hashes it.
            var legacy = await legacyChecks.AcquireAsync(clientId, cancellationToken).ConfigureAwait(false);
            if (!legacy.IsAllowed)
            {
                await secretChecks.NotFailedAsync(clientId, address, CancellationToken.None).ConfigureAwait(false);
                return RateLimitRejection.Result(context, legacy);
            }
        }

        if (!hasher.Verify(secret, storedHash) || client is null || storedHash is null)
        {
            Log.ClientAuthenticationFailed(logger, client is null ? "unknown client" : usable ? "wrong secret" : "revoked client", client?.ClientId ?? "-");
            return InvalidClient(context);
        }

        await secretChecks.NotFailedAsync(clientId, address, cancellationToken).ConfigureAwait(false);
        if (hasher.NeedsRehash(storedHash))
        {
            await RehashAsync(client.ClientId, secret, storedHash, cancellationToken).ConfigureAwait(false);
        }

        var granted = client.Scopes;
        var requestedScope = (string?)form["scope"];
        if (!string.IsNullOrWhiteSpace(requestedScope))
        {
            var requested = requestedScope.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (!requested.All(scope => client.Scopes.Contains(scope, StringComparer.Ordinal)))
            {
                return Error(StatusCodes.Status400BadRequest, "invalid_scope", "The requested scope is not granted to this client.");
            }

            granted = [.. client.Scopes.Where(scope => requested.Contains(scope, StringComparer.Ordinal))];
        }

        var (token, lifetime) = issuer.Issue(client.ClientId, client.Tenant, granted);
        var scopeText = string.Join(' ', granted);
        Log.TokenIssued(logger, client.ClientId, client.Tenant, scopeText);
        return TypedResults.Json(new IssuedTokenResponse(token, "Bearer", (int)lifetime.TotalSeconds, scopeText));
    }

    /// <summary>
    /// Replaces a hash that just verified by one under the current pepper. Best effort: the secret was right, so the
    /// client gets its token even if the store cannot be written now; the next use tries again.
    /// </summary>
    private async Task RehashAsync(string clientId, string secret, string verifiedHash, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(options.CurrentValue.CredentialStoreTimeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        try
        {
            if (await store.RehashAsync(clientId, secret, verifiedHash, linked.Token).ConfigureAwait(false))
            {
                Log.SecretRehashed(logger, clientId, hasher.CurrentPepperId);
            }
        }
        catch (Exception ex) when (DependencyUnavailable.IsPostgresFailure(ex)
            || (ex is OperationCanceledException && timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested))
        {
            Log.RehashFailed(logger, clientId, ex);
        }
    }

    private static bool IsForm(string? contentType) =>
        Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out var mediaType)
        && mediaType.MediaType.Equals(FormMediaType, StringComparison.OrdinalIgnoreCase);

    /// <summary>Reads <c>Basic base64(urlencode(id) ":" urlencode(secret))</c> (RFC 6749 2.3.1).</summary>
    private static bool TryReadBasic(StringValues authorization, out string clientId, out string secret)
    {
        clientId = "";
        secret = "";
        var value = authorization.ToString();
        const string Prefix = "Basic ";
        if (!value.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        string decoded;
        try
        {
            decoded = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(Convert.FromBase64String(value[Prefix.Length..].Trim()));
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            return false;
        }

        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            return false;
        }

        clientId = WebUtility.UrlDecode(decoded[..colon]);
        secret = WebUtility.UrlDecode(decoded[(colon + 1)..]);
        return clientId.Length > 0 && secret.Length > 0;
    }

    private static JsonHttpResult<OAuthError> InvalidRequest(string description) =>
        Error(StatusCodes.Status400BadRequest, "invalid_request", description);

    private static JsonHttpResult<OAuthError> InvalidClient(HttpContext context)
    {
        // The same answer for an unknown client, a revoked one and a wrong secret.
        context.Response.Headers.WWWAuthenticate = $"Basic realm=\"{BearerEvents.Realm}\"";
        return Error(StatusCodes.Status401Unauthorized, "invalid_client", "Client authentication failed.");
    }

    private static JsonHttpResult<OAuthError> Error(int status, string error, string description) =>
        TypedResults.Json(new OAuthError(error, description), statusCode: status);

    private static partial class Log
    {
        [LoggerMessage(EventId = 2001, EventName = "AccessTokenIssued", Level = LogLevel.Information,
            Message = "Issued an access token to client {ClientId} of tenant {Tenant} with scopes '{Scopes}'")]
        public static partial void TokenIssued(ILogger logger, string clientId, string tenant, string scopes);

        [LoggerMessage(EventId = 2002, EventName = "ClientAuthenticationFailed", Level = LogLevel.Warning,
            Message = "Client authentication failed: {Reason} (client {ClientId})")]
        public static partial void ClientAuthenticationFailed(ILogger logger, string reason, string clientId);

        [LoggerMessage(EventId = 2003, EventName = "CredentialStoreUnavailable", Level = LogLevel.Error,
            Message = "The credential store cannot be read; token requests are answered 503 temporarily_unavailable")]
        public static partial void CredentialStoreUnavailable(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 2006, EventName = "ClientSecretRehashed", Level = LogLevel.Information,
            Message = "Re-hashed client {ClientId}'s secret under pepper '{PepperId}'")]
        public static partial void SecretRehashed(ILogger logger, string clientId, string pepperId);

        [LoggerMessage(EventId = 2007, EventName = "ClientSecretRehashFailed", Level = LogLevel.Warning,
            Message = "Could not re-hash client {ClientId}'s secret; its next use tries again")]
        public static partial void RehashFailed(ILogger logger, string clientId, Exception exception);
    }
}
