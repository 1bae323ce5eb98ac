using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Messaging.FakeServices.Instances;
using Messaging.FakeServices.Ledger;
using Messaging.FakeServices.Providers;
using Microsoft.Extensions.Options;

namespace Messaging.FakeServices.Payments;

/// <summary>
/// The payments provider: <c>POST /oauth/token</c> (OAuth2 client credentials) and
/// <c>POST /v1/charges</c> (bearer token, idempotency key).
/// </summary>
internal static partial class PaymentsEndpoints
{
    private const string ChargeSucceeded = "succeeded";

    public static IEndpointRouteBuilder MapPaymentsProvider(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/oauth/token", IssueTokenAsync)
            .AddEndpointFilter(new ProviderRequestFilter(ProviderKind.Payments, tokenEndpoint: true))
            .DisableAntiforgery()
            .WithName("PaymentsToken");
        endpoints.MapPost("/v1/charges", CreateChargeAsync)
            .AddEndpointFilter(new ProviderRequestFilter(ProviderKind.Payments, tokenEndpoint: false))
            .WithName("PaymentsCharges");
        return endpoints;
    }

    private static async Task<IResult> IssueTokenAsync(HttpContext http, PaymentsTokenStore tokens, IOptions<FakeServicesOptions> options,
        ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger(typeof(PaymentsEndpoints));
        var request = http.Request;
        if (!request.HasFormContentType)
        {
            return OAuth(StatusCodes.Status400BadRequest, "invalid_request", "The body must be application/x-www-form-urlencoded.");
        }

        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(http.RequestAborted).ConfigureAwait(false);
        }
        catch (InvalidDataException)
        {
            return OAuth(StatusCodes.Status400BadRequest, "invalid_request", "The form body cannot be read.");
        }

        var grantType = form["grant_type"].ToString();
        if (string.IsNullOrEmpty(grantType))
        {
            return OAuth(StatusCodes.Status400BadRequest, "invalid_request", "grant_type is required.");
        }

        if (!string.Equals(grantType, "client_credentials", StringComparison.Ordinal))
        {
            return OAuth(StatusCodes.Status400BadRequest, "unsupported_grant_type", "Only client_credentials is supported.");
        }

        var usedBasic = TryReadBasic(request, out var clientId, out var clientSecret);
        if (!usedBasic)
        {
            clientId = form["client_id"].ToString();
            clientSecret = form["client_secret"].ToString();
        }

        var expected = options.Value.Payments;
        if (!FixedTimeEquals(clientId, expected.ClientId) || !FixedTimeEquals(clientSecret, expected.ClientSecret))
        {
            Log.InvalidClient(logger, ProviderCall.Of(http).Instance.Name);
            if (usedBasic)
            {
                http.Response.Headers.WWWAuthenticate = "Basic realm=\"fake-payments\"";
            }

            return OAuth(StatusCodes.Status401Unauthorized, "invalid_client", "Client authentication failed.");
        }

