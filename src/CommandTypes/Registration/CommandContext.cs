using Messaging.CommandTypes.Providers;
using Polly;

namespace Messaging.CommandTypes;

/// <summary>
/// What a handler knows about the command it executes, beside the command itself: its id (also the
/// idempotency key for the provider), tenant, type, attempt and deadline, and the provider's
/// <see cref="HttpClient"/>, which sends through the provider's endpoints in failover order, each behind its
/// own resilience pipeline (timeouts bounded by the deadline, retries, breaker, credentials).
/// </summary>
public sealed class CommandContext
{
    /// <summary>
    /// Creates the context the workers hand a handler (tests of a handler create one too, with an
    /// <see cref="HttpClient"/> of their own and <c>ResilienceContextPool.Shared.Get()</c>).
    /// </summary>
    public CommandContext(Guid commandId, string tenant, string commandType, int attempt, DateTimeOffset? deadline, string provider, HttpClient http,
        ResilienceContext resilienceContext)
    {
        CommandId = commandId;
        Tenant = tenant;
        CommandType = commandType;
        Attempt = attempt;
        Deadline = deadline;
        Provider = provider;
        Http = http;
        ResilienceContext = resilienceContext;
    }

    /// <summary>The command id: the message id on the bus, and the idempotency key to send the provider.</summary>
    public Guid CommandId { get; }

    /// <summary>The tenant that owns the command.</summary>
    public string Tenant { get; }

    /// <summary>The command type name, for example <c>payments.charge</c>.</summary>
    public string CommandType { get; }

    /// <summary>The attempt number, starting at 1 (deferrals by an open breaker or a quota do not count).</summary>
    public int Attempt { get; }

    /// <summary>When the command stops being worth executing, if it has a deadline. Every timeout below is bounded by it.</summary>
    public DateTimeOffset? Deadline { get; }

    /// <summary>The provider the type is registered with (<c>UsesProvider</c>).</summary>
    public string Provider { get; }

    /// <summary>
    /// The provider's client: its base address is the first endpoint, and relative request URIs
    /// (<c>v1/charges</c>) go to each endpoint in turn. Send with <see cref="SendAsync"/>, which attaches the
    /// command's deadline and turns failures without an answer into <see cref="ProviderException"/>s.
    /// </summary>
    public HttpClient Http { get; }

    /// <summary>Fires when the command's deadline passes or the host stops.</summary>
    public CancellationToken CancellationToken => ResilienceContext.CancellationToken;

    /// <summary>The resilience context of this execution: the deadline travels in it to every pipeline.</summary>
    internal ResilienceContext ResilienceContext { get; }

    /// <summary>
    /// Sends <paramref name="request"/> to the provider with <see cref="CommandId"/> as its
    /// <c>Idempotency-Key</c> (unless the request sets one), through the provider's pipelines and failover.
    /// </summary>
    /// <returns>The provider's answer, whatever its status: the handler decides what a status means.</returns>
    /// <exception cref="ProviderException">No answer: a connection failure, a timeout or open breakers (all transient).</exception>
    public Task<HttpResponseMessage> SendAsync(HttpRequestMessage request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!request.Headers.Contains(ProviderHttp.IdempotencyKeyHeader))
        {
            request.Headers.Add(ProviderHttp.IdempotencyKeyHeader, CommandId.ToString("D"));
        }

        return ProviderHttp.SendAsync(Http, request, Provider, ResilienceContext);
    }
}
