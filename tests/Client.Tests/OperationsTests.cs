using System.Net;
using Microsoft.Extensions.Time.Testing;

namespace Messaging.Client.Tests;

/// <summary>The operations calls (overview, audit, breaker control) against <see cref="StubGateway"/>: what they send, read and say on 403.</summary>
public sealed class OperationsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task GetAudit_SendsTheQueryAsParameters_AndReadsEachRecord()
    {
        var (gateway, paths) = Answering(_ => StubGateway.Json(HttpStatusCode.OK, """
                [{"id":42,"at":"2030-01-01T00:00:05+00:00","actorClient":"cli_op","actorTenant":"operators","action":"breaker.reset",
                  "target":"payments@127.0.0.1:5091","tenant":null,"outcome":"succeeded","detail":null},
                 {"id":41,"at":"2030-01-01T00:00:01+00:00","actorClient":"cli_admin","actorTenant":"acme","action":"dead-letters.redrive",
                  "target":"dead-letters","tenant":"acme","outcome":"refused","detail":{"type":"payments.charge"}}]
                """));

        var records = await gateway.CreateClient().GetAuditAsync(new AuditQuery { Tenant = "acme corp", Before = 43, Limit = 2 }, Ct);

        Assert.Equal("/api/monitoring/audit?tenant=acme%20corp&before=43&limit=2", Assert.Single(paths));
        Assert.Equal([42L, 41L], records.Select(r => r.Id));
        Assert.Equal(new AuditRecordInfo(42, new DateTimeOffset(2030, 1, 1, 0, 0, 5, TimeSpan.Zero), "cli_op", "operators", "breaker.reset",
            "payments@127.0.0.1:5091", null, "succeeded", null), records[0]);
        Assert.Equal("refused", records[1].Outcome);
        Assert.Equal("payments.charge", records[1].Detail!.Value.GetProperty("type").GetString());
    }

    [Fact]
    public async Task GetAudit_WithoutAQuery_AsksForTheDefaultPage()
    {
        var (gateway, paths) = Answering(_ => StubGateway.Json(HttpStatusCode.OK, "[]"));

        Assert.Empty(await gateway.CreateClient().GetAuditAsync(cancellationToken: Ct));
        Assert.Equal("/api/monitoring/audit", Assert.Single(paths));
    }

    [Fact]
    public async Task Overview_OfATenantAdmin_ReadsItsTenant_AndItsQueuesShare()
    {
        var (gateway, _) = Answering(_ => StubGateway.Json(HttpStatusCode.OK, """
            {"tenant":"acme","breakers":[],"outbox":{"pending":0},"deadLetters":{"total":0,"byType":{}},"rateLimiting":null,"alerts":[],
             "queues":[{"name":"payments.charge","ready":3,"unacked":1,"consumers":2,"publishRate":null,"deliverRate":null,"source":"tenant","history":[]}]}
            """));

        var overview = await gateway.CreateClient().GetMonitoringOverviewAsync(Ct);

        Assert.Equal("acme", overview.Tenant);
        Assert.Null(overview.RateLimiting);
        Assert.Empty(overview.Alerts!);
        var queue = Assert.Single(overview.Queues!);
        Assert.Equal(("tenant", 3L, 1L), (queue.Source, queue.Ready!.Value, queue.Unacked!.Value));
        Assert.False(overview.Extra?.ContainsKey("tenant") ?? false);
    }

    [Fact]
    public async Task ResetBreaker_RefusedForLackOfScope_Fails403_NamingScopeOperator_WithoutARetry()
    {
        var (gateway, _) = Answering(_ =>
        {
            var forbidden = StubGateway.Problem(HttpStatusCode.Forbidden, "Forbidden");
            forbidden.Headers.WwwAuthenticate.ParseAdd("Bearer realm=\"messaging\", error=\"insufficient_scope\"");
            return forbidden;
        });

        var error = await Assert.ThrowsAsync<MessagingClientException>(() => gateway.CreateClient().ResetBreakerAsync("payments@127.0.0.1:5091", Ct));

        Assert.Single(gateway.Calls);
        Assert.Equal(HttpStatusCode.Forbidden, error.StatusCode);
        Assert.Equal("operator", error.RequiredScope);
        Assert.Equal("The gateway answered 403 (Forbidden): this call needs scope operator, which the access token does not carry.", error.Message);
        Assert.False(error.IsTransient);
    }

    [Fact]
    public async Task ListDeadLetters_OfAnotherTenant_Fails403_WithTheGatewaysReason_NotAScope()
    {
        const string Reason = "Scope admin covers the token's own tenant only; the fleet needs scope operator.";
        var (gateway, _) = Answering(_ => StubGateway.Json(HttpStatusCode.Forbidden,
            $$"""{"title":"Forbidden","status":403,"detail":"{{Reason}}"}""", "application/problem+json"));

        var error = await Assert.ThrowsAsync<MessagingClientException>(() =>
            gateway.CreateClient().ListDeadLettersAsync(new DeadLetterFilter { Tenant = "someone-else" }, cancellationToken: Ct));

        Assert.Null(error.RequiredScope);
        Assert.Equal(Reason, error.ProblemDetail);
        Assert.EndsWith(Reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RedriveCommand_WithoutADeadline_SendsNoBody_AsBefore_AndWithOne_SendsItAsTheBody()
    {
        var (gateway, paths, bodies) = AcceptingRedrives("""{"redriven":1,"skipped":0}""");
        var client = gateway.CreateClient();
        var id = Guid.Parse("0196a1c2-0000-7000-8000-000000000042");

        var plain = await client.RedriveCommandAsync(id, cancellationToken: Ct);
        var fresh = await client.RedriveCommandAsync(id, new DateTimeOffset(2030, 1, 2, 9, 0, 0, TimeSpan.FromHours(1)), Ct);

        Assert.Equal([$"/api/commands/{id}/redrive", $"/api/commands/{id}/redrive"], paths);
        Assert.Equal([null, """{"deadline":"2030-01-02T09:00:00+01:00"}"""], bodies);
        Assert.Equal(1, plain.Redriven);
        Assert.Equal(1, fresh.Redriven);
    }

    [Fact]
    public async Task RedriveDeadLetters_SendsTheFilter_AndTheDeadlineWhenGiven()
    {
        var (gateway, paths, bodies) = AcceptingRedrives("""{"redriven":3,"skipped":1}""");
        var client = gateway.CreateClient();
        var filter = new DeadLetterFilter { Type = "payments.charge", Limit = 5 };

        await client.RedriveDeadLettersAsync(filter, cancellationToken: Ct);
        var result = await client.RedriveDeadLettersAsync(filter, new DateTimeOffset(2030, 1, 3, 0, 0, 0, TimeSpan.Zero), Ct);

        Assert.All(paths, path => Assert.Equal("/api/monitoring/dead-letters/redrive", path));
        Assert.Equal(["""{"type":"payments.charge","limit":5}""", """{"type":"payments.charge","limit":5,"deadline":"2030-01-03T00:00:00+00:00"}"""], bodies);
        Assert.Equal((3, 1), (result.Redriven, result.Skipped));
    }

    [Fact]
    public async Task RedriveCommand_WithADeadlineTheGatewayRefuses_Fails400_WithItsDetail_WithoutARetry()
    {
        const string Detail = "'deadline' must be in the future and at most 30 days ahead; nothing was redriven.";
        var (gateway, _) = Answering(_ => StubGateway.Json(HttpStatusCode.BadRequest,
            $$"""{"title":"Invalid deadline.","status":400,"detail":"{{Detail}}"}""", "application/problem+json"));

        var error = await Assert.ThrowsAsync<MessagingClientException>(() =>
            gateway.CreateClient().RedriveCommandAsync(Guid.NewGuid(), new DateTimeOffset(2029, 1, 1, 0, 0, 0, TimeSpan.Zero), Ct));

        Assert.Single(gateway.Calls);
        Assert.Equal(HttpStatusCode.BadRequest, error.StatusCode);
        Assert.Equal(Detail, error.ProblemDetail);
        Assert.False(error.IsTransient);
    }

    /// <summary>A stub that answers every call 202 with <paramref name="answer"/>, with the path and the body (null for none) of each call.</summary>
    private static (StubGateway Gateway, List<string> Paths, List<string?> Bodies) AcceptingRedrives(string answer)
    {
        var bodies = new List<string?>();
        var (gateway, paths) = Answering(request =>
        {
            bodies.Add(request.Content?.ReadAsStringAsync().GetAwaiter().GetResult());
            return StubGateway.Json(HttpStatusCode.Accepted, answer);
        });
        return (gateway, paths, bodies);
    }

    /// <summary>A stub whose API calls get <paramref name="answer"/>, with the path and query of each call.</summary>
    private static (StubGateway Gateway, List<string> Paths) Answering(Func<HttpRequestMessage, HttpResponseMessage> answer)
    {
        var paths = new List<string>();
        var gateway = new StubGateway(new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero)))
        {
            Api = (request, _) =>
            {
                paths.Add(request.RequestUri!.PathAndQuery);
                return answer(request);
            },
        };
        return (gateway, paths);
    }
}
