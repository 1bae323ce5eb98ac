using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Messaging.Contracts.Callbacks;
using Messaging.Contracts.Commands;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Gateway.Tests.CommandTypes;

/// <summary><c>GET /api/command-types</c>: every accepted type with its effective default timeout and its schema, scope <c>commands</c>.</summary>
public sealed class CommandTypesApiTests(CommandTypesGateway fixture) : IClassFixture<CommandTypesGateway>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task List_ReturnsEveryAcceptedType_WithProviderAndTheEffectiveDefaultTimeout()
    {
        var items = await ListAsync();

        Assert.Equal(fixture.AcceptedTypes, items.Select(i => i.GetProperty("name").GetString()));
        Assert.Equal(["payments.charge", "notifications.send"], fixture.AcceptedTypes.Take(2));
        Assert.Equal([CommandTypesGateway.ConfiguredType, CommandTypesGateway.ExtraType], fixture.AcceptedTypes.TakeLast(2));
        var byName = items.ToDictionary(i => i.GetProperty("name").GetString()!);
        AssertType(byName["payments.charge"], "payments", "00:30:00", 1800); // Commands:Types:payments.charge:DefaultTimeout
        AssertType(byName["notifications.send"], "notifications", "1.00:00:00", 86_400);
        AssertType(byName[CommandTypesGateway.ExtraType], "tests", "00:05:00", 300);
        AssertType(byName[CommandTypesGateway.ConfiguredType], "tests", "01:00:00", 3600);
        Assert.All(items, i => Assert.Equal(JsonValueKind.Object, i.GetProperty("schema").ValueKind));
    }

    [Fact]
    public async Task Schema_OfACodeType_IsStrictCamelCase_WithTheFieldsItsValidationRequires()
    {
        var items = await ListAsync();
        var charge = items.Single(i => i.GetProperty("name").GetString() == "payments.charge").GetProperty("schema");
        var extra = items.Single(i => i.GetProperty("name").GetString() == CommandTypesGateway.ExtraType).GetProperty("schema");

        Assert.Equal("object", charge.GetProperty("type").GetString());
        Assert.False(charge.GetProperty("additionalProperties").GetBoolean());
        Assert.Equal(["amount", "currency", "customerId", "description"], charge.GetProperty("properties").EnumerateObject().Select(p => p.Name));
        Assert.Equal(["amount", "currency", "customerId"], charge.GetProperty("required").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal("number", charge.GetProperty("properties").GetProperty("amount").GetProperty("type").GetString());
        Assert.Equal(["string", "null"], charge.GetProperty("properties").GetProperty("description").GetProperty("type").EnumerateArray().Select(t => t.GetString()));

        Assert.Equal(["sku", "quantity"], extra.GetProperty("required").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal("integer", extra.GetProperty("properties").GetProperty("quantity").GetProperty("type").GetString());
        Assert.Equal(["string", "null"], extra.GetProperty("properties").GetProperty("note").GetProperty("type").EnumerateArray().Select(t => t.GetString()));
    }

    [Fact]
    public async Task Schema_OfATypeThatDeclaresOne_IsThatSchema()
    {
        var items = await ListAsync();
        var configured = items.Single(i => i.GetProperty("name").GetString() == CommandTypesGateway.ConfiguredType).GetProperty("schema");

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(CommandTypesGateway.ConfiguredSchema), JsonNode.Parse(configured.GetRawText())));
    }

    [Fact]
    public async Task CallbackDelivery_IsRegistered_ButNeitherListedNorAcceptedOverHttp()
    {
        using var client = fixture.ClientFor("tenant-types");
        using var content = new StringContent("""{"subjectCommandId":"0197a6b4-0000-7000-8000-000000000002","url":"https://example.com/hooks"}""",
            Encoding.UTF8, "application/json");

        using var submit = await client.PostAsync("/api/commands/" + CallbackEventTypes.DeliveryTypeName, content, Ct);
        var items = await ListAsync();

        Assert.True(fixture.Services.GetRequiredService<CommandTypeRegistry>().TryGetExact(CallbackEventTypes.DeliveryTypeName, out _));
        Assert.Equal(HttpStatusCode.NotFound, submit.StatusCode);
        using var problem = JsonDocument.Parse(await submit.Content.ReadAsStringAsync(Ct));
        var detail = problem.RootElement.GetProperty("detail").GetString()!;
        Assert.DoesNotContain(CallbackEventTypes.DeliveryTypeName, detail[detail.IndexOf("Known types", StringComparison.Ordinal)..], StringComparison.Ordinal);
        Assert.DoesNotContain(CallbackEventTypes.DeliveryTypeName, items.Select(i => i.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task List_WithoutAToken_Is401_AndWithoutTheCommandsScope_Is403()
    {
        using var anonymous = fixture.CreateClient();
        using var admin = fixture.ClientFor("tenant-types-admin", GatewayClaims.AdminScope);

        using var unauthorized = await anonymous.GetAsync("/api/command-types", Ct);
        using var forbidden = await admin.GetAsync("/api/command-types", Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
        Assert.Equal("Bearer", unauthorized.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal("application/problem+json", forbidden.Content.Headers.ContentType?.MediaType);
    }

    private async Task<List<JsonElement>> ListAsync()
    {
        using var client = fixture.ClientFor("tenant-types");
        using var response = await client.GetAsync("/api/command-types", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        return [.. body.RootElement.GetProperty("items").EnumerateArray().Select(i => i.Clone())];
    }

    private static void AssertType(JsonElement item, string provider, string defaultTimeout, long seconds)
    {
        Assert.Equal(provider, item.GetProperty("provider").GetString());
        Assert.Equal(defaultTimeout, item.GetProperty("defaultTimeout").GetString());
        Assert.Equal(seconds, item.GetProperty("defaultTimeoutSeconds").GetInt64());
    }
}
