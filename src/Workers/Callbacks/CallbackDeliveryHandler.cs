using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Polly.RateLimiting;
using Messaging.CommandTypes;
using Messaging.CommandTypes.Callbacks;
using Messaging.CommandTypes.Providers;
using Messaging.Contracts.Callbacks;
using Messaging.Resilience.Classification;
using Messaging.Store.Callbacks;
using Polly;
using Polly.CircuitBreaker;

namespace Messaging.Workers.Callbacks;

/// <summary>
/// Executes <c>callbacks.deliver</c>: posts one completion event, <c>{type, timestamp, data}</c>, to the subject's callback URL,
/// signed as Standard Webhooks says with every secret of the subject's client that signs now (<see cref="CallbackSigner"/>),
/// through its origin's pipelines (<see cref="CallbackOriginHandler"/>), without following redirects. A 2xx answer delivers
/// it. Anything else (another status, a timeout, no connection) is transient: the host retries it later through the outbox,
/// for <c>Commands:Types:callbacks.deliver:Retry:MaxRetryPeriod</c>, then dead-letters it. An origin whose breaker is open or
/// whose concurrency limit is reached defers it without an attempt.
/// </summary>
/// <remarks>
/// The receiver's answer is never stored, only its status code: <c>{"status": 204}</c> as the delivery's result. The event's
/// <c>webhook-id</c> is the delivery's id, the same on every attempt and redrive, so a receiver keeps the first.
/// </remarks>
internal sealed class CallbackDeliveryHandler(IHttpClientFactory httpClients, CallbackSigningSecrets secrets, TimeProvider timeProvider)
    : ICommandHandler<DeliverCallback>
{
    /// <summary>The named <see cref="HttpClient"/> that sends callbacks (no redirects, the origin pipelines).</summary>
    public const string HttpClientName = "callbacks";

    // What a deferred delivery waits when the refusal does not say: about a breaker's probe, or a free slot.
    private static readonly TimeSpan BreakerWait = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan LimitWait = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MinRetryAfter = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxRetryAfter = TimeSpan.FromHours(1);

    public async Task<CommandResult> HandleAsync(DeliverCallback command, CommandContext context)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(context);
        var now = timeProvider.GetUtcNow();
        var signing = await secrets.ForClientAsync(command.ClientId, now, context.CancellationToken).ConfigureAwait(false);
        if (signing.Count == 0)
        {
            // Nothing to sign with: an unsigned event would teach receivers to accept forgeries. An operator redrives it once
            // the client has a secret (clients rotate-callback-secret).
            throw new ProviderException(context.Provider, "the client has no callback signing secret", isTransient: false);
        }

        var body = EventBody(command);
        using var request = new HttpRequestMessage(HttpMethod.Post, command.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        var webhookId = CallbackSigner.WebhookIdOf(command.CommandId);
        request.Headers.TryAddWithoutValidation(CallbackSigner.IdHeader, webhookId);
        request.Headers.TryAddWithoutValidation(CallbackSigner.TimestampHeader, CallbackSigner.TimestampOf(now));
        request.Headers.TryAddWithoutValidation(CallbackSigner.SignatureHeader,
            CallbackSigner.Sign(webhookId, now, System.Text.Encoding.UTF8.GetString(body), signing));

        var resilienceContext = ResilienceContextPool.Shared.Get(context.CancellationToken);
        try
        {
            using var response = await ProviderHttp.SendAsync(httpClients.CreateClient(HttpClientName), request, context.Provider, resilienceContext,
                HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                return CommandResult.Accepted(string.Create(CultureInfo.InvariantCulture, $$"""{"status":{{status}}}"""));
            }

            // Every other answer is worth another try later: the receiver may be deploying, misconfigured or overloaded.
            // A receiver's Retry-After is heeded within bounds: it cannot make the gateway call it again at once, nor push the
            // delivery past its retry period with one answer.
            var retryAfter = TransientFailures.RetryAfter(response, timeProvider) is { } asked ? Math.Clamp(asked.Ticks, MinRetryAfter.Ticks, MaxRetryAfter.Ticks) : (long?)null;
            throw new ProviderException(context.Provider, $"unexpected status {status}", isTransient: true, response.StatusCode,
                retryAfter: retryAfter is { } ticks ? TimeSpan.FromTicks(ticks) : null);
        }
        catch (ProviderException ex) when (ex.RejectedByBreaker)
        {
            var open = (BrokenCircuitException)ex.InnerException!;
            throw ProviderException.Deferral(context.Provider, "the origin's circuit is open", open.RetryAfter ?? BreakerWait, open);
        }
        catch (RateLimiterRejectedException ex)
        {
            throw ProviderException.Deferral(context.Provider, "the origin has as many deliveries in flight as allowed", ex.RetryAfter ?? LimitWait, ex);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(resilienceContext);
        }
    }

    /// <inheritdoc />
    public string? Check(DeliverCallback command)
    {
        ArgumentNullException.ThrowIfNull(command);
        return ProviderHttp.IsHttpUrl(command.Url) ? null : "The callback URL is not an absolute http(s) URL.";
    }

    /// <summary>The event as the receiver gets it: <c>{"type", "timestamp", "data"}</c>, UTF-8 JSON.</summary>
    internal static byte[] EventBody(DeliverCallback command)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("type", command.EventType);
            writer.WriteString("timestamp", command.OccurredAt.ToUniversalTime());
            writer.WritePropertyName("data");
            command.Data.WriteTo(writer);
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }
}