        var (token, expiresIn) = tokens.Issue();
        Log.TokenIssued(logger, ProviderCall.Of(http).Instance.Name, expiresIn);
        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers.Pragma = "no-cache";
        return Results.Json(new TokenResponse(token, "Bearer", expiresIn));
    }

    private static async Task<IResult> CreateChargeAsync(HttpContext http, PaymentsTokenStore tokens, ProviderLedger ledger,
        TimeProvider timeProvider, ILoggerFactory loggers)
    {
        var call = ProviderCall.Of(http);
        if (!tokens.IsValid(ProviderHeaders.BearerToken(http.Request)))
        {
            http.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
            return ProviderResults.Error(StatusCodes.Status401Unauthorized, "invalid_token", "The access token is missing, unknown or expired.");
        }

        if (ProviderHeaders.IdempotencyKeyProblem(http.Request, call.IdempotencyKey) is { } keyProblem)
        {
            return keyProblem;
        }

        var (charge, problem) = await ReadChargeAsync(http).ConfigureAwait(false);
        if (charge is null)
        {
            return ProviderResults.Error(StatusCodes.Status400BadRequest, "invalid_request", problem!);
        }

        // G29 drops trailing zeros, so 12.5 and 12.50 are the same charge.
        var fingerprint = string.Create(CultureInfo.InvariantCulture, $"{charge.Amount!.Value:G29}|{charge.Currency}|{charge.CustomerId}|{charge.Description}");
        var result = ledger.For(ProviderKind.Payments).Execute(call.IdempotencyKey!, call.Instance.Name, fingerprint, timeProvider.GetUtcNow(),
            () => Charge(charge));
        call.Replayed = result.Replayed;

        var logger = loggers.CreateLogger(typeof(PaymentsEndpoints));
        if (result.Replayed)
        {
            Log.ChargeReplayed(logger, call.IdempotencyKey!, call.Instance.Name, result.Outcome.Status);
        }
        else if (result.Outcome.Kind == OutcomeKind.Effect)
        {
            Log.ChargeCreated(logger, result.Outcome.EffectId!, call.IdempotencyKey!, call.Instance.Name);
        }
        else
        {
            Log.ChargeDeclined(logger, call.IdempotencyKey!, call.Instance.Name);
        }

        return Results.Json(result.Outcome.Body, statusCode: result.Outcome.Status);
    }

    private static ProviderOutcome Charge(ChargeRequest charge)
    {
        if (string.Equals(charge.CustomerId, FakeServicesDefaults.DeclinedCustomerId, StringComparison.Ordinal))
        {
            return new ProviderOutcome(OutcomeKind.Refusal, StatusCodes.Status402PaymentRequired,
                new ProviderError("card_declined", "The card was declined."), EffectId: null);
        }

        var id = "ch_" + Guid.NewGuid().ToString("N");
        return new ProviderOutcome(OutcomeKind.Effect, StatusCodes.Status201Created,
            new ChargeResponse(id, ChargeSucceeded, charge.Amount, charge.Currency), id);
    }

    private static async Task<(ChargeRequest? Charge, string? Problem)> ReadChargeAsync(HttpContext http)
    {
        ChargeRequest? charge;
        try
        {
            charge = await JsonSerializer.DeserializeAsync<ChargeRequest>(http.Request.Body, ProviderJson.Options, http.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException)
        {
            return (null, "The body is not a valid JSON charge.");
        }

        if (charge is null)
        {
            return (null, "The body is required.");
        }

        if (charge.Amount is not > 0)
        {
            return (null, "amount must be greater than 0.");
        }

        if (charge.Currency is not { Length: 3 } currency || !currency.All(char.IsAsciiLetterUpper))
        {
            return (null, "currency must be an ISO 4217 code (three upper-case letters).");
        }

        if (string.IsNullOrWhiteSpace(charge.CustomerId))
        {
            return (null, "customerId is required.");
        }

        return (charge, null);
    }

    private static bool TryReadBasic(HttpRequest request, out string clientId, out string clientSecret)
    {
        clientId = clientSecret = string.Empty;
        if (!System.Net.Http.Headers.AuthenticationHeaderValue.TryParse(request.Headers.Authorization, out var header)
            || !string.Equals(header.Scheme, "Basic", StringComparison.OrdinalIgnoreCase)
            || header.Parameter is null)
        {
            return false;
        }

        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header.Parameter));
        }
        catch (FormatException)
        {
            return true; // Basic was used but unreadable: authentication fails with empty credentials.
        }

        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            return true;
        }

        // RFC 6749 section 2.3.1: both parts are form-urlencoded before being joined.
        clientId = System.Net.WebUtility.UrlDecode(decoded[..colon]);
        clientSecret = System.Net.WebUtility.UrlDecode(decoded[(colon + 1)..]);
        return true;
    }

    private static bool FixedTimeEquals(string actual, string expected) =>
        CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(actual)),
            SHA256.HashData(Encoding.UTF8.GetBytes(expected)));

    private static IResult OAuth(int status, string error, string description) =>
        Results.Json(new OAuthError(error, description), statusCode: status);

    private static partial class Log
    {
        [LoggerMessage(EventId = 410, EventName = "TokenIssued", Level = LogLevel.Debug, Message = "Payments token issued by {Instance}, expires in {ExpiresIn} s")]
        public static partial void TokenIssued(ILogger logger, string instance, int expiresIn);

        [LoggerMessage(EventId = 411, EventName = "InvalidClient", Level = LogLevel.Information, Message = "Payments token request on {Instance} rejected: invalid client")]
        public static partial void InvalidClient(ILogger logger, string instance);

        [LoggerMessage(EventId = 412, EventName = "ChargeCreated", Level = LogLevel.Debug, Message = "Charge {ChargeId} created for key {IdempotencyKey} on {Instance}")]
        public static partial void ChargeCreated(ILogger logger, string chargeId, string idempotencyKey, string instance);

        [LoggerMessage(EventId = 413, EventName = "ChargeDeclined", Level = LogLevel.Debug, Message = "Charge for key {IdempotencyKey} declined on {Instance}")]
        public static partial void ChargeDeclined(ILogger logger, string idempotencyKey, string instance);

        [LoggerMessage(EventId = 414, EventName = "ChargeReplayed", Level = LogLevel.Debug, Message = "Charge key {IdempotencyKey} replayed on {Instance} with status {Status}")]
        public static partial void ChargeReplayed(ILogger logger, string idempotencyKey, string instance, int status);
    }
}

/// <summary>The body of <c>POST /v1/charges</c>.</summary>
internal sealed record ChargeRequest(decimal? Amount, string? Currency, string? CustomerId, string? Description);

/// <summary>The answer of a successful charge (201).</summary>
internal sealed record ChargeResponse(string Id, string Status, decimal? Amount, string? Currency);

/// <summary>The answer of the token endpoint (200).</summary>
internal sealed record TokenResponse(
    [property: JsonPropertyName("access_token")] string AccessToken,
    [property: JsonPropertyName("token_type")] string TokenType,
    [property: JsonPropertyName("expires_in")] int ExpiresIn);
