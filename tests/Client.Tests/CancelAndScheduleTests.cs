using System.Net;
using Microsoft.Extensions.Time.Testing;

namespace Messaging.Client.Tests;

/// <summary><see cref="MessagingClient.CancelAsync"/> and <see cref="SendOptions.NotBefore"/> against <see cref="StubGateway"/>: what goes over the wire, what is read.</summary>
public sealed class CancelAndScheduleTests
{
    private const string Id = "0199a3c0-0000-7000-8000-000000000001";

    private const string Cancelled = $$"""
        {"id":"{{Id}}","type":"payments.charge","status":"Cancelled","attempts":0,"createdAt":"2030-01-01T00:00:00+00:00",
         "updatedAt":"2030-01-01T00:00:05+00:00","deadline":"2030-01-01T02:00:00+00:00",
         "error":{"code":"cancelled","message":"Cancelled by its client."},"notBefore":"2030-01-01T01:00:00+00:00"}
        """;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("2030-01-02T10:00:00+01:00", "2030-01-02T09:00:00Z")]
    [InlineData("2030-01-02T09:00:00.25Z", "2030-01-02T09:00:00.25Z")]
    [InlineData("2030-01-02T09:00:00.1234567-02:30", "2030-01-02T11:30:00.1234567Z")]
    public async Task Send_WithNotBefore_SendsItAsRfc3339InUtc_AndReadsScheduled(string notBefore, string header)
    {
        var (gateway, requests) = Recording(_ => StubGateway.Json(HttpStatusCode.Accepted,
            $$"""{"id":"{{Id}}","type":"payments.charge","status":"Scheduled","statusUrl":"/api/commands/{{Id}}","acceptedVia":"outbox"}"""));

        var accepted = await gateway.CreateClient().SendAsync(new PaymentsCharge(1m, "EUR", "cus_1"),
            new SendOptions { NotBefore = DateTimeOffset.Parse(notBefore, System.Globalization.CultureInfo.InvariantCulture) }, Ct);

        var request = Assert.Single(requests);
        Assert.Equal(header, Assert.Single(request.Headers.GetValues("Not-Before")));
        Assert.Equal(CommandStatus.Scheduled, accepted.Status);
    }

    [Fact]
    public async Task Send_WithoutNotBefore_SendsNoNotBeforeHeader()
    {
        var (gateway, requests) = Recording(_ => StubGateway.Json(HttpStatusCode.Accepted,
            $$"""{"id":"{{Id}}","type":"payments.charge","status":"Accepted","statusUrl":"/api/commands/{{Id}}"}"""));

        var accepted = await gateway.CreateClient().SendAsync(new PaymentsCharge(1m, "EUR", "cus_1"), new SendOptions { Timeout = TimeSpan.FromMinutes(1) }, Ct);

        Assert.False(Assert.Single(requests).Headers.Contains("Not-Before"));
        Assert.Equal(CommandStatus.Accepted, accepted.Status);
    }

    [Fact]
    public async Task Cancel_PostsToTheCommandsCancelUrl_WithoutABody_AndReadsTheCancelledStatus()
    {
        var (gateway, requests) = Recording(_ => StubGateway.Json(HttpStatusCode.Accepted, Cancelled));

        var info = await gateway.CreateClient().CancelAsync(Guid.Parse(Id), Ct);

        var request = Assert.Single(requests);
        Assert.Equal(HttpMethod.Post, request.Method);
        Assert.Equal($"/api/commands/{Id}/cancel", request.RequestUri!.PathAndQuery);
        Assert.Null(request.Content);
        Assert.Equal(CommandStatus.Cancelled, info.Status);
        Assert.True(info.IsTerminal);
        Assert.Equal("cancelled", info.Error!.Code);
        Assert.Equal(new DateTimeOffset(2030, 1, 1, 1, 0, 0, TimeSpan.Zero), info.NotBefore);
        Assert.Equal(new DateTimeOffset(2030, 1, 1, 2, 0, 0, TimeSpan.Zero), info.Deadline);
    }

    // The command's status is the extension commandStatus, apart from the problem's own status (the HTTP code).
    [Theory]
    [InlineData("""{"title":"Command cannot be cancelled","status":409,"detail":"An attempt of this command is running.","commandStatus":"Processing"}""", CommandStatus.Processing)]
    [InlineData("""{"commandStatus":"Succeeded","title":"Command cannot be cancelled","status":409}""", CommandStatus.Succeeded)]
    [InlineData("""{"title":"Command cannot be cancelled","status":409,"commandStatus":"Parked"}""", CommandStatus.Unknown)]
    public async Task Cancel_Answered409_FailsWithTheCommandsStatus_WithoutARetry(string problem, CommandStatus status)
    {
        var (gateway, _) = Recording(_ => StubGateway.Json(HttpStatusCode.Conflict, problem, "application/problem+json"));

        var error = await Assert.ThrowsAsync<MessagingClientException>(() => gateway.CreateClient().CancelAsync(Guid.Parse(Id), Ct));

        Assert.Single(gateway.Calls);
        Assert.Equal(HttpStatusCode.Conflict, error.StatusCode);
        Assert.Equal(status, error.CommandStatus);
        Assert.Equal("Command cannot be cancelled", error.ProblemTitle);
        Assert.False(error.IsTransient);
    }

    [Fact]
    public async Task AnotherConflict_WithoutACommandStatus_HasNoCommandStatus()
    {
        var (gateway, _) = Recording(_ => StubGateway.Problem(HttpStatusCode.Conflict, "Not redriven"));

        var error = await Assert.ThrowsAsync<MessagingClientException>(() => gateway.CreateClient().RedriveCommandAsync(Guid.Parse(Id), cancellationToken: Ct));

        Assert.Null(error.CommandStatus);
        Assert.Empty(error.FailedItems);
    }

    [Fact]
    public async Task Cancel_Answered503_IsRetried_AndTheRetryGetsTheCancelledStatus()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var answers = 0;
        var (gateway, requests) = Recording(_ => ++answers == 1
            ? StubGateway.Problem(HttpStatusCode.ServiceUnavailable, "Service unavailable")
            : StubGateway.Json(HttpStatusCode.Accepted, Cancelled), time);

        var cancel = gateway.CreateClient().CancelAsync(Guid.Parse(Id), Ct);
        for (var i = 0; i < 200 && !cancel.IsCompleted; i++)
        {
            await Task.Delay(5, Ct);
            time.Advance(TimeSpan.FromMilliseconds(500));
        }

        Assert.Equal(CommandStatus.Cancelled, (await cancel).Status);
        Assert.Equal(2, requests.Count);
        Assert.All(requests, r => Assert.Equal($"/api/commands/{Id}/cancel", r.RequestUri!.AbsolutePath));
    }

    /// <summary>A stub whose API calls get <paramref name="answer"/>, keeping each request (its headers and URL).</summary>
    private static (StubGateway Gateway, List<HttpRequestMessage> Requests) Recording(Func<HttpRequestMessage, HttpResponseMessage> answer, FakeTimeProvider? time = null)
    {
        var requests = new List<HttpRequestMessage>();
        var gateway = new StubGateway(time ?? new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero)))
        {
            Api = (request, _) =>
            {
                requests.Add(request);
                return answer(request);
            },
        };
        return (gateway, requests);
    }
}
