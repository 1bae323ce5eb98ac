using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace Messaging.Client;

/// <summary>
/// A typed client of the messaging gateway. Register it with
/// <see cref="MessagingClientServiceCollectionExtensions.AddMessagingClient"/> and inject it.
/// </summary>
/// <remarks>
/// <para>Every call gets an access token first (refreshed ahead of expiry, one request for all concurrent
/// callers). A 401 on a call makes the client drop its token and try once more with a new one: the gateway
/// refused the token (for example after a signing-key rotation), not the request.</para>
/// <para>Retries: a call is retried only when it is safe and may help: connection failures, 503 and
/// 429, waiting as long as <c>Retry-After</c> asks, otherwise with exponential backoff and jitter. No
/// other answer is retried: a 4xx needs a change to the request. A send keeps one <c>Idempotency-Key</c>
/// over all its retries (a batch one per item), so a retry after a lost answer gets the first answer again and
/// never creates a second command. A cancel is safe to repeat: a cancelled command answers the same.</para>
/// </remarks>
public sealed partial class MessagingClient
{
    /// <summary>The most commands the gateway takes in one batch (<see cref="SendBatchAsync"/>).</summary>
    public const int MaxBatchSize = 100;

    private const string IdempotencyKeyHeader = "Idempotency-Key";
    private const string CommandTimeoutHeader = "Command-Timeout";
    private const string IdempotentReplayedHeader = "Idempotent-Replayed";
    private const string NotBeforeHeader = "Not-Before";
    private const string CallbackUrlHeader = "Callback-Url";

    // The scopes the operations API needs, named in a 403's message (the gateway's forbidden answer does not name them).
    private const string OperationsScopes = "admin or operator";
    private const string OperatorScope = "operator";

    private readonly HttpClient _http;
    private readonly AccessTokenSource _tokens;
    private readonly MessagingClientOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline<HttpResponseMessage> _retry;

    internal MessagingClient(HttpClient http, AccessTokenSource tokens, MessagingClientOptions options, TimeProvider timeProvider, ILogger<MessagingClient> logger)
    {
        _http = http;
        _tokens = tokens;
        _options = options;
        _timeProvider = timeProvider;
        _logger = logger;
        _retry = BuildRetry(options, timeProvider, logger);
    }

    /// <summary>Sends a command and returns once the gateway has stored it (202).</summary>
    /// <typeparam name="TCommand">The request type; its <see cref="ICommandRequest.CommandType"/> picks the URL.</typeparam>
    /// <param name="command">The command's fields.</param>
    /// <param name="options">An idempotency key, a timeout and a not-before, all optional.</param>
    /// <param name="cancellationToken">Stops waiting (the command may still have been stored: send again with the same key to find out).</param>
    /// <returns>The accepted command, with <see cref="CommandAccepted.Replayed"/> set when the key had been used for the same request.</returns>
    /// <exception cref="MessagingClientException">The gateway refused the command (400, 401, 403, 404, 409, 413, 422) or stayed unavailable through the retries.</exception>
    /// <exception cref="ArgumentException">An invalid idempotency key or timeout.</exception>
    public Task<CommandAccepted> SendAsync<TCommand>(TCommand command, SendOptions? options = null, CancellationToken cancellationToken = default)
        where TCommand : ICommandRequest
    {
        ArgumentNullException.ThrowIfNull(command);
        return SendBodyAsync(TCommand.CommandType, JsonSerializer.SerializeToUtf8Bytes(command, GatewayResponses.Json), options, cancellationToken);
    }

    /// <summary>Sends a command given as JSON, for types this client has no request record for (or tools that take JSON as input).</summary>
    /// <param name="commandType">The type name, for example <c>payments.charge</c>.</param>
    /// <param name="payload">The body, a JSON object of the type's fields.</param>
    /// <param name="options">An idempotency key, a timeout and a not-before, all optional.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <inheritdoc cref="SendAsync{TCommand}(TCommand, SendOptions?, CancellationToken)" path="/returns"/>
    /// <inheritdoc cref="SendAsync{TCommand}(TCommand, SendOptions?, CancellationToken)" path="/exception"/>
    public Task<CommandAccepted> SendAsync(string commandType, JsonElement payload, SendOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(commandType);
        if (payload.ValueKind != JsonValueKind.Object)
        {
            throw new ArgumentException("The payload must be a JSON object.", nameof(payload));
        }

        return SendBodyAsync(commandType, JsonSerializer.SerializeToUtf8Bytes(payload), options, cancellationToken);
    }

