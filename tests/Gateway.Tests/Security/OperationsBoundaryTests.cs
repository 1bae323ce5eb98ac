using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Messaging.Gateway.Clients;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Gateway.Tests.Security;

/// <summary>
/// Attacks on the operations API's boundaries: a tenant's admin against another tenant's dead letters, redrives,
/// commands and audit records, and against every breaker; an operator against the breakers nobody may isolate; a
/// tenant's client dressed up as an operator. Each test names what it tries and checks nothing changed.
/// </summary>
public sealed class OperationsBoundaryTests(GatewayHost host) : IClassFixture<GatewayHost>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TenantBsAdmin_CannotListRedriveOrReadTenantAsDeadLettersAndCommands()
    {
        var (victim, attacker) = Tenants();
        var victimsLetter = await host.SeedDeadLetterAsync(victim);
        var attackersLetter = await host.SeedDeadLetterAsync(attacker);
        using var admin = await host.CreateClientAsync(attacker, "admin", "commands");

        // Asking for the victim's tenant by name: 403, the same answer as for a tenant that does not exist.
        using var listNamed = await admin.GetAsync($"/api/monitoring/dead-letters?tenant={victim}", Ct);
        using var listUnknown = await admin.GetAsync("/api/monitoring/dead-letters?tenant=no-such-tenant", Ct);
        Assert.Equal(HttpStatusCode.Forbidden, listNamed.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, listUnknown.StatusCode);
        Assert.Equal("application/problem+json", listNamed.Content.Headers.ContentType?.MediaType);
        Assert.Equal(await Normalized(listUnknown), await Normalized(listNamed));

        // Without a filter the list is the attacker's own tenant, never the fleet.
        var unfiltered = await admin.GetFromJsonAsync<JsonElement>("/api/monitoring/dead-letters?limit=1000", Ct);
        Assert.All(unfiltered.EnumerateArray(), letter => Assert.Equal(attacker, letter.GetProperty("tenant").GetString()));
        Assert.Contains(unfiltered.EnumerateArray(), letter => letter.GetProperty("commandId").GetGuid() == attackersLetter);

        // Bulk redrive naming the victim: 403 and nothing enqueued; without a tenant: the attacker's letters only.
        using var redriveNamed = await admin.PostAsJsonAsync("/api/monitoring/dead-letters/redrive", new { tenant = victim }, Ct);
        Assert.Equal(HttpStatusCode.Forbidden, redriveNamed.StatusCode);
        using var redriveAll = await admin.PostAsJsonAsync("/api/monitoring/dead-letters/redrive", new { type = "payments.charge" }, Ct);
        Assert.Equal(HttpStatusCode.Accepted, redriveAll.StatusCode);
        Assert.Equal(0, await host.OutboxRowsAsync(victimsLetter));
        Assert.Equal(1, await host.OutboxRowsAsync(attackersLetter));

        // The victim's command by id: indistinguishable from an unknown id, for reading and for a single redrive.
        using var read = await admin.GetAsync($"/api/commands/{victimsLetter}", Ct);
        using var readUnknown = await admin.GetAsync($"/api/commands/{Guid.NewGuid()}", Ct);
        using var redriveOne = await admin.PostAsync($"/api/commands/{victimsLetter}/redrive", null, Ct);
        Assert.Equal(HttpStatusCode.NotFound, read.StatusCode);
        Assert.Equal(await Normalized(readUnknown), await Normalized(read));
        Assert.Equal(HttpStatusCode.NotFound, redriveOne.StatusCode);
        Assert.Equal(0, await host.OutboxRowsAsync(victimsLetter));

        // The overview counts the attacker's dead letters only (the victim's is still waiting).
        var overview = await admin.GetFromJsonAsync<JsonElement>("/api/monitoring/overview", Ct);
        Assert.Equal(attacker, overview.GetProperty("tenant").GetString());
        Assert.Equal(0, overview.GetProperty("deadLetters").GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task TenantBsAdmin_CannotReadTenantAsAuditRecords()
    {
        var (victim, attacker) = Tenants();
        var victimsLetter = await host.SeedDeadLetterAsync(victim);
        using var victimsClient = await host.CreateClientAsync(victim, "commands");
        using (var redrive = await victimsClient.PostAsync($"/api/commands/{victimsLetter}/redrive", null, Ct))
        {
            Assert.Equal(HttpStatusCode.Accepted, redrive.StatusCode);
        }

        using var admin = await host.CreateClientAsync(attacker, "admin");
        using var named = await admin.GetAsync($"/api/monitoring/audit?tenant={victim}", Ct);
        var own = await admin.GetFromJsonAsync<JsonElement>("/api/monitoring/audit?limit=500", Ct);
        using var victimsAdmin = await host.CreateClientAsync(victim, "admin");
        var victims = await victimsAdmin.GetFromJsonAsync<JsonElement>("/api/monitoring/audit", Ct);

        Assert.Equal(HttpStatusCode.Forbidden, named.StatusCode);
        Assert.All(own.EnumerateArray(), record => Assert.Equal(attacker, record.GetProperty("tenant").GetString()));
        Assert.DoesNotContain(own.EnumerateArray(), record => record.GetProperty("target").GetString() == victimsLetter.ToString());
        var redriven = Assert.Single(victims.EnumerateArray(), record => record.GetProperty("action").GetString() == "command.redrive");
        Assert.Equal(victimsLetter.ToString(), redriven.GetProperty("target").GetString());
        Assert.Equal(victim, redriven.GetProperty("actorTenant").GetString());
        Assert.Equal("succeeded", redriven.GetProperty("outcome").GetString());
    }

    [Fact]
    public async Task ATenantAdmin_CanIsolateOrResetNoBreaker_AndNoneChanges()
    {
        var (_, attacker) = Tenants();
        using var admin = await host.CreateClientAsync(attacker, "admin");
        using var commands = await host.CreateClientAsync(attacker, "commands");
        await commands.GetAsync("/api/commands", Ct); // so that route:commands and route:accept's group have been used
        var before = await BreakerStatesAsync(admin);
        Assert.Contains("postgres", before.Keys);
        Assert.Contains("route:auth", before.Keys);

        foreach (var name in before.Keys)
        {
            foreach (var action in new[] { "isolate", "reset" })
            {
                using var response = await admin.PostAsync($"/api/monitoring/breakers/{Uri.EscapeDataString(name)}/{action}", null, Ct);
                Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{action} {name}: {(int)response.StatusCode}");
            }
        }

        var after = await BreakerStatesAsync(admin);
        Assert.DoesNotContain("isolated", after.Values);
        using var operatorClient = await host.CreateOperatorClientAsync();
        var audit = await operatorClient.GetFromJsonAsync<JsonElement>("/api/monitoring/audit?limit=500", Ct);
        Assert.DoesNotContain(audit.EnumerateArray(), record => record.GetProperty("actorTenant").GetString() == attacker);
    }

    [Theory]
    [InlineData("route:auth")]
    [InlineData("route:monitoring")]
    public async Task AnOperator_CannotIsolateTheTokenEndpointsOrTheMonitoringAPIsBreaker_AndTheAttemptIsAudited(string breaker)
    {
        using var operatorClient = await host.CreateOperatorClientAsync();
        using var response = await operatorClient.PostAsync($"/api/monitoring/breakers/{Uri.EscapeDataString(breaker)}/isolate", null, Ct);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.NotEqual("isolated", (await BreakerStatesAsync(operatorClient)).GetValueOrDefault(breaker));
        var (clientId, secret) = await host.AddClientAsync(Tenants().Attacker, "commands");
        Assert.False(string.IsNullOrEmpty(await host.RequestTokenAsync(clientId, secret)));
        var audit = await operatorClient.GetFromJsonAsync<JsonElement>("/api/monitoring/audit?limit=500", Ct);
        Assert.Contains(audit.EnumerateArray(), record => record.GetProperty("action").GetString() == "breaker.isolate"
            && record.GetProperty("target").GetString() == breaker
            && record.GetProperty("outcome").GetString() == "refused"
            && record.GetProperty("actorTenant").GetString() == GatewayClaims.OperatorTenant
            && record.GetProperty("tenant").ValueKind == JsonValueKind.Null);
    }

    [Fact]
    public async Task AnOperator_IsolatesAndResetsAcrossTheFleet_AndBothAreAudited()
    {
        using var operatorClient = await host.CreateOperatorClientAsync();
        var (victim, other) = Tenants();
        var first = await host.SeedDeadLetterAsync(victim);
        var second = await host.SeedDeadLetterAsync(other);

        var letters = await operatorClient.GetFromJsonAsync<JsonElement>("/api/monitoring/dead-letters?limit=1000", Ct);
        using var isolate = await operatorClient.PostAsync("/api/monitoring/breakers/route:commands/isolate", null, Ct);
        using var reset = await operatorClient.PostAsync("/api/monitoring/breakers/route:commands/reset", null, Ct);
        var audit = await operatorClient.GetFromJsonAsync<JsonElement>("/api/monitoring/audit?limit=500", Ct);
        using var victimsAdmin = await host.CreateClientAsync(victim, "admin");
        var victimsAudit = await victimsAdmin.GetFromJsonAsync<JsonElement>("/api/monitoring/audit?limit=500", Ct);

        var ids = letters.EnumerateArray().Select(l => l.GetProperty("commandId").GetGuid()).ToHashSet();
        Assert.Contains(first, ids);
        Assert.Contains(second, ids);
        Assert.Equal(HttpStatusCode.OK, isolate.StatusCode);
        Assert.Equal(HttpStatusCode.OK, reset.StatusCode);
        var controls = audit.EnumerateArray().Where(r => r.GetProperty("target").GetString() == "route:commands").Take(2).ToList();
        Assert.Equal(["breaker.reset", "breaker.isolate"], controls.Select(r => r.GetProperty("action").GetString()));
        Assert.All(controls, r => Assert.Equal("succeeded", r.GetProperty("outcome").GetString()));
        Assert.DoesNotContain(victimsAudit.EnumerateArray(), r => r.GetProperty("target").GetString() == "route:commands");
    }

    [Fact]
    public async Task ATenantsClient_CannotBeMadeAnOperator_ByItsScopes_OrByATokenNamingTheScope()
    {
        var (_, attacker) = Tenants();
        var store = host.Services.GetRequiredService<ClientStore>();

        await Assert.ThrowsAsync<ArgumentException>(() => store.AddAsync(attacker, ["admin", "operator"], GatewayHost.TestActor, Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => store.AddAsync(GatewayClaims.OperatorTenant, ["operator", "commands"], GatewayHost.TestActor, Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => store.AddAsync(GatewayClaims.OperatorTenant, ["admin"], GatewayHost.TestActor, Ct));

        // Even a correctly signed token with scope operator is not an operator's unless its tenant is the operator tenant.
        using var forged = Commands.TestTokens.ClientFor(host.Factory, attacker, "admin operator");
        using var isolate = await forged.PostAsync("/api/monitoring/breakers/postgres/isolate", null, Ct);
        var overview = await forged.GetFromJsonAsync<JsonElement>("/api/monitoring/overview", Ct);

        Assert.Equal(HttpStatusCode.Forbidden, isolate.StatusCode);
        Assert.Equal(attacker, overview.GetProperty("tenant").GetString());
    }

    [Fact]
    public async Task ATenantAdminsOverview_ShowsItsShare_NotTheFleetsAlertsOrRateLimiting()
    {
        var (tenant, _) = Tenants();
        using var admin = await host.CreateClientAsync(tenant, "admin");
        using var operatorClient = await host.CreateOperatorClientAsync();

        var own = await admin.GetFromJsonAsync<JsonElement>("/api/monitoring/overview", Ct);
        var fleet = await operatorClient.GetFromJsonAsync<JsonElement>("/api/monitoring/overview", Ct);

        Assert.Equal(tenant, own.GetProperty("tenant").GetString());
        Assert.Equal(0, own.GetProperty("alerts").GetArrayLength());
        Assert.False(own.TryGetProperty("rateLimiting", out var limiting) && limiting.ValueKind != JsonValueKind.Null);
        Assert.All(own.GetProperty("queues").EnumerateArray(), q => Assert.Equal("tenant", q.GetProperty("source").GetString()));
        Assert.Equal(0, own.GetProperty("outbox").GetProperty("pending").GetInt64());
        Assert.Equal(JsonValueKind.Null, fleet.GetProperty("tenant").ValueKind);
        Assert.Equal(JsonValueKind.Object, fleet.GetProperty("rateLimiting").ValueKind);
    }

    private static (string Victim, string Attacker) Tenants()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        return ("tenant-a-" + suffix, "tenant-b-" + suffix);
    }

    private static async Task<Dictionary<string, string>> BreakerStatesAsync(HttpClient client)
    {
        var overview = await client.GetFromJsonAsync<JsonElement>("/api/monitoring/overview", Ct);
        return overview.GetProperty("breakers").EnumerateArray()
            .ToDictionary(b => b.GetProperty("name").GetString()!, b => b.GetProperty("state").GetString()!, StringComparer.Ordinal);
    }

    // A problem body without its traceId (which differs per request).
    private static async Task<string> Normalized(HttpResponseMessage response)
    {
        var body = await response.Content.ReadFromJsonAsync<Dictionary<string, JsonElement>>(Ct);
        body!.Remove("traceId");
        return JsonSerializer.Serialize(body);
    }
}
