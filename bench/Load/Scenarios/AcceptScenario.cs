using System.Net;
using System.Text;
using Messaging.Load.Baselines;
using Messaging.Load.Infrastructure;
using Npgsql;

namespace Messaging.Load.Scenarios;

/// <summary>
/// Durable accepts: the real gateway (child process: JWT, validation, rate limits, the Postgres transaction with
/// the command, idempotency and outbox rows, and the relay publishing them) against B1 (the same inserts over raw
/// Npgsql, one transaction per request, in-process, no HTTP) and P1 (a minimal API that publishes each request
/// with MassTransit and awaits the confirm, in-process on a loopback port, no outbox), and the Wolverine peer's api
/// half (child process: its HTTP endpoint storing each request in its PostgreSQL outbox before the 202, relayed to a
/// quorum queue) with publisher confirms on (<c>wolverine</c>) and off, Wolverine's default (<c>wolverine-noconfirm</c>).
/// </summary>
internal static class AcceptScenario
{
    public static async Task RunAsync(LoadSettings settings, Report report)
    {
        await using var services = new BenchServices();
        var json = Payloads.NotificationJson(settings.Payload);

        if (settings.Runs("ours"))
        {
            var postgres = await services.CreateDatabaseAsync().ConfigureAwait(false);
            var rabbitMq = await services.CreateVirtualHostAsync().ConfigureAwait(false);
            var (gateway, client) = await SystemHosts.StartGatewayAsync(postgres, rabbitMq, services, settings).ConfigureAwait(false);
            UsageProbe.Watch(gateway);
            try
            {
                await ScenarioRunner.NoteIdleAsync(report, "gateway").ConfigureAwait(false);
                await ScenarioRunner.MeasureAsync(report, settings, "ours: gateway", Role.Ours, ct => PostAsync(client, json, ct),
                    $"group commit {(settings.GroupCommit ? "on" : "off")}, relay {(settings.Relay ? "on" : "off")}").ConfigureAwait(false);
            }
            finally
            {
                UsageProbe.Forget(gateway);
                client.Dispose();
                await gateway.DisposeAsync().ConfigureAwait(false);
            }
        }

        if (settings.Runs("b1"))
        {
            var postgres = await services.CreateDatabaseAsync(maxPoolSize: Math.Max(100, settings.Concurrency * 2)).ConfigureAwait(false);
            await using var b1 = new RawNpgsqlAccept(postgres, settings.Payload);
            await ScenarioRunner.MeasureAsync(report, settings, "B1: raw Npgsql (in-process)", Role.Baseline, b1.AcceptAsync).ConfigureAwait(false);
        }

        if (settings.Runs("p1"))
        {
            var rabbitMq = await services.CreateVirtualHostAsync().ConfigureAwait(false);
            await using var p1 = await MassTransitApi.StartAsync(rabbitMq).ConfigureAwait(false);
            using var client = SystemHosts.CreateHttpClient(p1.BaseAddress);
            await ScenarioRunner.MeasureAsync(report, settings, "P1: minimal API + MassTransit", Role.Baseline, ct => PostAsync(client, json, ct),
                "in the load tool's process, no auth").ConfigureAwait(false);
        }

        foreach (var (target, confirms) in WolverinePeer.Targets)
        {
            if (settings.Runs(target))
            {
                await MeasureWolverineAsync(settings, report, services, json, target, confirms).ConfigureAwait(false);
            }
        }
    }

    private static async Task MeasureWolverineAsync(LoadSettings settings, Report report, BenchServices services, string json, string target, bool confirms)
    {
        var postgres = await services.CreateDatabaseAsync(migrate: false).ConfigureAwait(false);
        var rabbitMq = await services.CreateVirtualHostAsync().ConfigureAwait(false);
        await using var peer = await WolverinePeer.StartAsync(target, confirms, postgres, rabbitMq, notifications: null).ConfigureAwait(false);
        UsageProbe.Watch(peer.Api);
        try
        {
            await ScenarioRunner.NoteIdleAsync(report, peer.Api.Name).ConfigureAwait(false);
            await ScenarioRunner.MeasureAsync(report, settings, $"{target}: Wolverine API", Role.Baseline, ct => PostAsync(peer.Client, json, ct),
                WolverinePeer.Describe(confirms)).ConfigureAwait(false);
            await using var dataSource = NpgsqlDataSource.Create(postgres);
            var counts = await WolverinePeer.CountsAsync(dataSource).ConfigureAwait(false);
            var queued = await BenchServices.QueueDepthAsync(rabbitMq, WolverinePeer.Queue).ConfigureAwait(false);
            report.Note($"{target} when the load ended: {WolverinePeer.Describe(counts)} (envelopes in its tables); {queued} messages in {WolverinePeer.Queue} " +
                $"(the management API's figure, a few seconds behind); {await WolverinePeer.DescribeTrafficAsync(dataSource).ConfigureAwait(false)}.");
        }
        finally
        {
            UsageProbe.Forget(peer.Api);
        }
    }

    public static async ValueTask<bool> PostAsync(HttpClient client, string json, CancellationToken cancellationToken)
    {
        // A unique Idempotency-Key on every request, as issue 23 measures ours: the gateway stores each key with its
        // command. The peers ignore the header.
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("api/commands/notifications.send", UriKind.Relative))
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
            Headers = { { "Idempotency-Key", Guid.NewGuid().ToString("N") } },
        };
        using var response = await client.SendAsync(request, cancellationToken).ConfigureAwait(false);
        return response.StatusCode == HttpStatusCode.Accepted;
    }
}