    /// <summary>
    /// Sends 1 to <see cref="MaxBatchSize"/> commands in one request (<c>POST /api/commands/batch</c>); the gateway checks
    /// them all first and stores them all in one transaction, or none.
    /// </summary>
    /// <param name="items">The commands, made with <see cref="CommandBatchItem.For{TCommand}"/> or <see cref="CommandBatchItem.FromJson"/>.</param>
    /// <param name="cancellationToken">Stops waiting (the batch may still have been stored: send the same keys again to find out).</param>
    /// <returns>The accepted commands in the order of <paramref name="items"/>, each with its key and whether it was replayed.</returns>
    /// <remarks>
    /// Each item without an idempotency key gets a new one for this call, kept over its retries, so a batch retried after
    /// a lost answer is answered with its first answer (every item <see cref="CommandAccepted.Replayed"/>) and creates
    /// nothing twice. Every item counts against the tenant's rate limit. There is no fallback while the gateway's
    /// database is down: the call is retried on 503 like any other, then fails.
    /// </remarks>
    /// <exception cref="MessagingClientException">
    /// The gateway refused the batch, so nothing of it was stored: 400 (<see cref="MessagingClientException.Errors"/>
    /// keyed <c>items[3].body.amount</c>, <c>items[1].type</c>, ...), 409 (an item's key is in flight) or 422 (an item's
    /// key was used for another request), each naming the items in <see cref="MessagingClientException.FailedItems"/>;
    /// 413, 415; or it stayed unavailable through the retries.
    /// </exception>
    /// <exception cref="ArgumentException">No item, more than <see cref="MaxBatchSize"/>, or a null item.</exception>
    public async Task<CommandBatchAccepted> SendBatchAsync(IReadOnlyList<CommandBatchItem> items, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        if (items.Count is 0 or > MaxBatchSize)
        {
            throw new ArgumentException($"A batch has 1 to {MaxBatchSize} items.", nameof(items));
        }

        if (items.Any(item => item is null))
        {
            throw new ArgumentException("A batch item is null.", nameof(items));
        }

        // One key per item and logical send, made before the first attempt and reused by every retry.
        var keys = items.Select(item => SendOptionsWire.KeyOf(item.Options)).ToArray();
        var body = JsonSerializer.SerializeToUtf8Bytes(new CommandBatchRequest([.. items.Select((item, i) => new CommandBatchRequestItem(
            item.Type, item.Body, keys[i], SendOptionsWire.NotBeforeOf(item.Options), SendOptionsWire.TimeoutSecondsOf(item.Options),
            SendOptionsWire.CallbackUrlOf(item.Options)))]), GatewayResponses.Json);
        using var response = await SendWithRetriesAsync(() => new HttpRequestMessage(HttpMethod.Post, "api/commands/batch") { Content = JsonContent(body) },
            cancellationToken).ConfigureAwait(false);
        var accepted = await GatewayResponses.ReadAsync<CommandBatchAccepted>(response, _timeProvider, cancellationToken).ConfigureAwait(false);
        if (accepted.Items.Count != items.Count)
        {
            throw new MessagingClientException($"The gateway answered {accepted.Items.Count} items to a batch of {items.Count}.") { StatusCode = response.StatusCode };
        }

        return new CommandBatchAccepted { Items = [.. accepted.Items.Select((item, i) => item with { IdempotencyKey = keys[i] })] };
    }

