using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Messaging.FakeServices.Instances;
using Messaging.FakeServices.Ledger;
using Messaging.FakeServices.Providers;
using Microsoft.Extensions.Options;

namespace Messaging.FakeServices.Shipping;

/// <summary>The shipping provider: <c>POST /v1/labels</c> (API key in <c>X-Api-Key</c>, idempotency key).</summary>
internal static partial class ShippingEndpoints
{
    /// <summary>The header that carries the shipping API key.</summary>
    public const string ApiKeyHeader = "X-Api-Key";

    public static IEndpointRouteBuilder MapShippingProvider(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/v1/labels", CreateLabelAsync)
            .AddEndpointFilter(new ProviderRequestFilter(ProviderKind.Shipping, tokenEndpoint: false))
            .WithName("CreateLabel");
        return endpoints;
    }

    private static async Task<IResult> CreateLabelAsync(HttpContext http, ProviderLedger ledger, IOptions<FakeServicesOptions> options,
        TimeProvider timeProvider, ILoggerFactory loggers)
    {
        var call = ProviderCall.Of(http);
        var apiKeys = http.Request.Headers[ApiKeyHeader];
        var apiKey = apiKeys.Count == 1 ? apiKeys[0] ?? string.Empty : string.Empty;
        if (!CryptographicOperations.FixedTimeEquals(
                SHA256.HashData(Encoding.UTF8.GetBytes(apiKey)),
                SHA256.HashData(Encoding.UTF8.GetBytes(options.Value.Shipping.ApiKey))))
        {
            return ProviderResults.Error(StatusCodes.Status401Unauthorized, "invalid_api_key", "The API key is missing or wrong.");
        }

        if (ProviderHeaders.IdempotencyKeyProblem(http.Request, call.IdempotencyKey) is { } keyProblem)
        {
            return keyProblem;
        }

        var (label, problem) = await ReadLabelAsync(http).ConfigureAwait(false);
        if (label is null)
        {
            return ProviderResults.Error(StatusCodes.Status400BadRequest, "invalid_request", problem!);
        }

        var fingerprint = string.Create(CultureInfo.InvariantCulture,
            $"{label.Carrier}|{label.Recipient}|{label.PostalCode}|{label.Country}|{label.WeightGrams}");
        var result = ledger.For(ProviderKind.Shipping).Execute(call.IdempotencyKey!, call.Instance.Name, fingerprint, timeProvider.GetUtcNow(),
            () => CreateLabel(label));
        call.Replayed = result.Replayed;

        var logger = loggers.CreateLogger(typeof(ShippingEndpoints));
        if (result.Replayed)
        {
            Log.LabelReplayed(logger, call.IdempotencyKey!, call.Instance.Name, result.Outcome.Status);
        }
        else if (result.Outcome.Kind == OutcomeKind.Effect)
        {
            Log.LabelCreated(logger, result.Outcome.EffectId!, call.IdempotencyKey!, call.Instance.Name);
        }
        else
        {
            Log.LabelRefused(logger, call.IdempotencyKey!, call.Instance.Name);
        }

        return Results.Json(result.Outcome.Body, statusCode: result.Outcome.Status);
    }

    private static ProviderOutcome CreateLabel(LabelRequest label)
    {
        if (string.Equals(label.PostalCode, FakeServicesDefaults.UndeliverablePostalCode, StringComparison.Ordinal))
        {
            return new ProviderOutcome(OutcomeKind.Refusal, StatusCodes.Status422UnprocessableEntity,
                new ShippingErrorResponse(new ShippingError("undeliverable", "The carrier does not deliver to this postal code.")), EffectId: null);
        }

        var id = "lbl_" + Guid.NewGuid().ToString("N");
        var trackingNumber = "TRK" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
        return new ProviderOutcome(OutcomeKind.Effect, StatusCodes.Status201Created, new LabelResponse(id, trackingNumber, label.Carrier!), id);
    }

    private static async Task<(LabelRequest? Label, string? Problem)> ReadLabelAsync(HttpContext http)
    {
        LabelRequest? label;
        try
        {
            label = await JsonSerializer.DeserializeAsync<LabelRequest>(http.Request.Body, ProviderJson.Options, http.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException)
        {
            return (null, "The body is not a valid JSON label.");
        }

        if (label is null)
        {
            return (null, "The body is required.");
        }

        if (string.IsNullOrWhiteSpace(label.Carrier))
        {
            return (null, "carrier is required.");
        }

        if (string.IsNullOrWhiteSpace(label.Recipient))
        {
            return (null, "recipient is required.");
        }

        if (string.IsNullOrWhiteSpace(label.PostalCode))
        {
            return (null, "postalCode is required.");
        }

        if (label.Country is not { Length: 2 } country || !country.All(char.IsAsciiLetterUpper))
        {
            return (null, "country must be an ISO 3166-1 alpha-2 code (two upper-case letters).");
        }

        if (label.WeightGrams is not > 0)
        {
            return (null, "weightGrams must be an integer greater than 0.");
        }

        return (label, null);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 600, EventName = "LabelCreated", Level = LogLevel.Debug, Message = "Label {LabelId} created for key {IdempotencyKey} on {Instance}")]
        public static partial void LabelCreated(ILogger logger, string labelId, string idempotencyKey, string instance);

        [LoggerMessage(EventId = 601, EventName = "LabelRefused", Level = LogLevel.Debug, Message = "Label for key {IdempotencyKey} refused (undeliverable) on {Instance}")]
        public static partial void LabelRefused(ILogger logger, string idempotencyKey, string instance);

        [LoggerMessage(EventId = 602, EventName = "LabelReplayed", Level = LogLevel.Debug, Message = "Label key {IdempotencyKey} replayed on {Instance} with status {Status}")]
        public static partial void LabelReplayed(ILogger logger, string idempotencyKey, string instance, int status);
    }
}

/// <summary>The body of <c>POST /v1/labels</c>.</summary>
internal sealed record LabelRequest(string? Carrier, string? Recipient, string? PostalCode, string? Country, int? WeightGrams);

/// <summary>The answer of a created label (201).</summary>
internal sealed record LabelResponse(string Id, string TrackingNumber, string Carrier);

/// <summary>The body of a shipping refusal (422): <c>{"error":{"code":"...","message":"..."}}</c>.</summary>
internal sealed record ShippingErrorResponse(ShippingError Error);

/// <summary>The <c>error</c> object of <see cref="ShippingErrorResponse"/>.</summary>
internal sealed record ShippingError(string Code, string Message);
