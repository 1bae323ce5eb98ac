using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Polly.Registry;

namespace Messaging.Gateway.Tests.Commands;

/// <summary>The critical path has a bulkhead of its own: monitoring stuck on a slow dependency cannot starve accepting commands.</summary>
public sealed class AcceptBulkheadTests(NarrowMonitoringGateway fixture) : IClassFixture<NarrowMonitoringGateway>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Submit_WhileTheMonitoringBulkheadIsFull_IsStillAccepted()
    {
        using var admin = TestTokens.ClientFor(fixture.Factory, "tenant-bulkhead-ops", GatewayClaims.AdminScope);
        using var client = TestTokens.ClientFor(fixture.Factory, "tenant-bulkhead");

        // A monitoring request waiting on a dependency that does not answer: it holds the route's only slot
        // (the same pipeline instance every monitoring route runs through) until released.
        var monitoring = fixture.Services.GetRequiredService<ResiliencePipelineProvider<string>>().GetPipeline<object?>("route:monitoring");
        var release = new TaskCompletionSource<object?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stuck = monitoring.ExecuteAsync(async _ =>
        {
            held.SetResult();
            return await release.Task;
        }, Ct).AsTask();
        await held.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        try
        {
            using var overview = await admin.GetAsync("/api/monitoring/overview", Ct);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, overview.StatusCode);
            Assert.NotNull(overview.Headers.RetryAfter);

            for (var i = 0; i < 3; i++)
            {
                using var accepted = await client.SendAsync(CommandRequestsFor.Post("payments.charge", CommandRequestsFor.Charge), Ct);
                Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
            }

            using var read = await client.GetAsync($"/api/commands/{Guid.NewGuid()}", Ct);
            Assert.Equal(HttpStatusCode.NotFound, read.StatusCode);
        }
        finally
        {
            release.SetResult(null);
            await stuck;
        }

        using var again = await admin.GetAsync("/api/monitoring/overview", Ct);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }
}