    /// <summary>
    /// Cancels a command no attempt has started yet (<see cref="CommandStatus.Accepted"/>, <see cref="CommandStatus.Dispatched"/>
    /// or <see cref="CommandStatus.Scheduled"/>; <c>POST /api/commands/{id}/cancel</c>): it becomes
    /// <see cref="CommandStatus.Cancelled"/> and is never executed. Cancelling a cancelled command answers the same, so the
    /// call is retried like a read.
    /// </summary>
    /// <param name="commandId">The command id.</param>
    /// <param name="cancellationToken">Stops waiting (the cancel may still have happened: call again to find out).</param>
    /// <returns>The command's status, <see cref="CommandStatus.Cancelled"/>, with the error code <c>cancelled</c>.</returns>
    /// <exception cref="MessagingClientException">
    /// 409 when it can no longer be cancelled: an attempt is running or it has ended
    /// (<see cref="MessagingClientException.CommandStatus"/> says which status it is in); 404 for an unknown id (or
    /// another tenant's); or the gateway stayed unavailable.
    /// </exception>
    public async Task<CommandInfo> CancelAsync(Guid commandId, CancellationToken cancellationToken = default)
    {
        using var response = await SendWithRetriesAsync(() => new HttpRequestMessage(HttpMethod.Post, $"api/commands/{commandId}/cancel"), cancellationToken)
            .ConfigureAwait(false);
        return await GatewayResponses.ReadAsync<CommandInfo>(response, _timeProvider, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads a command's status (<c>GET /api/commands/{id}</c>).</summary>
    /// <exception cref="MessagingClientException">404 for an unknown id (or another tenant's), or the gateway stayed unavailable.</exception>
    public async Task<CommandInfo> GetStatusAsync(Guid id, CancellationToken cancellationToken = default)
    {
        using var response = await SendWithRetriesAsync(() => new HttpRequestMessage(HttpMethod.Get, $"api/commands/{id}"), cancellationToken).ConfigureAwait(false);
        return await GatewayResponses.ReadAsync<CommandInfo>(response, _timeProvider, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Lists the tenant's commands, newest first (<c>GET /api/commands</c>).</summary>
    public async Task<CommandPage> ListAsync(CommandListQuery? query = null, CancellationToken cancellationToken = default)
    {
        var parameters = new List<string>();
        AddParameter(parameters, "status", query?.Status?.ToString());
        AddParameter(parameters, "type", query?.Type);
        AddParameter(parameters, "limit", query?.Limit?.ToString(CultureInfo.InvariantCulture));
        AddParameter(parameters, "cursor", query?.Cursor);
        var path = parameters.Count == 0 ? "api/commands" : "api/commands?" + string.Join('&', parameters);
        using var response = await SendWithRetriesAsync(() => new HttpRequestMessage(HttpMethod.Get, path), cancellationToken).ConfigureAwait(false);
        return await GatewayResponses.ReadAsync<CommandPage>(response, _timeProvider, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The command types the gateway accepts, in its order, each with its provider, default timeout and the JSON Schema
    /// of its body (<c>GET /api/command-types</c>, scope <c>commands</c>).
    /// </summary>
    /// <exception cref="MessagingClientException">The gateway refused the call (401, 403) or stayed unavailable.</exception>
    public async Task<IReadOnlyList<CommandTypeInfo>> ListCommandTypesAsync(CancellationToken cancellationToken = default)
    {
        using var response = await SendWithRetriesAsync(() => new HttpRequestMessage(HttpMethod.Get, "api/command-types"), cancellationToken).ConfigureAwait(false);
        return (await GatewayResponses.ReadAsync<CommandTypeList>(response, _timeProvider, cancellationToken).ConfigureAwait(false)).Items;
    }

    /// <summary>
    /// Polls the command's status, with growing pauses (<see cref="MessagingClientOptions.PollInterval"/> up to
    /// <see cref="MessagingClientOptions.MaxPollInterval"/>), until it is terminal or <paramref name="deadline"/> passes.
    /// </summary>
    /// <param name="id">The command id.</param>
    /// <param name="deadline">When to stop waiting.</param>
    /// <param name="progress">Told every status read (for example to show progress).</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The terminal status; or, when the deadline passed first, the last status read (check <see cref="CommandInfo.IsTerminal"/>).</returns>
    /// <exception cref="MessagingClientException">The status could not be read (404, or the gateway stayed unavailable).</exception>
    public async Task<CommandInfo> WaitForCompletionAsync(Guid id, DateTimeOffset deadline, IProgress<CommandInfo>? progress = null, CancellationToken cancellationToken = default)
    {
        var pause = _options.PollInterval;
        while (true)
        {
            var current = await GetStatusAsync(id, cancellationToken).ConfigureAwait(false);
            progress?.Report(current);
            var left = deadline - _timeProvider.GetUtcNow();
            if (current.IsTerminal || left <= TimeSpan.Zero)
            {
                return current;
            }

            await Task.Delay(pause < left ? pause : left, _timeProvider, cancellationToken).ConfigureAwait(false);
            pause = TimeSpan.FromTicks(Math.Min((long)(pause.Ticks * 1.5), _options.MaxPollInterval.Ticks));
        }
    }

    /// <summary>Same as <see cref="WaitForCompletionAsync(Guid, DateTimeOffset, IProgress{CommandInfo}?, CancellationToken)"/> with a deadline <paramref name="timeout"/> from now.</summary>
    public Task<CommandInfo> WaitForCompletionAsync(Guid id, TimeSpan timeout, IProgress<CommandInfo>? progress = null, CancellationToken cancellationToken = default) =>
        WaitForCompletionAsync(id, _timeProvider.GetUtcNow() + timeout, progress, cancellationToken);

    /// <summary>
    /// The operations overview (<c>GET /api/monitoring/overview</c>): the fleet with scope <c>operator</c>, the token's
    /// own tenant with scope <c>admin</c> (<see cref="MonitoringOverview.Tenant"/> says which).
    /// </summary>
    /// <exception cref="MessagingClientException">403 when the token has neither scope (<see cref="MessagingClientException.RequiredScope"/>), or the gateway stayed unavailable.</exception>
    public async Task<MonitoringOverview> GetMonitoringOverviewAsync(CancellationToken cancellationToken = default)
    {
        using var response = await SendWithRetriesAsync(() => new HttpRequestMessage(HttpMethod.Get, "api/monitoring/overview"), cancellationToken).ConfigureAwait(false);
        return await GatewayResponses.ReadAsync<MonitoringOverview>(response, _timeProvider, cancellationToken, OperationsScopes).ConfigureAwait(false);
    }

    /// <summary>
    /// Audited actions, newest first (<c>GET /api/monitoring/audit</c>): every record with scope <c>operator</c>, those
    /// that touched the token's own tenant with scope <c>admin</c>.
    /// </summary>
    /// <param name="query">A tenant, a cursor and a page size; the newest 100 the token may read when null.</param>
    /// <param name="cancellationToken">Stops the call.</param>
    /// <exception cref="MessagingClientException">
    /// 403 for a tenant admin naming another tenant (see <see cref="MessagingClientException.ProblemDetail"/>) or a token
    /// without either scope (<see cref="MessagingClientException.RequiredScope"/>), or the gateway stayed unavailable.
    /// </exception>
    public async Task<IReadOnlyList<AuditRecordInfo>> GetAuditAsync(AuditQuery? query = null, CancellationToken cancellationToken = default)
    {
        var parameters = new List<string>();
        AddParameter(parameters, "tenant", query?.Tenant);
        AddParameter(parameters, "before", query?.Before?.ToString(CultureInfo.InvariantCulture));
        AddParameter(parameters, "limit", query?.Limit?.ToString(CultureInfo.InvariantCulture));
        var path = parameters.Count == 0 ? "api/monitoring/audit" : "api/monitoring/audit?" + string.Join('&', parameters);
        using var response = await SendWithRetriesAsync(() => new HttpRequestMessage(HttpMethod.Get, path), cancellationToken).ConfigureAwait(false);
        return await GatewayResponses.ReadAsync<List<AuditRecordInfo>>(response, _timeProvider, cancellationToken, OperationsScopes).ConfigureAwait(false);
    }

    /// <summary>Holds a breaker open across the fleet until it is reset (scope <c>operator</c>; audited).</summary>
    /// <exception cref="MessagingClientException">
    /// 404 for an unknown breaker; 409 for <c>route:auth</c> and <c>route:monitoring</c>, which nobody may isolate; 403
    /// for a token without scope <c>operator</c> (a tenant admin's, for example).
    /// </exception>
    public Task<BreakerInfo> IsolateBreakerAsync(string name, CancellationToken cancellationToken = default) =>
        ControlBreakerAsync(name, "isolate", cancellationToken);

    /// <summary>Closes a breaker across the fleet (scope <c>operator</c>; audited).</summary>
    /// <exception cref="MessagingClientException">404 for an unknown breaker; 403 for a token without scope <c>operator</c>.</exception>
    public Task<BreakerInfo> ResetBreakerAsync(string name, CancellationToken cancellationToken = default) =>
        ControlBreakerAsync(name, "reset", cancellationToken);

    /// <summary>
    /// Sends one dead-lettered command of the caller's tenant back through the outbox, once, with a fresh deadline
    /// (<c>POST /api/commands/{id}/redrive</c>, scope <c>commands</c>).
    /// </summary>
    /// <param name="id">The command.</param>
    /// <param name="deadline">
    /// Its new deadline (in the future, at most 30 days ahead); when null the gateway gives it its type's default timeout
    /// from now (and the request has no body, as before).
    /// </param>
    /// <param name="cancellationToken">Stops the call.</param>
    /// <exception cref="MessagingClientException">
    /// 400 for a deadline that has passed or lies too far ahead; 404 for an unknown command; 409 when it is not
    /// dead-lettered, was redriven already, or its provider's breakers are all open.
    /// </exception>
    public async Task<DeadLetterRedriveResult> RedriveCommandAsync(Guid id, DateTimeOffset? deadline = null, CancellationToken cancellationToken = default)
    {
        var body = deadline is null ? null : RedriveBody(new JsonObject(), deadline);
        using var response = await SendWithRetriesAsync(() => new HttpRequestMessage(HttpMethod.Post, $"api/commands/{id}/redrive")
        {
            Content = body is null ? null : JsonContent(body),
        }, cancellationToken).ConfigureAwait(false);
        return await GatewayResponses.ReadAsync<DeadLetterRedriveResult>(response, _timeProvider, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Stored dead letters, newest first (<c>GET /api/monitoring/dead-letters</c>): scope <c>admin</c> lists the token's
    /// own tenant's, scope <c>operator</c> every tenant's.
    /// </summary>
    /// <param name="filter">Which ones; all waiting ones the token may see when null.</param>
    /// <param name="includeRedriven">Whether to include those already redriven.</param>
    /// <param name="cancellationToken">Stops the call.</param>
    /// <exception cref="MessagingClientException">403 for a tenant admin naming another tenant in <see cref="DeadLetterFilter.Tenant"/>, or a token without either scope.</exception>
    public async Task<IReadOnlyList<DeadLetterInfo>> ListDeadLettersAsync(DeadLetterFilter? filter = null, bool includeRedriven = false, CancellationToken cancellationToken = default)
    {
        var parameters = new List<string>();
        AddParameter(parameters, "type", filter?.Type);
        AddParameter(parameters, "tenant", filter?.Tenant);
        AddParameter(parameters, "from", filter?.From?.ToString("O", CultureInfo.InvariantCulture));
        AddParameter(parameters, "to", filter?.To?.ToString("O", CultureInfo.InvariantCulture));
        AddParameter(parameters, "limit", filter?.Limit?.ToString(CultureInfo.InvariantCulture));
        AddParameter(parameters, "includeRedriven", includeRedriven ? "true" : null);
        var path = parameters.Count == 0 ? "api/monitoring/dead-letters" : "api/monitoring/dead-letters?" + string.Join('&', parameters);
        using var response = await SendWithRetriesAsync(() => new HttpRequestMessage(HttpMethod.Get, path), cancellationToken).ConfigureAwait(false);
        return await GatewayResponses.ReadAsync<List<DeadLetterInfo>>(response, _timeProvider, cancellationToken, OperationsScopes).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends the waiting dead letters that match <paramref name="filter"/> back through the outbox, each once and
    /// spaced out by the gateway (<c>POST /api/monitoring/dead-letters/redrive</c>, audited): scope <c>admin</c> redrives
    /// the token's own tenant's, scope <c>operator</c> any tenant's (or every tenant's without <see cref="DeadLetterFilter.Tenant"/>).
    /// </summary>
    /// <param name="filter">Which dead letters.</param>
    /// <param name="deadline">
    /// The new deadline of every redriven command (in the future, at most 30 days ahead); when null the gateway gives
    /// each its type's default timeout from when it is sent again.
    /// </param>
    /// <param name="cancellationToken">Stops the call.</param>
    /// <exception cref="MessagingClientException">
    /// 400 for an invalid filter or deadline; 403 for a tenant admin naming another tenant; 409 while the provider's breakers are all open.
    /// </exception>
    public async Task<DeadLetterRedriveResult> RedriveDeadLettersAsync(DeadLetterFilter filter, DateTimeOffset? deadline = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var body = RedriveBody(JsonSerializer.SerializeToNode(filter, GatewayResponses.Json)!.AsObject(), deadline);
        using var response = await SendWithRetriesAsync(() => new HttpRequestMessage(HttpMethod.Post, "api/monitoring/dead-letters/redrive")
        {
            Content = JsonContent(body),
        }, cancellationToken).ConfigureAwait(false);
        return await GatewayResponses.ReadAsync<DeadLetterRedriveResult>(response, _timeProvider, cancellationToken, OperationsScopes).ConfigureAwait(false);
    }

    /// <summary>A redrive request's body: <paramref name="body"/> with the deadline, when there is one.</summary>
    private static byte[] RedriveBody(JsonObject body, DateTimeOffset? deadline)
    {
        if (deadline is { } at)
        {
            body["deadline"] = JsonValue.Create(at);
        }

        return JsonSerializer.SerializeToUtf8Bytes(body, GatewayResponses.Json);
    }

    private static void AddParameter(List<string> parameters, string name, string? value)
    {
        if (value is not null)
        {
            parameters.Add(name + "=" + Uri.EscapeDataString(value));
        }
    }

    private async Task<BreakerInfo> ControlBreakerAsync(string name, string action, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var path = $"api/monitoring/breakers/{Uri.EscapeDataString(name)}/{action}";
        using var response = await SendWithRetriesAsync(() => new HttpRequestMessage(HttpMethod.Post, path), cancellationToken).ConfigureAwait(false);
        return await GatewayResponses.ReadAsync<BreakerInfo>(response, _timeProvider, cancellationToken, OperatorScope).ConfigureAwait(false);
    }

    private async Task<CommandAccepted> SendBodyAsync(string commandType, byte[] body, SendOptions? options, CancellationToken cancellationToken)
    {
        SendOptionsWire.Validate(options, nameof(options));
        var key = SendOptionsWire.KeyOf(options);
        var timeoutSeconds = SendOptionsWire.TimeoutSecondsOf(options)?.ToString(CultureInfo.InvariantCulture);
        var notBefore = SendOptionsWire.NotBeforeOf(options);
        var callbackUrl = SendOptionsWire.CallbackUrlOf(options);

        var path = "api/commands/" + Uri.EscapeDataString(commandType);
        using var response = await SendWithRetriesAsync(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent(body) };
            request.Headers.TryAddWithoutValidation(IdempotencyKeyHeader, key);
            if (timeoutSeconds is not null)
            {
                request.Headers.TryAddWithoutValidation(CommandTimeoutHeader, timeoutSeconds);
            }

            if (notBefore is not null)
            {
                request.Headers.TryAddWithoutValidation(NotBeforeHeader, notBefore);
            }

            if (callbackUrl is not null)
            {
                request.Headers.TryAddWithoutValidation(CallbackUrlHeader, callbackUrl);
            }

            return request;
        }, cancellationToken).ConfigureAwait(false);

        var accepted = await GatewayResponses.ReadAsync<CommandAccepted>(response, _timeProvider, cancellationToken).ConfigureAwait(false);
        var replayed = response.Headers.TryGetValues(IdempotentReplayedHeader, out var values)
            && values.Any(v => string.Equals(v, "true", StringComparison.OrdinalIgnoreCase));
        return accepted with { Replayed = replayed, IdempotencyKey = key };
    }

    /// <summary>
    /// Sends a fresh request from <paramref name="createRequest"/> per attempt, with a bearer token, through
    /// the retry pipeline. Returns the last answer (success or not); throws when no answer came.
    /// </summary>
    private async Task<HttpResponseMessage> SendWithRetriesAsync(Func<HttpRequestMessage> createRequest, CancellationToken cancellationToken)
    {
        try
        {
            return await _retry.ExecuteAsync(
                static async (state, ct) => await state.Client.SendOnceAsync(state.CreateRequest, ct).ConfigureAwait(false),
                (Client: this, CreateRequest: createRequest),
                cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new MessagingClientException($"The gateway at {_http.BaseAddress} could not be reached ({Describe(ex)}).", ex);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new MessagingClientException($"The gateway at {_http.BaseAddress} did not answer within {_http.Timeout.TotalSeconds:0} s.", ex);
        }
    }

    private async Task<HttpResponseMessage> SendOnceAsync(Func<HttpRequestMessage> createRequest, CancellationToken cancellationToken)
    {
        var token = await _tokens.GetAsync(_http, cancellationToken).ConfigureAwait(false);
        var response = await SendWithTokenAsync(createRequest, token, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Unauthorized)
        {
            return response;
        }

        // The gateway refused the token itself (401 never means the request was processed): once, with a new one.
        response.Dispose();
        _tokens.Invalidate(token);
        Log.TokenRefused(_logger);
        token = await _tokens.GetAsync(_http, cancellationToken).ConfigureAwait(false);
        return await SendWithTokenAsync(createRequest, token, cancellationToken).ConfigureAwait(false);
    }

    private async Task<HttpResponseMessage> SendWithTokenAsync(Func<HttpRequestMessage> createRequest, string token, CancellationToken cancellationToken)
    {
        using var request = createRequest();
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
    }

    private static ByteArrayContent JsonContent(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = Encoding.UTF8.WebName };
        return content;
    }

    private static ResiliencePipeline<HttpResponseMessage> BuildRetry(MessagingClientOptions options, TimeProvider timeProvider, ILogger logger)
    {
        if (options.MaxRetryAttempts == 0)
        {
            return ResiliencePipeline<HttpResponseMessage>.Empty;
        }

        return new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = timeProvider }
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = options.MaxRetryAttempts,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryDelay,
                MaxDelay = options.MaxRetryDelay,
                ShouldHandle = args => ValueTask.FromResult(ShouldRetry(args.Outcome, options.MaxRetryDelay, timeProvider)),
                DelayGenerator = args => ValueTask.FromResult(RetryAfterOf(args.Outcome, timeProvider)),
                OnRetry = args =>
                {
                    Log.Retrying(logger, args.AttemptNumber + 1, DescribeOutcome(args.Outcome), args.RetryDelay.TotalMilliseconds);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }

    /// <summary>Connection failures, 503 and 429, unless the gateway asks for a longer wait than the client may take.</summary>
    internal static bool ShouldRetry(Outcome<HttpResponseMessage> outcome, TimeSpan maxDelay, TimeProvider timeProvider) => outcome switch
    {
        { Exception: HttpRequestException ex } => IsConnectionFailure(ex),
        { Exception: MessagingClientException ex } => ex.IsTransient && (ex.RetryAfter ?? TimeSpan.Zero) <= maxDelay,
        { Result: { } response } => GatewayResponses.IsRetryableStatus(response.StatusCode)
            && (GatewayResponses.RetryAfterOf(response.Headers.RetryAfter, timeProvider) ?? TimeSpan.Zero) <= maxDelay,
        _ => false,
    };

    /// <summary>
    /// Failures to connect, and connections that broke before the answer was complete. Retrying the latter
    /// is what the idempotency key is for: the gateway answers a repeat with the first response.
    /// </summary>
    private static bool IsConnectionFailure(HttpRequestException exception) => exception.HttpRequestError is
        HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.ResponseEnded
        || (exception.HttpRequestError == HttpRequestError.Unknown && exception.InnerException is IOException);

    private static TimeSpan? RetryAfterOf(Outcome<HttpResponseMessage> outcome, TimeProvider timeProvider) => outcome switch
    {
        { Result: { } response } => GatewayResponses.RetryAfterOf(response.Headers.RetryAfter, timeProvider),
        { Exception: MessagingClientException { RetryAfter: { } wait } } => wait,
        _ => null,
    };

    private static string DescribeOutcome(Outcome<HttpResponseMessage> outcome) => outcome switch
    {
        { Result: { } response } => ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture),
        { Exception: HttpRequestException ex } => Describe(ex),
        { Exception: MessagingClientException { StatusCode: { } status } } => "token " + ((int)status).ToString(CultureInfo.InvariantCulture),
        { Exception: { } ex } => ex.GetType().Name,
        _ => "unknown",
    };

    private static string Describe(HttpRequestException exception) => exception.HttpRequestError switch
    {
        HttpRequestError.ConnectionError => "connection failed",
        HttpRequestError.NameResolutionError => "name resolution failed",
        HttpRequestError.ResponseEnded => "connection closed before the answer",
        _ => exception.HttpRequestError.ToString(),
    };

    private static partial class Log
    {
        [LoggerMessage(EventId = 8103, EventName = "MessagingClientRetrying", Level = LogLevel.Information,
            Message = "Gateway call failed ({Outcome}); retry {Attempt} in {DelayMs} ms")]
        public static partial void Retrying(ILogger logger, int attempt, string outcome, double delayMs);

        [LoggerMessage(EventId = 8104, EventName = "MessagingClientTokenRefused", Level = LogLevel.Information,
            Message = "The gateway refused the access token (401); requesting a new one and trying once more")]
        public static partial void TokenRefused(ILogger logger);
    }
}
