using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;

namespace Messaging.Client.Tests;

/// <summary>What the client retries (503, 429, with Retry-After) and what it never does (other 4xx), against <see cref="StubGateway"/>.</summary>
public sealed class RetryTests
{
    private const string Accepted = """{"id":"0199a3c0-0000-7000-8000-000000000001","type":"payments.charge","status":"Accepted","statusUrl":"/api/commands/0199a3c0-0000-7000-8000-000000000001"}""";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Send_Answered503ThenAccepted_WaitsRetryAfter_AndRetriesWithTheSameKey()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var gateway = new StubGateway(time)
        {
            Api = (_, attempt) =>
            {
                if (attempt < 3)
                {
                    var busy = StubGateway.Problem(attempt == 1 ? HttpStatusCode.ServiceUnavailable : HttpStatusCode.TooManyRequests, "Busy");
                    busy.Headers.RetryAfter = new(TimeSpan.FromSeconds(3));
                    return busy;
                }

                return StubGateway.Json(HttpStatusCode.Accepted, Accepted);
            },
        };
        var client = gateway.CreateClient();

        var send = client.SendAsync(new PaymentsCharge(10m, "EUR", "cus_1"), cancellationToken: Ct);
        for (var i = 0; i < 200 && !send.IsCompleted; i++)
        {
            await Task.Delay(5, Ct);
            time.Advance(TimeSpan.FromMilliseconds(500));
        }

        var accepted = await send;
        Assert.Equal(3, gateway.Calls.Count);
        Assert.Single(gateway.Calls.Select(c => c.IdempotencyKey).Distinct());
        Assert.Equal(accepted.IdempotencyKey, gateway.Calls[0].IdempotencyKey);
        Assert.True(gateway.Calls[1].At - gateway.Calls[0].At >= TimeSpan.FromSeconds(3));
        Assert.True(gateway.Calls[2].At - gateway.Calls[1].At >= TimeSpan.FromSeconds(3));
    }

    [Theory]
    [InlineData(HttpStatusCode.BadRequest)]
    [InlineData(HttpStatusCode.Conflict)]
    [InlineData(HttpStatusCode.UnprocessableEntity)]
    [InlineData(HttpStatusCode.InternalServerError)]
    public async Task Send_AnsweredWithAnotherError_IsNotRetried_AndSaysWhy(HttpStatusCode status)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var gateway = new StubGateway(time) { Api = (_, _) => StubGateway.Problem(status, "Refused") };
        var client = gateway.CreateClient();

        var error = await Assert.ThrowsAsync<MessagingClientException>(() =>
            client.SendAsync("payments.charge", JsonDocument.Parse("""{"amount":1}""").RootElement, new SendOptions { IdempotencyKey = "k-1" }, Ct));

        Assert.Single(gateway.Calls);
        Assert.Equal(status, error.StatusCode);
        Assert.Equal("Refused", error.ProblemTitle);
        Assert.Equal("abc", error.TraceId);
        Assert.False(error.IsTransient);
    }

    [Fact]
    public async Task Send_WithRetryAfterLongerThanTheClientMayWait_FailsAtOnce_WithTheRetryAfter()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var gateway = new StubGateway(time)
        {
            Api = (_, _) =>
            {
                var busy = StubGateway.Problem(HttpStatusCode.TooManyRequests, "Too many requests");
                busy.Headers.RetryAfter = new(TimeSpan.FromMinutes(5));
                return busy;
            },
        };
        var client = gateway.CreateClient(options => options.MaxRetryDelay = TimeSpan.FromSeconds(30));

        var error = await Assert.ThrowsAsync<MessagingClientException>(() => client.SendAsync(new PaymentsCharge(1m, "EUR", "cus_1"), cancellationToken: Ct));

        Assert.Single(gateway.Calls);
        Assert.Equal(HttpStatusCode.TooManyRequests, error.StatusCode);
        Assert.Equal(TimeSpan.FromMinutes(5), error.RetryAfter);
        Assert.True(error.IsTransient);
    }
}
