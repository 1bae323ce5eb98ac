using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Logs;

namespace Messaging.ServiceDefaults.Tests.Telemetry;

public sealed class LogCorrelationTests
{
    [Fact]
    public async Task LogRecords_CarryTheTraceAndSpanIds_AndTheCommandScope()
    {
        var exported = new List<LogRecord>();
        await using var app = await TestApplication.StartAsync(configureBuilder: builder =>
            builder.Logging.AddOpenTelemetry(logging => logging.AddInMemoryExporter(exported)));
        using var source = new ActivitySource("Messaging.Workers") /* any source under OpenTelemetryExtensions.MessagingSourcesPattern */;
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Messaging.Workers.Test");
        var commandId = Guid.CreateVersion7();

        using (var activity = source.StartActivity("consume"))
        using (logger.BeginScope(new Dictionary<string, object?> { ["CommandId"] = commandId, ["CommandType"] = "payments.charge", ["Tenant"] = "tenant-a" }))
        {
            Assert.NotNull(activity);
#pragma warning disable CA1848 // a plain log call is the point of the test
            logger.LogInformation("charging");
#pragma warning restore CA1848

            var record = Assert.Single(exported, r => r.Body == "charging" || r.FormattedMessage == "charging");
            Assert.Equal(activity.TraceId, record.TraceId);
            Assert.Equal(activity.SpanId, record.SpanId);
            var scope = new Dictionary<string, object?>();
            record.ForEachScope((s, state) =>
            {
                foreach (var pair in s)
                {
                    state[pair.Key] = pair.Value;
                }
            }, scope);
            Assert.Equal(commandId, scope["CommandId"]);
            Assert.Equal("payments.charge", scope["CommandType"]);
            Assert.Equal("tenant-a", scope["Tenant"]);

            // Other providers (console, JSON) get the ids through the activity tracking scope.
            var fake = app.Logs.GetSnapshot().Single(r => r.Message == "charging");
            Assert.Contains(fake.Scopes.OfType<IEnumerable<KeyValuePair<string, object?>>>().SelectMany(s => s), p => p.Key == "TraceId" && Equals(p.Value?.ToString(), activity.TraceId.ToString()));
        }
    }
}
