extern alias gateway;
extern alias workers;

using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Messaging.Store.Telemetry;
using Messaging.Testing.Harness;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Messaging.System.Tests.Telemetry;

/// <summary>
/// One command through Gateway and Workers hosted in this process, read back from OpenTelemetry's in-memory exporters:
/// a single trace from the HTTP request through the outbox relay and the worker to the provider call, log records that
/// carry its trace and command ids, and the metric values the scenario must leave.
/// </summary>
public sealed class CommandTelemetryTests(SystemFixture system) : IAsyncLifetime
{
    private readonly InProcessSystem _hosts = new(system);

    public async ValueTask InitializeAsync() => await _hosts.InitializeAsync();

    public async ValueTask DisposeAsync() => await _hosts.DisposeAsync();

    [Fact]
    public async Task OneCommand_IsOneTrace_FromTheHttpRequestThroughTheRelayAndTheWorkerToTheProvider()
    {
        var token = await _hosts.TokenAsync("tenant-trace", "commands");
        var gatewayMeters = _hosts.GatewayServices.GetRequiredService<IMeterFactory>();
        var workersMeters = _hosts.WorkersServices.GetRequiredService<IMeterFactory>();
        using var accepted = new MetricCollector<long>(gatewayMeters, CommandTelemetry.MeterName, "messaging.commands");
        using var published = new MetricCollector<double>(gatewayMeters, CommandTelemetry.MeterName, "messaging.outbox.publish.duration");
        using var completed = new MetricCollector<long>(workersMeters, CommandTelemetry.MeterName, "messaging.commands");
        using var duration = new MetricCollector<double>(workersMeters, CommandTelemetry.MeterName, "messaging.command.duration");

        using var submit = InProcessSystem.Request(HttpMethod.Post, "/api/commands/payments.charge", token,
            new StringContent("""{"amount":12.5,"currency":"EUR","customerId":"cus_trace","description":"traced"}""", Encoding.UTF8, "application/json"));
        using var response = await _hosts.Gateway.SendAsync(submit, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("id").GetString()!;
        await WaitForStatusAsync(token, id, "Succeeded");

        // The HTTP request's server span is the root of the command's trace.
        var server = await WaitForSpanAsync(s => s.Kind == ActivityKind.Server && Tag(s, CommandTelemetry.CommandId) == id);
        Assert.Equal("payments.charge", Tag(server, CommandTelemetry.CommandType));
        Assert.Equal("tenant-trace", Tag(server, CommandTelemetry.Tenant));
        var providerCall = await WaitForSpanAsync(s => s.TraceId == server.TraceId && s.Kind == ActivityKind.Client
            && Tag(s, "url.full")?.Contains("/v1/charges", StringComparison.Ordinal) == true);
        // The receive span ends after the ack, so possibly after the status is visible: wait for it too.
        await WaitForSpanAsync(s => s.TraceId == server.TraceId && s.Kind == ActivityKind.Consumer && s.Source.Name == "MassTransit"
            && Tag(s, CommandTelemetry.CommandId) == id);
        var trace = _hosts.Trace(server.TraceId);

        var relay = Assert.Single(trace, s => s.Source.Name == CommandTelemetry.OutboxActivitySourceName);
        Assert.Equal(ActivityKind.Producer, relay.Kind);
        Assert.Equal(id, Tag(relay, CommandTelemetry.CommandId));
        Assert.Equal("tenant-trace", Tag(relay, CommandTelemetry.Tenant));
        // The relay publishes commands itself (below MassTransit): its span is the producer span, and MassTransit's
        // receive span on the worker takes it as its parent (MT-Activity-Id).
        var consume = Assert.Single(trace, s => s.Source.Name == "MassTransit" && s.Kind == ActivityKind.Consumer && Tag(s, CommandTelemetry.CommandId) == id);
        Assert.Equal("payments.charge", Tag(consume, CommandTelemetry.CommandType));
        Assert.Equal("tenant-trace", Tag(consume, CommandTelemetry.Tenant));
        Assert.True(IsDescendant(consume, relay, trace), "the worker's consume span descends from the relay's span");
        Assert.True(IsDescendant(providerCall, consume, trace), "the provider call descends from the worker's consume span");
        Assert.Contains(trace, s => s.Source.Name == "Npgsql" && IsDescendant(s, server, trace));

        // One trace: every span reaches the request's span through its parents.
        Assert.All(trace, s => Assert.True(s == server || IsDescendant(s, server, trace), $"{s.Source.Name} {s.DisplayName} is not under the request"));

        // Identifiers only: no secret, credential or body reaches a span.
        var tagValues = trace.SelectMany(s => s.TagObjects).Select(t => t.Value?.ToString() ?? "").ToList();
        Assert.DoesNotContain(tagValues, v => v.Contains("fake-payments-secret", StringComparison.Ordinal)
            || v.Contains("Bearer ", StringComparison.Ordinal) || v.Contains("cus_trace", StringComparison.Ordinal) || v.Contains(token, StringComparison.Ordinal));

        // The worker's log records carry the trace and the command's scope.
        var logged = _hosts.Logs.ToList().Where(r => r.TraceId == server.TraceId && r.CategoryName?.StartsWith("Messaging.Workers", StringComparison.Ordinal) == true).ToList();
        Assert.Contains(logged, r => r.EventId.Name == "CommandSucceeded" && Scope(r).GetValueOrDefault("CommandId")?.ToString() == id);

        // Metrics after the scenario: accepted once by the gateway, succeeded once by the workers, one latency each.
        Assert.Equal(1, accepted.GetMeasurementSnapshot().Count(m => (string?)m.Tags[CommandTelemetry.Outcome] == "accepted"));
        var succeeded = Assert.Single(completed.GetMeasurementSnapshot());
        Assert.Equal("succeeded", succeeded.Tags[CommandTelemetry.Outcome]);
        Assert.Equal("payments.charge", succeeded.Tags[CommandTelemetry.CommandType]);
        var latency = Assert.Single(duration.GetMeasurementSnapshot());
        Assert.InRange(latency.Value, 0, 60);
        Assert.Contains(published.GetMeasurementSnapshot(), m => (string?)m.Tags["messaging.destination.name"] == "payments.charge");

        // And the Prometheus scrape names them as the alert rules and the dashboard expect.
        var gatewayMetrics = await _hosts.Gateway.GetStringAsync(new Uri("/metrics", UriKind.Relative), TestContext.Current.CancellationToken);
        var workersMetrics = await _hosts.Workers.GetStringAsync(new Uri("/metrics", UriKind.Relative), TestContext.Current.CancellationToken);
        Assert.Contains("messaging_commands_total{", gatewayMetrics, StringComparison.Ordinal);
        Assert.Contains("messaging_outbox_publish_duration_seconds_bucket{", gatewayMetrics, StringComparison.Ordinal);
        Assert.Contains("messaging_command_duration_seconds_bucket{", workersMetrics, StringComparison.Ordinal);
        Assert.Contains("messaging_resilience_breaker_state{", workersMetrics, StringComparison.Ordinal);
    }

    private async Task WaitForStatusAsync(string token, string id, string status)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        string? current = null;
        while (DateTime.UtcNow < deadline)
        {
            using var request = InProcessSystem.Request(HttpMethod.Get, $"/api/commands/{id}", token);
            using var response = await _hosts.Gateway.SendAsync(request, TestContext.Current.CancellationToken);
            current = (await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("status").GetString();
            if (current == status)
            {
                return;
            }

            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        Assert.Fail($"Command {id} did not reach {status} within 60 s; it is {current}.");
    }

    private async Task<Activity> WaitForSpanAsync(Func<Activity, bool> match)
    {
        for (var i = 0; i < 100; i++)
        {
            List<Activity> spans;
            lock (_hosts.Spans)
            {
                spans = [.. _hosts.Spans];
            }

            if (spans.FirstOrDefault(match) is { } found)
            {
                return found;
            }

            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        Assert.Fail("No exported span matched.");
        return null!;
    }

    private static string? Tag(Activity span, string name) => span.GetTagItem(name)?.ToString();

    private static bool IsDescendant(Activity span, Activity ancestor, IReadOnlyList<Activity> trace)
    {
        var bySpan = trace.ToDictionary(s => s.SpanId);
        var current = span;
        for (var depth = 0; depth < 100 && bySpan.TryGetValue(current.ParentSpanId, out var parent); depth++)
        {
            if (parent.SpanId == ancestor.SpanId)
            {
                return true;
            }

            current = parent;
        }

        return false;
    }

    private static Dictionary<string, object?> Scope(OpenTelemetry.Logs.LogRecord record)
    {
        var scope = new Dictionary<string, object?>();
        record.ForEachScope((s, state) =>
        {
            foreach (var pair in s)
            {
                state[pair.Key] = pair.Value;
            }
        }, scope);
        return scope;
    }
}
