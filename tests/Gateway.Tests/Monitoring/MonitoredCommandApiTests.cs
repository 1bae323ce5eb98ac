using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Messaging.Gateway.Tests.Monitoring;

/// <summary>
/// <c>GET /api/monitoring/commands/{id}</c>, /monitor's command search: the status document of <c>GET /api/commands/{id}</c>
/// with its tenant, for a tenant admin (its own tenant's) and an operator (any tenant's).
/// </summary>
public sealed class MonitoredCommandApiTests(GatewayHost host) : IClassFixture<GatewayHost>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ATenantAdmin_ReadsItsTenantsCommand_TheSameDocumentItsClientReads()
    {
        var id = await host.SeedDeadLetterAsync("tenant-lookup");
        using var admin = await host.CreateClientAsync("tenant-lookup", "admin");
        using var commands = await host.CreateClientAsync("tenant-lookup", "commands");

        var found = await admin.GetFromJsonAsync<JsonElement>($"/api/monitoring/commands/{id}", Ct);
        var own = await commands.GetFromJsonAsync<JsonElement>($"/api/commands/{id}", Ct);

        Assert.Equal("tenant-lookup", found.GetProperty("tenant").GetString());
        Assert.Equal(own.GetRawText(), found.GetProperty("command").GetRawText());
        Assert.Equal("DeadLettered", found.GetProperty("command").GetProperty("status").GetString());
    }

    [Fact]
    public async Task AnOperator_ReadsAnyTenantsCommand()
    {
        var id = await host.SeedDeadLetterAsync("tenant-lookup-fleet");
        using var operatorClient = await host.CreateOperatorClientAsync();

        var found = await operatorClient.GetFromJsonAsync<JsonElement>($"/api/monitoring/commands/{id}", Ct);

        Assert.Equal("tenant-lookup-fleet", found.GetProperty("tenant").GetString());
        Assert.Equal(id, found.GetProperty("command").GetProperty("id").GetGuid());
    }

    [Theory]
    [InlineData("other-tenant")]
    [InlineData("unknown")]
    [InlineData("malformed")]
    public async Task AnotherTenantsCommand_AnUnknownId_AndAMalformedOne_GetTheSame404Problem(string which)
    {
        var victim = await host.SeedDeadLetterAsync("tenant-lookup-victim");
        using var intruder = await host.CreateClientAsync("tenant-lookup-intruder", "admin");
        var id = which switch { "other-tenant" => victim.ToString(), "unknown" => Guid.NewGuid().ToString(), _ => "not-a-uuid" };

        using var response = await intruder.GetAsync($"/api/monitoring/commands/{id}", Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Command not found", (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("title").GetString());
    }

    [Fact]
    public async Task TheLookup_NeedsScopeAdmin()
    {
        using var commands = await host.CreateClientAsync("tenant-lookup-scope", "commands");

        using var response = await commands.GetAsync($"/api/monitoring/commands/{Guid.NewGuid()}", Ct);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }
}
