using System.Globalization;
using Messaging.Load.Infrastructure;
using Npgsql;

namespace Messaging.Load.Baselines;

/// <summary>
/// The framework a user would pick instead: bench/Peers/WolverinePeer (Wolverine's HTTP endpoint, durable outbox and
/// inbox on PostgreSQL, a RabbitMQ quorum queue, a handler calling FakeServices with 8 messages in flight) started as
/// child processes, like the gateway and the workers: the api half alone for <c>accept</c>, both halves for
/// <c>end-to-end</c>. Each start has a database and a virtual host of its own (schema <see cref="Schema"/>, queue
/// <see cref="Queue"/>), so it cannot touch ours. Variables named <c>LOAD_WOLVERINE_KEY</c> reach both halves as
/// <c>KEY</c> (for example <c>LOAD_WOLVERINE_Peer__Parallelism=16</c>).
/// </summary>
internal sealed class WolverinePeer : IAsyncDisposable
{
    public const string Schema = "wolverine_peer";

    public const string Queue = "wolverine-peer-notifications";

    /// <summary>The API key FakeServices expects from the notifications provider's callers.</summary>
    private const string NotificationsApiKey = "fake-notifications-key";

    private WolverinePeer(ChildProcess api, IReadOnlyList<ChildProcess> handlers, HttpClient client, string postgres)
    {
        Api = api;
        Handlers = handlers;
        Client = client;
        Postgres = postgres;
    }

    /// <summary>The targets, each with its publisher-confirms setting.</summary>
    public static IReadOnlyList<(string Target, bool Confirms)> Targets { get; } = [("wolverine", true), ("wolverine-noconfirm", false)];

    public ChildProcess Api { get; }

    /// <summary>The handler halves (none for <c>accept</c>): competing consumers of the one queue.</summary>
    public IReadOnlyList<ChildProcess> Handlers { get; }

    public HttpClient Client { get; }

    public string Postgres { get; }

    public static string Describe(bool confirms) =>
        confirms ? "Wolverine 6, publisher confirms on, durable outbox and inbox, no auth" : "Wolverine 6, its default (publisher confirms off), durable outbox and inbox, no auth";

    /// <summary>
    /// Starts the api half and, given the notifications provider, <paramref name="handlerCount"/> handler halves after it (one
    /// at a time: the first start creates the schema).
    /// </summary>
    public static async Task<WolverinePeer> StartAsync(string target, bool confirms, string postgres, string rabbitMq, Uri? notifications, int handlerCount = 1)
    {
        var apiPort = ChildProcess.FreePort();
        var environment = Environment(postgres, rabbitMq, confirms, "api", apiPort);
        var api = ChildProcess.Start(target + "-api", RepositoryLayout.WolverinePeerDll, environment);
        var handlers = new List<ChildProcess>();
        try
        {
            await api.WaitForHttpAsync(new Uri($"http://127.0.0.1:{apiPort}/health/live"), TimeSpan.FromSeconds(120)).ConfigureAwait(false);

            for (var i = 1; notifications is not null && i <= handlerCount; i++)
            {
                var handlerPort = ChildProcess.FreePort();
                environment = Environment(postgres, rabbitMq, confirms, "handler", handlerPort);
                environment["Peer__Notifications__Endpoint"] = notifications.ToString();
                environment["Peer__Notifications__ApiKey"] = NotificationsApiKey;
                var handler = ChildProcess.Start(i == 1 ? target + "-handler" : $"{target}-handler-{i}", RepositoryLayout.WolverinePeerDll, environment);
                handlers.Add(handler);
                await handler.WaitForHttpAsync(new Uri($"http://127.0.0.1:{handlerPort}/health/ready"), TimeSpan.FromSeconds(120)).ConfigureAwait(false);
            }

            // Wolverine compiles its HTTP endpoint at the first request (seconds of Roslyn here): one request before any
            // measurement, so no window includes the compiler. It is a real accept: the totals count one more.
            var baseAddress = new Uri($"http://127.0.0.1:{apiPort}/");
            using (var warm = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(120) })
            {
                using var content = new StringContent(Payloads.NotificationJson(256), System.Text.Encoding.UTF8, "application/json");
                using var response = await warm.PostAsync(new Uri("api/commands/notifications.send", UriKind.Relative), content).ConfigureAwait(false);
                if (response.StatusCode != System.Net.HttpStatusCode.Accepted)
                {
                    throw new InvalidOperationException($"{api.Name} answered the first request with {(int)response.StatusCode}; see {RepositoryLayout.LogDirectory}/{api.Name}.log");
                }
            }

            return new WolverinePeer(api, handlers, SystemHosts.CreateHttpClient(baseAddress), postgres);
        }
        catch
        {
            // A half that started must not outlive a failed start.
            foreach (var handler in handlers)
            {
                await handler.DisposeAsync().ConfigureAwait(false);
            }

            await api.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Envelopes in Wolverine's tables: <c>Outgoing</c> (in the outbox, not yet sent), <c>Incoming</c> (in the inbox,
    /// not yet handled), <c>Handled</c> (kept 5 minutes after handling for its idempotency check, Wolverine's
    /// default), <c>DeadLetters</c>.
    /// </summary>
    public static async Task<Dictionary<string, long>> CountsAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand(
            $"""
            SELECT (SELECT count(*) FROM {Schema}.wolverine_outgoing_envelopes),
                   (SELECT count(*) FROM {Schema}.wolverine_incoming_envelopes WHERE status <> 'Handled'),
                   (SELECT count(*) FROM {Schema}.wolverine_incoming_envelopes WHERE status = 'Handled'),
                   (SELECT count(*) FROM {Schema}.wolverine_dead_letters)
            """);
        await using var reader = await command.ExecuteReaderAsync().ConfigureAwait(false);
        await reader.ReadAsync().ConfigureAwait(false);
        return new Dictionary<string, long>(StringComparer.Ordinal)
        {
            ["Outgoing"] = reader.GetInt64(0),
            ["Incoming"] = reader.GetInt64(1),
            ["Handled"] = reader.GetInt64(2),
            ["DeadLetters"] = reader.GetInt64(3),
        };
    }

