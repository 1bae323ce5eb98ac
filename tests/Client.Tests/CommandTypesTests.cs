using System.Net;
using Microsoft.Extensions.Time.Testing;

namespace Messaging.Client.Tests;

/// <summary><see cref="MessagingClient.ListCommandTypesAsync"/> against <see cref="StubGateway"/>.</summary>
public sealed class CommandTypesTests
{
    private const string Types = """
        {"items":[
          {"name":"payments.charge","provider":"payments","defaultTimeout":"01:00:00","defaultTimeoutSeconds":3600,
           "schema":{"type":"object","properties":{"amount":{"type":"number"}},"required":["amount"],"additionalProperties":false}},
          {"name":"notifications.send","provider":"notifications","defaultTimeout":"1.00:00:00","defaultTimeoutSeconds":86400,"schema":{"type":"object"}}
        ]}
        """;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ListCommandTypes_ReadsEachTypesNameProviderDefaultTimeoutAndSchema_InTheGatewaysOrder()
    {
        var gateway = new StubGateway(new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero)));
        string? path = null;
        gateway.Api = (request, _) =>
        {
            path = request.RequestUri!.PathAndQuery;
            return StubGateway.Json(HttpStatusCode.OK, Types);
        };

        var types = await gateway.CreateClient().ListCommandTypesAsync(Ct);

        Assert.Equal("/api/command-types", path);
        Assert.Equal(["payments.charge", "notifications.send"], types.Select(t => t.Name));
        Assert.Equal("payments", types[0].Provider);
        Assert.Equal(TimeSpan.FromHours(1), types[0].DefaultTimeout);
        Assert.Equal(TimeSpan.FromDays(1), types[1].DefaultTimeout);
        Assert.Equal("amount", types[0].Schema!.Value.GetProperty("required")[0].GetString());
    }

    [Fact]
    public async Task ListCommandTypes_WithoutTheScope_Fails403_WithoutARetry()
    {
        var gateway = new StubGateway(new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero)))
        {
            Api = (_, _) => StubGateway.Problem(HttpStatusCode.Forbidden, "Forbidden"),
        };

        var error = await Assert.ThrowsAsync<MessagingClientException>(() => gateway.CreateClient().ListCommandTypesAsync(Ct));

        Assert.Equal(HttpStatusCode.Forbidden, error.StatusCode);
        Assert.Single(gateway.Calls);
    }
}
