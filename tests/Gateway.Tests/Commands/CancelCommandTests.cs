using System.Net;
using System.Text.Json;
using Npgsql;

namespace Messaging.Gateway.Tests.Commands;

/// <summary><c>POST /api/commands/{id}/cancel</c>: before an attempt only, own tenant only, the same answer when repeated.</summary>
public sealed class CancelCommandTests(CommandsApiFixture fixture) : IClassFixture<CommandsApiFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<Guid> SubmitAsync(HttpClient client, string? status = null)
    {
        using var response = await client.SendAsync(CommandRequestsFor.Post("payments.charge", CommandRequestsFor.Charge), Ct);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        var id = body.RootElement.GetProperty("id").GetGuid();
        if (status is not null)
        {
            await using var connection = await fixture.OpenDatabaseAsync();
            await using var update = new NpgsqlCommand("UPDATE commands SET status = @status WHERE id = @id", connection);
            update.Parameters.AddWithValue("status", status);
            update.Parameters.AddWithValue("id", id);
            Assert.Equal(1, await update.ExecuteNonQueryAsync(Ct));
        }

        return id;
    }

    private async Task<string> StoredStatusAsync(Guid id)
    {
        await using var connection = await fixture.OpenDatabaseAsync();
        await using var select = new NpgsqlCommand("SELECT status FROM commands WHERE id = @id", connection);
        select.Parameters.AddWithValue("id", id);
        return (string)(await select.ExecuteScalarAsync(Ct))!;
    }

    [Theory]
    [InlineData(null)] // Accepted
    [InlineData("Dispatched")]
    [InlineData("Scheduled")]
    public async Task Cancel_BeforeAnAttempt_Returns202WithTheCancelledStatusDocument(string? status)
    {
        using var client = fixture.ClientFor("tenant-cancel");
        var id = await SubmitAsync(client, status);

        using var response = await client.PostAsync($"/api/commands/{id}/cancel", null, Ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal(id, body.RootElement.GetProperty("id").GetGuid());
        Assert.Equal("Cancelled", body.RootElement.GetProperty("status").GetString());
        Assert.Equal("cancelled", body.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("Cancelled", await StoredStatusAsync(id));

        using var read = await client.GetAsync($"/api/commands/{id}", Ct);
        using var view = JsonDocument.Parse(await read.Content.ReadAsStringAsync(Ct));
        Assert.Equal("Cancelled", view.RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Cancel_Twice_AnswersTheSameDocumentBothTimes()
    {
        using var client = fixture.ClientFor("tenant-cancel-twice");
        var id = await SubmitAsync(client);

        using var first = await client.PostAsync($"/api/commands/{id}/cancel", null, Ct);
        using var second = await client.PostAsync($"/api/commands/{id}/cancel", null, Ct);

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(Ct), await second.Content.ReadAsStringAsync(Ct));
    }

    [Theory]
    [InlineData("Processing")]
    [InlineData("Succeeded")]
    [InlineData("Failed")]
    [InlineData("DeadLettered")]
    [InlineData("Expired")]
    public async Task Cancel_OnceAnAttemptStartedOrItEnded_Returns409WithTheCurrentStatus_AndChangesNothing(string status)
    {
        using var client = fixture.ClientFor("tenant-cancel-late");
        var id = await SubmitAsync(client, status);

        using var response = await client.PostAsync($"/api/commands/{id}/cancel", null, Ct);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal(409, problem.RootElement.GetProperty("status").GetInt32());
        Assert.Equal(status, problem.RootElement.GetProperty("commandStatus").GetString());
        Assert.Equal(status, await StoredStatusAsync(id));
    }

    [Fact]
    public async Task Cancel_AnotherTenantsCommand_Is404LikeAnUnknownOne_AndLeavesItAlone()
    {
        using var owner = fixture.ClientFor("tenant-cancel-owner");
        using var attacker = fixture.ClientFor("tenant-cancel-attacker");
        var id = await SubmitAsync(owner);

        using var crossTenant = await attacker.PostAsync($"/api/commands/{id}/cancel", null, Ct);
        using var unknown = await attacker.PostAsync($"/api/commands/{Guid.NewGuid()}/cancel", null, Ct);
        using var malformed = await attacker.PostAsync("/api/commands/not-a-guid/cancel", null, Ct);

        Assert.Equal(HttpStatusCode.NotFound, crossTenant.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, malformed.StatusCode);
        var expected = Normalise(await unknown.Content.ReadAsStringAsync(Ct));
        Assert.Equal(expected, Normalise(await crossTenant.Content.ReadAsStringAsync(Ct)));
        Assert.Equal("Accepted", await StoredStatusAsync(id));
    }

    [Fact]
    public async Task Cancel_WithoutTheCommandsScope_Is403()
    {
        using var owner = fixture.ClientFor("tenant-cancel-scope");
        using var admin = fixture.ClientFor("tenant-cancel-scope", scopes: "admin");
        var id = await SubmitAsync(owner);

        using var response = await admin.PostAsync($"/api/commands/{id}/cancel", null, Ct);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("Accepted", await StoredStatusAsync(id));
    }

    // Problem bodies differ only in their traceId.
    private static string Normalise(string problem)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(problem)!.AsObject();
        node.Remove("traceId");
        return node.ToJsonString();
    }
}