    /// <summary>Rows written to and deleted from the outbox and inbox tables so far (PostgreSQL's statistics, up to a second behind).</summary>
    public static async Task<string> DescribeTrafficAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand(
            $"""
            SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables
            WHERE schemaname = '{Schema}' AND relname IN ('wolverine_outgoing_envelopes', 'wolverine_incoming_envelopes') ORDER BY relname DESC
            """);
        await using var reader = await command.ExecuteReaderAsync().ConfigureAwait(false);
        var tables = new List<string>();
        while (await reader.ReadAsync().ConfigureAwait(false))
        {
            tables.Add(string.Create(CultureInfo.InvariantCulture,
                $"{reader.GetString(0)}: {reader.GetInt64(1)} inserted, {reader.GetInt64(2)} updated, {reader.GetInt64(3)} deleted"));
        }

        return string.Join("; ", tables);
    }

    public static string Describe(Dictionary<string, long> counts) =>
        string.Join(", ", counts.Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Key} {c.Value}")));

    /// <summary>What the notifications provider saw: requests, distinct effects (idempotency keys) and duplicated effects.</summary>
    public static async Task<string> DescribeProviderAsync(Uri notifications)
    {
        using var http = new HttpClient { BaseAddress = notifications, Timeout = TimeSpan.FromSeconds(30) };
        var ledger = await http.GetFromJsonAsync<ProviderLedger>(new Uri("control/ledger?provider=notifications", UriKind.Relative)).ConfigureAwait(false)
            ?? throw new InvalidOperationException("FakeServices answered no ledger");
        return string.Create(CultureInfo.InvariantCulture,
            $"the notifications provider received {ledger.Requests} requests: {ledger.DistinctEffects} distinct effects, {ledger.DuplicateEffects} duplicated, {ledger.Replays} replays");
    }

    private sealed record ProviderLedger(long Requests, int DistinctEffects, int DuplicateEffects, long Replays);

    private static Dictionary<string, string> Environment(string postgres, string rabbitMq, bool confirms, string role, int port)
    {
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["Urls"] = $"http://127.0.0.1:{port}",
            ["ConnectionStrings__Postgres"] = postgres,
            ["ConnectionStrings__RabbitMq"] = rabbitMq,
            ["Peer__Role"] = role,
            ["Peer__PublisherConfirms"] = confirms ? "true" : "false",
            ["Peer__Schema"] = Schema,
            ["Peer__Queue"] = Queue,
            ["Peer__Parallelism"] = "8",
            // As for our hosts: per-request logs would measure the console.
            ["Logging__LogLevel__Default"] = "Warning",
        };
        SystemHosts.Forward(environment, "LOAD_WOLVERINE_");
        return environment;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        foreach (var handler in Handlers)
        {
            await handler.DisposeAsync().ConfigureAwait(false);
        }

        await Api.DisposeAsync().ConfigureAwait(false);
    }
}
