using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Messaging.FakeServices.Instances;
using Messaging.FakeServices.Ledger;
using Messaging.FakeServices.Providers;
using Microsoft.Extensions.Options;

namespace Messaging.FakeServices.Notifications;

/// <summary>The notifications provider: <c>POST /v1/messages</c> (API key as bearer, idempotency key).</summary>
internal static partial class NotificationsEndpoints
{
    private static readonly string[] Channels = ["email", "sms"];

    public static IEndpointRouteBuilder MapNotificationsProvider(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/v1/messages", SendAsync)
            .AddEndpointFilter(new ProviderRequestFilter(ProviderKind.Notifications, tokenEndpoint: false))
            .WithName("NotificationsMessages");
        return endpoints;
    }

    private static async Task<IResult> SendAsync(HttpContext http, ProviderLedger ledger, IOptions<FakeServicesOptions> options,
        TimeProvider timeProvider, ILoggerFactory loggers)
    {
        var call = ProviderCall.Of(http);
        var apiKey = ProviderHeaders.BearerToken(http.Request) ?? string.Empty;
        if (!CryptographicOperations.FixedTimeEquals(
                SHA256.HashData(Encoding.UTF8.GetBytes(apiKey)),
                SHA256.HashData(Encoding.UTF8.GetBytes(options.Value.Notifications.ApiKey))))
        {
            http.Response.Headers.WWWAuthenticate = "Bearer";
            return ProviderResults.Error(StatusCodes.Status401Unauthorized, "invalid_api_key", "The API key is missing or wrong.");
        }

        if (ProviderHeaders.IdempotencyKeyProblem(http.Request, call.IdempotencyKey) is { } keyProblem)
        {
            return keyProblem;
        }

        var (message, problem) = await ReadMessageAsync(http).ConfigureAwait(false);
        if (message is null)
        {
            return ProviderResults.Error(StatusCodes.Status400BadRequest, "invalid_request", problem!);
        }

        var fingerprint = $"{message.Channel}|{message.To}|{message.Subject}|{message.Body}";
        var result = ledger.For(ProviderKind.Notifications).Execute(call.IdempotencyKey!, call.Instance.Name, fingerprint, timeProvider.GetUtcNow(),
            () => Send(message));
        call.Replayed = result.Replayed;

        var logger = loggers.CreateLogger(typeof(NotificationsEndpoints));
        if (result.Replayed)
        {
            Log.MessageReplayed(logger, call.IdempotencyKey!, call.Instance.Name, result.Outcome.Status);
        }
        else if (result.Outcome.Kind == OutcomeKind.Effect)
        {
            Log.MessageAccepted(logger, result.Outcome.EffectId!, call.IdempotencyKey!, call.Instance.Name);
        }
        else
        {
            Log.MessageRefused(logger, call.IdempotencyKey!, call.Instance.Name);
        }

        return Results.Json(result.Outcome.Body, statusCode: result.Outcome.Status);
    }

    private static ProviderOutcome Send(MessageRequest message)
    {
        if (string.Equals(message.To, FakeServicesDefaults.RefusedRecipient, StringComparison.OrdinalIgnoreCase))
        {
            return new ProviderOutcome(OutcomeKind.Refusal, StatusCodes.Status400BadRequest,
                new ProviderError("recipient_refused", "The recipient refuses messages."), EffectId: null);
        }

        var id = "msg_" + Guid.NewGuid().ToString("N");
        return new ProviderOutcome(OutcomeKind.Effect, StatusCodes.Status202Accepted, new MessageResponse(id), id);
    }

    private static async Task<(MessageRequest? Message, string? Problem)> ReadMessageAsync(HttpContext http)
    {
        MessageRequest? message;
        try
        {
            message = await JsonSerializer.DeserializeAsync<MessageRequest>(http.Request.Body, ProviderJson.Options, http.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException)
        {
            return (null, "The body is not a valid JSON message.");
        }

        if (message is null)
        {
            return (null, "The body is required.");
        }

        if (message.Channel is null || !Channels.Contains(message.Channel, StringComparer.Ordinal))
        {
            return (null, "channel must be email or sms.");
        }

        if (string.IsNullOrWhiteSpace(message.To))
        {
            return (null, "to is required.");
        }

        if (message.Channel == "email" && !message.To.Contains('@', StringComparison.Ordinal))
        {
            return (null, "to must be an email address for the email channel.");
        }

        if (string.IsNullOrWhiteSpace(message.Body))
        {
            return (null, "body is required.");
        }

        return (message, null);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 500, EventName = "MessageAccepted", Level = LogLevel.Debug, Message = "Message {MessageId} accepted for key {IdempotencyKey} on {Instance}")]
        public static partial void MessageAccepted(ILogger logger, string messageId, string idempotencyKey, string instance);

        [LoggerMessage(EventId = 501, EventName = "MessageRefused", Level = LogLevel.Debug, Message = "Message for key {IdempotencyKey} refused on {Instance}")]
        public static partial void MessageRefused(ILogger logger, string idempotencyKey, string instance);

        [LoggerMessage(EventId = 502, EventName = "MessageReplayed", Level = LogLevel.Debug, Message = "Message key {IdempotencyKey} replayed on {Instance} with status {Status}")]
        public static partial void MessageReplayed(ILogger logger, string idempotencyKey, string instance, int status);
    }
}

/// <summary>The body of <c>POST /v1/messages</c>.</summary>
internal sealed record MessageRequest(string? Channel, string? To, string? Subject, string? Body);

/// <summary>The answer of an accepted message (202).</summary>
internal sealed record MessageResponse(string Id);
