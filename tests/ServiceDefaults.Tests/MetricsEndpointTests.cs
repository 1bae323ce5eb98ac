using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.ServiceDefaults.Tests;

public sealed class MetricsEndpointTests
{
    [Fact]
    public async Task Metrics_AfterCounterIncrement_ServesPrometheusTextWithTheCounter()
    {
        await using var app = await TestApplication.StartAsync();
        // Unique per run: meters are process-wide, other tests' hosts may use the same meter name.
        var instrument = "messaging.test.probes_" + Guid.NewGuid().ToString("N")[..8];
        using var meter = app.Services.GetRequiredService<IMeterFactory>().Create("Messaging.Gateway");
        var counter = meter.CreateCounter<long>(instrument);
        counter.Add(3);
        counter.Add(4);

        var response = await app.Client.GetAsync(new Uri("/metrics", UriKind.Relative), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        var name = instrument.Replace('.', '_') + "_total";
        var line = Assert.Single(text.Split('\n'), l => l.StartsWith(name + "{", StringComparison.Ordinal) || l.StartsWith(name + " ", StringComparison.Ordinal));
        var value = line[(line.LastIndexOf('}') + 1)..].Trim().Split(' ')[0];
        Assert.Equal("7", value);
    }
}
