using System.Net;
using System.Text.Json;
using Npgsql;

namespace Messaging.Gateway.Tests.Commands;

public sealed class DeclaredCommandTypeTests(DeclaredTypesFixture fixture) : IClassFixture<DeclaredTypesFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Submit_ABodyTheSchemaAccepts_StoresItAsItCame_WithTheTypesDefaultDeadline_AndQueuesTheSharedMessage()
    {
        using var client = fixture.ClientFor("tenant-declared");
        const string body = """{"customerId":"cus/42","email":"jane@example.org","age":40}""";

        using var response = await client.SendAsync(CommandRequestsFor.Post("crm.contact.upsert", body), Ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("id").GetGuid();
        await using var connection = await fixture.OpenDatabaseAsync();
        await using (var row = new NpgsqlCommand("SELECT type, payload::text, deadline - created_at FROM commands WHERE id = @id", connection))
        {
            row.Parameters.AddWithValue("id", id);
            await using var reader = await row.ExecuteReaderAsync(Ct);
            Assert.True(await reader.ReadAsync(Ct));
            Assert.Equal("crm.contact.upsert", reader.GetString(0));
            Assert.True(JsonElement.DeepEquals(JsonDocument.Parse(body).RootElement, JsonDocument.Parse(reader.GetString(1)).RootElement));
            Assert.Equal(TimeSpan.FromMinutes(20), reader.GetTimeSpan(2));
        }

        await using var outbox = new NpgsqlCommand("SELECT destination, message_type, body::text FROM outbox WHERE command_id = @id", connection);
        outbox.Parameters.AddWithValue("id", id);
        await using var message = await outbox.ExecuteReaderAsync(Ct);
        Assert.True(await message.ReadAsync(Ct));
        Assert.Equal("crm.contact.upsert", message.GetString(0));
        Assert.Equal("Messaging.Contracts.Http.HttpCommand", message.GetString(1));
        var sent = JsonDocument.Parse(message.GetString(2)).RootElement;
        Assert.Equal("tenant-declared", sent.GetProperty("tenant").GetString());
        Assert.Equal("cus/42", sent.GetProperty("body").GetProperty("customerId").GetString());
    }

    [Fact]
    public async Task Submit_ABodyTheSchemaRefuses_Is400WithOneErrorPerJsonPath_AndStoresNothing()
    {
        using var client = fixture.ClientFor("tenant-declared-invalid");

        using var response = await client.SendAsync(
            CommandRequestsFor.Post("crm.contact.upsert", """{"customerId":"c1","email":7,"age":-3,"extra":1}"""), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var errors = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("errors");
        Assert.True(errors.TryGetProperty("$.email", out _));
        Assert.True(errors.TryGetProperty("$.age", out _));
        Assert.True(errors.TryGetProperty("$.extra", out _));
        Assert.Equal(0, await fixture.CountAsync("commands", "tenant = 'tenant-declared-invalid'"));
        Assert.Equal(0, await fixture.CountAsync("outbox", "headers->>'Messaging-Tenant' = 'tenant-declared-invalid'"));
    }

    [Theory]
    [InlineData("""{"customerId":"..","email":"a@example.org"}""")]
    [InlineData("""[{"customerId":"c1","email":"a@example.org"}]""")]
    [InlineData("""{"customerId":"c1","email":"a@example.org"} trailing""")]
    public async Task Submit_ABodyThatCannotMakeTheCall_Is400_AndStoresNothing(string body)
    {
        using var client = fixture.ClientFor("tenant-declared-path");

        using var response = await client.SendAsync(CommandRequestsFor.Post("crm.contact.upsert", body), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(0, await fixture.CountAsync("commands", "tenant = 'tenant-declared-path'"));
    }

    [Fact]
    public async Task Submit_TheTypeInAnotherCase_Is404()
    {
        using var client = fixture.ClientFor("tenant-declared-case");

        using var response = await client.SendAsync(CommandRequestsFor.Post("CRM.Contact.Upsert", """{"customerId":"c1","email":"a@example.org"}"""), Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
