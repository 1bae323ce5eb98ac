using System.Net;
using System.Text.Json.Nodes;
using Messaging.Contracts.Callbacks;
using Messaging.Gateway.Tests.CommandTypes;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;

namespace Messaging.Gateway.Tests.OpenApi;

/// <summary><c>GET /openapi/v1.json</c>: a valid OpenAPI document with one operation per accepted command type.</summary>
public sealed class OpenApiDocumentTests(CommandTypesGateway fixture) : IClassFixture<CommandTypesGateway>
{
    private static readonly string[] SubmitAnswers = ["202", "400", "401", "403", "409", "413", "415", "422", "429", "503"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Document_IsServedAnonymously_AndReadsAsOpenApi31_WithoutErrors()
    {
        var (document, diagnostic, _) = await ReadDocumentAsync();

        Assert.Empty(diagnostic.Errors);
        Assert.Equal(OpenApiSpecVersion.OpenApi3_1, diagnostic.SpecificationVersion);
        Assert.Equal("Messaging gateway", document.Info.Title);
    }

    [Fact]
    public async Task Document_HasOneLiteralSubmitPathPerAcceptedType_AndNoGenericOne()
    {
        var (document, _, _) = await ReadDocumentAsync();

        var submitPaths = document.Paths.Keys.Where(p => p.StartsWith("/api/commands/", StringComparison.Ordinal) && !p.Contains('{', StringComparison.Ordinal)
            && p != "/api/commands/batch");
        Assert.Equal(fixture.AcceptedTypes.Select(t => "/api/commands/" + t).Order(StringComparer.Ordinal), submitPaths.Order(StringComparer.Ordinal));
        Assert.DoesNotContain("/api/commands/{type}", document.Paths.Keys);
        Assert.Contains("/api/commands/{id}", document.Paths.Keys);
        Assert.Contains("/api/commands/{id}/cancel", document.Paths.Keys);
        Assert.Contains("/api/commands/batch", document.Paths.Keys);
        Assert.Contains("/api/command-types", document.Paths.Keys);
    }

    [Fact]
    public async Task EachSubmitOperation_HasTheTypesSchema_ItsAnswers_AndTheHeaders()
    {
        var (document, _, raw) = await ReadDocumentAsync();
        var served = await ServedSchemasAsync();

        foreach (var type in fixture.AcceptedTypes)
        {
            var operation = document.Paths["/api/commands/" + type].Operations![HttpMethod.Post];
            var body = operation.RequestBody!.Content!["application/json"].Schema;
            var reference = Assert.IsType<OpenApiSchemaReference>(body);
            Assert.Equal(type, reference.Reference.Id);
            Assert.Equal(await CanonicalAsync(served[type]), await CanonicalAsync(raw["components"]!["schemas"]![type]!));

            Assert.Equal(SubmitAnswers.Order(StringComparer.Ordinal), operation.Responses!.Keys.Order(StringComparer.Ordinal));
            Assert.True(operation.Responses["202"].Content!.ContainsKey("application/json"));
            Assert.All(SubmitAnswers.Where(s => s != "202"), s => Assert.True(operation.Responses[s].Content!.ContainsKey("application/problem+json"), $"{type} {s}"));
            Assert.Equal(["Idempotency-Key", "Command-Timeout", "Not-Before", "Callback-Url"],
                operation.Parameters!.Where(p => p.In == ParameterLocation.Header).Select(p => p.Name));
            Assert.Equal("commands", Assert.Single(Assert.Single(operation.Security!).Values.Single()));
        }

        Assert.Equal(fixture.AcceptedTypes.Count,
            document.Paths.Values.SelectMany(p => p.Operations!.Values).Select(o => o.OperationId)
                .Where(id => id!.StartsWith("Submit", StringComparison.Ordinal) && id != "SubmitCommandBatch").Distinct().Count());
    }

    [Fact]
    public async Task SubmitOperations_DescribeTheCallbackUrlHeader_AsOptional_WithItsAllowListAndIdempotency()
    {
        var (document, _, _) = await ReadDocumentAsync();

        foreach (var type in fixture.AcceptedTypes)
        {
            var header = document.Paths["/api/commands/" + type].Operations![HttpMethod.Post].Parameters!.Single(p => p.Name == "Callback-Url");
            Assert.False(header.Required);
            Assert.Equal(("uri", 2048), (header.Schema!.Format, header.Schema.MaxLength));
            Assert.Contains("Tenants:<tenant>:CallbackOrigins", header.Description, StringComparison.Ordinal);
            Assert.Contains("https, except for loopback hosts and in the Development and Testing environments", header.Description, StringComparison.Ordinal);
            Assert.Contains("503", header.Description, StringComparison.Ordinal);
            Assert.Contains("Idempotency-Key", header.Description, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task StatusSchema_HasTheCallback_WithItsStatesAsAnEnum()
    {
        var (document, _, raw) = await ReadDocumentAsync();

        var view = document.Paths["/api/commands/{id}"].Operations![HttpMethod.Get].Responses!["200"].Content!["application/json"].Schema!;
        Assert.Equal("CommandView", Assert.IsType<OpenApiSchemaReference>(view).Reference.Id);
        var callback = Assert.Single(view.Properties!["callback"].OneOf!, s => s is OpenApiSchemaReference);
        Assert.Equal("CallbackView", ((OpenApiSchemaReference)callback).Reference.Id);
        var schema = raw["components"]!["schemas"]!["CallbackView"]!;
        Assert.Equal(["Pending", "Delivering", "Delivered", "DeadLettered"], schema["properties"]!["state"]!["enum"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.Equal(["state", "attempts"], schema["required"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.NotNull(schema["properties"]!["lastError"]);
    }

    [Fact]
    public async Task Webhooks_DescribeTheSignedCompletionEvent_ItsHeaders_AndWhatCountsAsDelivered()
    {
        var (document, _, raw) = await ReadDocumentAsync();

        var webhook = Assert.Single(document.Webhooks!);
        Assert.Equal("commandCompleted", webhook.Key);
        var operation = Assert.Single(webhook.Value.Operations!);
        Assert.Equal(HttpMethod.Post, operation.Key);
        var headers = operation.Value.Parameters!;
        Assert.Equal(["webhook-id", "webhook-timestamp", "webhook-signature"], headers.Select(h => h.Name));
        Assert.All(headers, h => Assert.True(h.In == ParameterLocation.Header && h.Required, h.Name));
        Assert.Matches(headers[0].Schema!.Pattern!, "msg_" + Guid.CreateVersion7().ToString("N"));
        Assert.Equal(["2XX", "default"], operation.Value.Responses!.Keys);
        var body = Assert.IsType<OpenApiSchemaReference>(operation.Value.RequestBody!.Content!["application/json"].Schema);
        Assert.Equal("CommandCompletedEvent", body.Reference.Id);

        var schema = raw["components"]!["schemas"]!["CommandCompletedEvent"]!;
        Assert.Equal(["type", "timestamp", "data"], schema["required"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.Equal([CallbackEventTypes.Succeeded, CallbackEventTypes.Failed, CallbackEventTypes.DeadLettered, CallbackEventTypes.Expired, CallbackEventTypes.Cancelled],
            schema["properties"]!["type"]!["enum"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.Equal("date-time", schema["properties"]!["timestamp"]!["format"]!.GetValue<string>());
        Assert.Equal("#/components/schemas/CommandView", schema["properties"]!["data"]!["$ref"]!.GetValue<string>());
    }

    [Fact]
    public async Task Document_LeavesOutTheCallbackDelivery_WhichIsNotAcceptedOverHttp()
    {
        var (_, _, raw) = await ReadDocumentAsync();

        Assert.DoesNotContain(CallbackEventTypes.DeliveryTypeName, raw.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BatchOperation_ItemsAreAUnionOverTheTypes_EachWithItsTypesSchemaAsBody()
    {
        var (document, _, _) = await ReadDocumentAsync();

        var operation = document.Paths["/api/commands/batch"].Operations![HttpMethod.Post];
        var body = operation.RequestBody!.Content!["application/json"].Schema!;
        Assert.Equal(["items"], body.Required!);
        var items = body.Properties!["items"];
        Assert.Equal((1, 100), (items.MinItems, items.MaxItems));
        var kinds = items.Items!.OneOf!;
        Assert.Equal(fixture.AcceptedTypes.Order(StringComparer.Ordinal),
            kinds.Select(k => k.Properties!["type"].Const!).Order(StringComparer.Ordinal));
        Assert.All(kinds, kind =>
        {
            Assert.Equal(kind.Properties!["type"].Const, Assert.IsType<OpenApiSchemaReference>(kind.Properties["body"]).Reference.Id);
            Assert.False(kind.AdditionalPropertiesAllowed);
            Assert.Equal(["type", "body", "idempotencyKey", "notBefore", "timeout", "callbackUrl"], kind.Properties.Keys);
            Assert.Equal("uri", kind.Properties["callbackUrl"].Format);
        });
        Assert.True(operation.Responses!["202"].Content!.ContainsKey("application/json"));
        Assert.All(["400", "409", "413", "415", "422"], s => Assert.True(operation.Responses[s].Content!.ContainsKey("application/problem+json"), s));
    }

    [Fact]
    public async Task EveryOperation_DocumentsItsAnswers_AndEveryScopedOneItsDoor()
    {
        var (document, _, _) = await ReadDocumentAsync();

        foreach (var (path, item) in document.Paths)
        {
            foreach (var (method, operation) in item.Operations!)
            {
                var answers = operation.Responses!.Keys.ToList();
                Assert.Contains(answers, a => a.StartsWith('2'));
                Assert.Contains("429", answers);
                if (operation.Security is { Count: > 0 })
                {
                    Assert.Contains("401", answers);
                    Assert.Contains("403", answers);
                }
                else
                {
                    Assert.Equal("/api/auth/token", path);
                    Assert.Equal(HttpMethod.Post, method);
                }
            }
        }
    }

    [Fact]
    public async Task RedriveOperations_TakeAnOptionalDeadline_AndDocumentTheir400()
    {
        var (document, _, raw) = await ReadDocumentAsync();

        var single = document.Paths["/api/commands/{id}/redrive"].Operations![HttpMethod.Post];
        var bulk = document.Paths["/api/monitoring/dead-letters/redrive"].Operations![HttpMethod.Post];
        Assert.False(single.RequestBody!.Required); // existing clients send no body
        Assert.All([single, bulk], operation => Assert.True(operation.Responses!["400"].Content!.ContainsKey("application/problem+json")));
        foreach (var name in new[] { "RedriveRequest", "BulkRedriveRequest" })
        {
            var schema = raw["components"]!["schemas"]![name]!;
            Assert.Null(schema["required"]); // every field is optional
            Assert.Equal("date-time", schema["properties"]!["deadline"]!["format"]!.GetValue<string>());
            Assert.Contains("30 days", schema["properties"]!["deadline"]!["description"]!.GetValue<string>(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task TokenOperation_DocumentsTheForm_AndItsOAuthErrors()
    {
        var (document, _, _) = await ReadDocumentAsync();

        var token = document.Paths["/api/auth/token"].Operations![HttpMethod.Post];
        var form = token.RequestBody!.Content!["application/x-www-form-urlencoded"].Schema!;
        Assert.Equal(["grant_type", "client_id", "client_secret", "scope"], form.Properties!.Keys);
        Assert.All(["400", "401", "503"], s => Assert.True(token.Responses![s].Content!.ContainsKey("application/json"), s));
        Assert.True(token.Responses!["503"].Content!.ContainsKey("application/problem+json"));
    }

    private async Task<(OpenApiDocument Document, OpenApiDiagnostic Diagnostic, JsonNode Raw)> ReadDocumentAsync()
    {
        using var anonymous = fixture.CreateClient();
        using var response = await anonymous.GetAsync("/openapi/v1.json", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await response.Content.ReadAsStringAsync(Ct);
        var result = OpenApiDocument.Parse(json, "json");
        Assert.NotNull(result.Document);
        return (result.Document, result.Diagnostic!, JsonNode.Parse(json)!);
    }

    private async Task<Dictionary<string, JsonNode>> ServedSchemasAsync()
    {
        using var client = fixture.ClientFor("tenant-openapi");
        using var response = await client.GetAsync("/api/command-types", Ct);
        var items = JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!["items"]!.AsArray();
        return items.ToDictionary(i => i!["name"]!.GetValue<string>(), i => i!["schema"]!);
    }

    /// <summary>A schema as Microsoft.OpenApi reads and writes it, so that two spellings of one schema compare equal.</summary>
    private static async Task<string> CanonicalAsync(JsonNode schema)
    {
        var read = new OpenApiJsonReader().ReadFragment<OpenApiSchema>(JsonNode.Parse(schema.ToJsonString())!, OpenApiSpecVersion.OpenApi3_1, new OpenApiDocument(), out var diagnostic);
        Assert.Empty(diagnostic.Errors);
        return await read!.SerializeAsJsonAsync(OpenApiSpecVersion.OpenApi3_1, Ct);
    }
}
