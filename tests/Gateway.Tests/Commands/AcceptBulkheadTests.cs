using System.Net;
using Messaging.Gateway.Auth;
using Messaging.Testing;

namespace Messaging.Gateway.Tests.Commands;

/// <summary>
/// A gateway whose Redis (behind a TCP proxy) can be made slow, with a monitoring bulkhead of one request:
/// monitoring reads breaker states from Redis, so a slow Redis holds its only slot.
/// </summary>
public sealed class SlowMonitoringGateway : GatewayHost
{
    private TcpProxy? _redis;

    public TcpProxy Redis => _redis ?? throw new InvalidOperationException("Not initialized.");

    public override IDictionary<string, string?> HostConfiguration()
    {
        var configuration = base.HostConfiguration();
        var endpoint = RedisConnectionString.Split(',')[0];
        _redis ??= new TcpProxy(IPEndPoint.Parse(endpoint));
        configuration["ConnectionStrings:Redis"] = $"127.0.0.1:{Redis.Port}";
        configuration["Outbox:Relay:Enabled"] = "false";
        configuration["Resilience:Routes:monitoring:ConcurrencyLimit"] = "1";
        configuration["Resilience:Routes:monitoring:QueueLimit"] = "0";
        return configuration;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }
}

/// <summary>The critical path has a bulkhead of its own: a slow monitoring dependency cannot starve accepting commands.</summary>
public sealed class AcceptBulkheadTests(SlowMonitoringGateway fixture) : IClassFixture<SlowMonitoringGateway>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Submit_WhileMonitoringIsSaturatedByASlowDependency_IsStillAccepted()
    {
        using var admin = TestTokens.ClientFor(fixture.Factory, "tenant-bulkhead-ops", GatewayClaims.AdminScope);
        using var client = TestTokens.ClientFor(fixture.Factory, "tenant-bulkhead");
        fixture.Redis.AddLatency(TimeSpan.FromSeconds(3));
        try
        {
            // One slow overview holds the monitoring route's only slot...
            var slow = admin.GetAsync("/api/monitoring/overview", Ct);
            var until = DateTime.UtcNow + TimeSpan.FromSeconds(20);
            while (true)
            {
                using var busy = await admin.GetAsync("/api/monitoring/overview", Ct);
                if (busy.StatusCode == HttpStatusCode.ServiceUnavailable)
                {
                    break;
                }

                Assert.True(DateTime.UtcNow < until, "the monitoring route never filled up");
                await Task.Delay(50, Ct);
            }

            // ...while commands are accepted through their own bulkhead.
            for (var i = 0; i < 3; i++)
            {
                using var accepted = await client.SendAsync(CommandRequestsFor.Post("payments.charge", CommandRequestsFor.Charge), Ct);
                Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
            }

            Assert.False(slow.IsCompleted, "the slow monitoring request should still hold its slot");
            using var _ = await slow;
        }
        finally
        {
            fixture.Redis.Restore();
        }
    }
}
