using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Messaging.Store.DeadLetters;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Messaging.Gateway.Tests.DeadLetters;

public sealed class DeadLettersApiTests(GatewayHost host) : IClassFixture<GatewayHost>
{
    private async Task<Guid> DeadLetteredCommandAsync(string tenant)
    {
        var id = Guid.NewGuid();
        var dataSource = host.Services.GetRequiredService<NpgsqlDataSource>();
        await using (var insert = dataSource.CreateCommand(
            "INSERT INTO commands (id, tenant, client_id, type, status, payload, created_at, updated_at) VALUES (@id, @tenant, 'cli', 'payments.charge', 'Processing', '{}', now(), now())"))
        {
            insert.Parameters.AddWithValue("id", id);
            insert.Parameters.AddWithValue("tenant", tenant);
            await insert.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        var store = host.Services.GetRequiredService<DeadLetterStore>();
        await using var connection = await dataSource.OpenConnectionAsync(TestContext.Current.CancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(TestContext.Current.CancellationToken);
        var body = $$"""{"commandId":"{{id}}","tenant":"{{tenant}}","amount":5,"currency":"EUR","customerId":"cus_1"}""";
        await store.RecordAsync(transaction, new DeadLetter(id, tenant, "payments.charge", body,
            new Dictionary<string, string> { ["Messaging-Tenant"] = tenant }, 5, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow,
            "HttpRequestException", "provider unavailable", "retries-exhausted"), TestContext.Current.CancellationToken);
        await transaction.CommitAsync(TestContext.Current.CancellationToken);
        return id;
    }

    private async Task<long> OutboxRowsAsync(Guid id)
    {
        await using var command = host.Services.GetRequiredService<NpgsqlDataSource>().CreateCommand("SELECT count(*) FROM outbox WHERE command_id = @id");
        command.Parameters.AddWithValue("id", id);
        return (long)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }

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
    public async Task AnotherTenantsCommand_Is404_AndNothingIsEnqueued()
    {
        using var other = await host.CreateClientAsync("tenant-intruder", "commands");
        var id = await DeadLetteredCommandAsync("tenant-victim");

        using var response = await other.PostAsync($"/api/commands/{id}/redrive", null, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(0, await OutboxRowsAsync(id));
    }

    [Fact]
    public async Task BulkRedrive_RequiresAdmin_FiltersByTenant_AndReportsTheCount()
    {
        using var commandsOnly = await host.CreateClientAsync("tenant-bulk", "commands");
        using var admin = await host.CreateClientAsync("tenant-ops", "admin");
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
    }

    [Fact]
    public async Task Overview_CountsWaitingDeadLettersByType()
    {
        using var admin = await host.CreateClientAsync("tenant-ops", "admin");
        await DeadLetteredCommandAsync("tenant-count");

        var overview = await admin.GetFromJsonAsync<JsonElement>("/api/monitoring/overview", TestContext.Current.CancellationToken);

        Assert.True(overview.GetProperty("deadLetters").GetProperty("total").GetInt64() >= 1);
        Assert.True(overview.GetProperty("deadLetters").GetProperty("byType").GetProperty("payments.charge").GetInt64() >= 1);
    }
}
