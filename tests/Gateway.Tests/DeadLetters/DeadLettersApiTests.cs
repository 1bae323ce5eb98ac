using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Messaging.Gateway.Tests.DeadLetters;

public sealed class DeadLettersApiTests(GatewayHost host) : IClassFixture<GatewayHost>
{
    private Task<Guid> DeadLetteredCommandAsync(string tenant) => host.SeedDeadLetterAsync(tenant);

    private Task<long> OutboxRowsAsync(Guid id) => host.OutboxRowsAsync(id);

    [Fact]
    public async Task RedrivingADeadLetteredCommand_Is202_AndHappensOnce()
    {
        using var client = await host.CreateClientAsync("tenant-redrive", "commands");
        var id = await DeadLetteredCommandAsync("tenant-redrive");

        using var first = await client.PostAsync($"/api/commands/{id}/redrive", null, TestContext.Current.CancellationToken);
        using var second = await client.PostAsync($"/api/commands/{id}/redrive", null, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        Assert.Equal(1, await OutboxRowsAsync(id));
        var status = await client.GetFromJsonAsync<JsonElement>($"/api/commands/{id}", TestContext.Current.CancellationToken);
        Assert.NotEqual("DeadLettered", status.GetProperty("status").GetString());
    }

    [Fact]
    public async Task RedrivingACommandThatIsNotDeadLettered_Is409_WithItsStatusApartFromTheProblemsStatus()
    {
        using var client = await host.CreateClientAsync("tenant-redrive-twice", "commands");
        var id = await DeadLetteredCommandAsync("tenant-redrive-twice");
        using var first = await client.PostAsync($"/api/commands/{id}/redrive", null, TestContext.Current.CancellationToken);

        using var second = await client.PostAsync($"/api/commands/{id}/redrive", null, TestContext.Current.CancellationToken);

        // Found by RouteFuzzerTests: the command's status was a second "status" member, beside the problem's 409.
        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        using var problem = JsonDocument.Parse(await second.Content.ReadAsStringAsync(TestContext.Current.CancellationToken),
            new JsonDocumentOptions { AllowDuplicateProperties = false });
        Assert.Equal(409, problem.RootElement.GetProperty("status").GetInt32());
        Assert.Equal("Accepted", problem.RootElement.GetProperty("commandStatus").GetString());
    }

    [Fact]
    public async Task AnotherTenantsCommand_Is404_AndNothingIsEnqueued()
    {
        using var other = await host.CreateClientAsync("tenant-intruder", "commands");
        var id = await DeadLetteredCommandAsync("tenant-victim");

        using var response = await other.PostAsync($"/api/commands/{id}/redrive", null, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(0, await OutboxRowsAsync(id));
    }

    [Fact]
    public async Task BulkRedrive_RequiresAdminOrOperator_FiltersByTenant_AndReportsTheCount()
    {
        using var commandsOnly = await host.CreateClientAsync("tenant-bulk", "commands");
        using var admin = await host.CreateOperatorClientAsync();
        var ids = new[] { await DeadLetteredCommandAsync("tenant-bulk"), await DeadLetteredCommandAsync("tenant-bulk") };
        var untouched = await DeadLetteredCommandAsync("tenant-elsewhere");

        using var forbidden = await commandsOnly.PostAsJsonAsync("/api/monitoring/dead-letters/redrive", new { tenant = "tenant-bulk" }, TestContext.Current.CancellationToken);
        var listed = await admin.GetFromJsonAsync<JsonElement>("/api/monitoring/dead-letters?tenant=tenant-bulk", TestContext.Current.CancellationToken);
        using var response = await admin.PostAsJsonAsync("/api/monitoring/dead-letters/redrive", new { type = "payments.charge", tenant = "tenant-bulk" }, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal(2, listed.GetArrayLength());
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(2, (await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("redriven").GetInt32());
        Assert.All(ids, id => Assert.Equal(1, OutboxRowsAsync(id).GetAwaiter().GetResult()));
        Assert.Equal(0, await OutboxRowsAsync(untouched));

        // Audited, with the filter and the count, for the operators and for the tenant it touched.
        using var tenantAdmin = await host.CreateClientAsync("tenant-bulk", "admin");
        var audit = await tenantAdmin.GetFromJsonAsync<JsonElement>("/api/monitoring/audit", TestContext.Current.CancellationToken);
        var record = audit.EnumerateArray().First(r => r.GetProperty("action").GetString() == "dead-letters.redrive");
        Assert.Equal("operators", record.GetProperty("actorTenant").GetString());
        Assert.Equal("succeeded", record.GetProperty("outcome").GetString());
        Assert.Equal(2, record.GetProperty("detail").GetProperty("redriven").GetInt32());
        Assert.Equal("payments.charge", record.GetProperty("detail").GetProperty("type").GetString());
    }

    [Fact]
    public async Task Overview_CountsWaitingDeadLettersByType()
    {
        using var admin = await host.CreateClientAsync("tenant-count", "admin");
        await DeadLetteredCommandAsync("tenant-count");
        await DeadLetteredCommandAsync("tenant-count-other");

        var overview = await admin.GetFromJsonAsync<JsonElement>("/api/monitoring/overview", TestContext.Current.CancellationToken);

        // A tenant admin's overview counts its own tenant's dead letters only.
        Assert.Equal("tenant-count", overview.GetProperty("tenant").GetString());
        Assert.Equal(1, overview.GetProperty("deadLetters").GetProperty("total").GetInt64());
        Assert.Equal(1, overview.GetProperty("deadLetters").GetProperty("byType").GetProperty("payments.charge").GetInt64());
    }
}
