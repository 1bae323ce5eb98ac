using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Messaging.Gateway.Tests.DeadLetters;

/// <summary>
/// <c>GET /api/monitoring/dead-letters/{id}</c>: one dead letter whole for /monitor's detail, with the headers that are
/// safe to show only; and the bulk redrive narrowed to one command, which the detail's Redrive uses.
/// </summary>
public sealed class DeadLetterDetailApiTests(GatewayHost host) : IClassFixture<GatewayHost>
{
    private static readonly Dictionary<string, string> UnsafeHeaders = new()
    {
        ["Messaging-Signature"] = "sig-SECRET-0001",
        ["Messaging-Idempotency-Key"] = "key-SECRET-0002",
        ["Messaging-Idempotency-Hash"] = "hash-SECRET-0003",
        ["MT-Fault-Message"] = "password=SECRET-0004",
        ["MT-Fault-StackTrace"] = "at Provider.SECRET-0005()",
        ["tracestate"] = "vendor=SECRET-0006",
        ["Authorization"] = "Bearer SECRET-0007",
    };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task OneDeadLetter_ShowsReasonAttemptsBodyAndSafeHeaders_AndNeverASignatureOrSecret()
    {
        var commandId = await host.SeedDeadLetterAsync("tenant-detail", new Dictionary<string, string>(UnsafeHeaders)
        {
            ["Messaging-Command-Type"] = "payments.charge",
            ["Messaging-Attempt"] = "5",
            ["traceparent"] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        });
        using var admin = await host.CreateClientAsync("tenant-detail", "admin");
        var id = await DeadLetterIdAsync(admin, commandId);

        using var response = await admin.GetAsync($"/api/monitoring/dead-letters/{id}", Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var detail = JsonDocument.Parse(text).RootElement;
        Assert.Equal(id, detail.GetProperty("id").GetInt64());
        Assert.Equal(commandId, detail.GetProperty("commandId").GetGuid());
        Assert.Equal("tenant-detail", detail.GetProperty("tenant").GetString());
        Assert.Equal("provider unavailable", detail.GetProperty("reason").GetString());
        Assert.Equal("retries-exhausted", detail.GetProperty("source").GetString());
        Assert.Equal(5, detail.GetProperty("attempts").GetInt32());
        Assert.Contains("\"customerId\":\"cus_1\"", detail.GetProperty("body").GetString(), StringComparison.Ordinal);
        var headers = detail.GetProperty("headers").EnumerateObject().Select(h => h.Name).ToList();
        Assert.Equal(["Messaging-Attempt", "Messaging-Command-Type", "Messaging-Deadline", "Messaging-Tenant", "traceparent"], headers);
        Assert.Equal(UnsafeHeaders.Count, detail.GetProperty("hiddenHeaders").GetInt32());
        Assert.DoesNotContain("SECRET", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Messaging-Signature", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnotherTenantsDeadLetter_AndAnUnknownId_Are404Problems_ForATenantAdmin_WhileAnOperatorReadsIt()
    {
        var commandId = await host.SeedDeadLetterAsync("tenant-detail-victim");
        using var victim = await host.CreateClientAsync("tenant-detail-victim", "admin");
        var id = await DeadLetterIdAsync(victim, commandId);
        using var intruder = await host.CreateClientAsync("tenant-detail-intruder", "admin");
        using var operatorClient = await host.CreateOperatorClientAsync();

        using var other = await intruder.GetAsync($"/api/monitoring/dead-letters/{id}", Ct);
        using var unknown = await victim.GetAsync($"/api/monitoring/dead-letters/{long.MaxValue}", Ct);
        var fleet = await operatorClient.GetFromJsonAsync<JsonElement>($"/api/monitoring/dead-letters/{id}", Ct);

        Assert.All([other, unknown], response =>
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        });
        // The same answer whether the id exists in another tenant or nowhere.
        Assert.Equal((await unknown.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("title").GetString(),
            (await other.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("title").GetString());
        Assert.Equal("tenant-detail-victim", fleet.GetProperty("tenant").GetString());
    }

    [Fact]
    public async Task ADeadLetter_NeedsScopeAdmin()
    {
        using var commands = await host.CreateClientAsync("tenant-detail-scope", "commands");

        using var response = await commands.GetAsync("/api/monitoring/dead-letters/1", Ct);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task BulkRedrive_NarrowedToACommand_RedrivesThatOneOnly_AndAuditsItAsTheCommandsRedrive()
    {
        var chosen = await host.SeedDeadLetterAsync("tenant-detail-redrive");
        var other = await host.SeedDeadLetterAsync("tenant-detail-redrive");
        using var admin = await host.CreateClientAsync("tenant-detail-redrive", "admin");

        using var response = await admin.PostAsJsonAsync("/api/monitoring/dead-letters/redrive", new { commandId = chosen }, Ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(1, (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("redriven").GetInt32());
        Assert.Equal(1, await host.OutboxRowsAsync(chosen));
        Assert.Equal(0, await host.OutboxRowsAsync(other));
        var audit = await admin.GetFromJsonAsync<JsonElement>("/api/monitoring/audit", Ct);
        Assert.Contains(audit.EnumerateArray(), r => r.GetProperty("action").GetString() == "command.redrive" && r.GetProperty("target").GetString() == chosen.ToString());
    }

    private static async Task<long> DeadLetterIdAsync(HttpClient admin, Guid commandId)
    {
        var letters = await admin.GetFromJsonAsync<JsonElement>("/api/monitoring/dead-letters?limit=1000", Ct);
        return letters.EnumerateArray().Single(l => l.GetProperty("commandId").GetGuid() == commandId).GetProperty("id").GetInt64();
    }
}
