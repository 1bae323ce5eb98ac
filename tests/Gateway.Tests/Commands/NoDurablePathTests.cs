using System.Net;

namespace Messaging.Gateway.Tests.Commands;

/// <summary>Neither PostgreSQL nor RabbitMQ: 503 with Retry-After and nothing accepted, not even later.</summary>
public sealed class NoDurablePathTests(NoBrokerFallbackGateway fixture) : IClassFixture<NoBrokerFallbackGateway>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Submit_WhenPostgresAndRabbitMqAreDown_Returns503WithRetryAfter_AndPublishesNothing()
    {
        using var client = fixture.ClientFor("tenant-no-path");
        var key = "key-" + Guid.NewGuid().ToString("N");
        fixture.Postgres.Cut();
        fixture.Rabbit.Cut();
        try
        {
            foreach (var idempotencyKey in new[] { null, key })
            {
                using var response = await client.SendAsync(CommandRequestsFor.Post("payments.charge", CommandRequestsFor.Charge, idempotencyKey), Ct);

                Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero);
                FallbackGateway.AssertNoLeaks(await response.Content.ReadAsStringAsync(Ct));
            }

            // The broker comes back (PostgreSQL still down): the same key is free again (the failed attempt left
            // nothing behind) and is accepted once; the refused attempts never reach the queue.
            fixture.Rabbit.Restore();
            Guid id = default;
            var until = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (true)
            {
                using var retry = await client.SendAsync(CommandRequestsFor.Post("payments.charge", CommandRequestsFor.Charge, key), Ct);
                if (retry.StatusCode == HttpStatusCode.Accepted)
                {
                    Assert.False(retry.Headers.Contains("Idempotent-Replayed"));
                    id = (await FallbackGateway.JsonAsync(retry)).GetProperty("id").GetGuid();
                    break;
                }

                Assert.Equal(HttpStatusCode.ServiceUnavailable, retry.StatusCode);
                Assert.True(DateTime.UtcNow < until, "the gateway did not publish again within 60 s of the broker's return");
                await Task.Delay(500, Ct);
            }

            var message = Assert.Single(await fixture.DrainAsync("payments.charge"));
            Assert.Equal(id.ToString(), message.BasicProperties.MessageId);
        }
        finally
        {
            fixture.Rabbit.Restore();
            fixture.Postgres.Restore();
        }
    }
}
