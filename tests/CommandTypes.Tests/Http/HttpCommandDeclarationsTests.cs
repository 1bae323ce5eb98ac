using System.Text;
using System.Text.Json;
using Messaging.CommandTypes.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting.Internal;

namespace Messaging.CommandTypes.Tests.Http;

public sealed class HttpCommandDeclarationsTests
{
    private const string ContactSchema = """
        {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","required":["customerId","email"],
         "properties":{"customerId":{"type":"string"},"email":{"type":"string","format":"email","maxLength":100},"age":{"type":"integer","minimum":0},
                       "tags":{"type":"array","items":{"type":"string","maxLength":5}}},
         "additionalProperties":false}
        """;

    private static Dictionary<string, string?> Declared(string key = "crm.contact.upsert") => new()
    {
        [$"Commands:Types:{key}:Kind"] = "http",
        [$"Commands:Types:{key}:Provider"] = "crm",
        [$"Commands:Types:{key}:Http:Method"] = "PUT",
        [$"Commands:Types:{key}:Http:Path"] = "/v1/contacts/{customerId}",
        [$"Commands:Types:{key}:Schema"] = ContactSchema,
    };

    private static HttpCommandDeclarations Read(Dictionary<string, string?> values, string? contentRoot = null) =>
        HttpCommandDeclarations.Read(new ConfigurationBuilder().AddInMemoryCollection(values).Build(),
            new HostingEnvironment { ContentRootPath = contentRoot ?? AppContext.BaseDirectory, EnvironmentName = "Testing" });

    [Fact]
    public void Read_AValidDeclaration_HasItsMethodPathPlaceholdersAndSchema()
    {
        var declaration = Assert.Single(Read(Declared()).All);

        Assert.Equal("crm.contact.upsert", declaration.TypeName);
        Assert.Equal("crm", declaration.Provider);
        Assert.Equal(HttpMethod.Put, declaration.Method);
        Assert.Equal(["customerId"], declaration.Placeholders);
    }

    [Fact]
    public void Read_ALabelWithName_DeclaresTheNamedType_AndKeepsTheLabelAsItsKey()
    {
        var values = Declared("crm");
        values["Commands:Types:crm:Name"] = "CRM.Contact.Upsert";

        var declaration = Assert.Single(Read(values).All);

        Assert.Equal("crm.contact.upsert", declaration.TypeName);
        Assert.Equal("crm", declaration.Key);
        Assert.Equal("Commands:Types:crm", declaration.Section);
    }

    [Fact]
    public void Read_EntriesWithoutKind_AreTypesRegisteredInCode_AndNotRead()
    {
        var values = Declared();
        values["Commands:Types:payments.charge:Retry:MaxAttempts"] = "3";

        Assert.Single(Read(values).All);
    }

    [Theory]
    [InlineData("Kind", "grpc", "Commands:Types:crm.contact.upsert:Kind")]
    [InlineData("Provider", "CRM_System", "Commands:Types:crm.contact.upsert:Provider")]
    [InlineData("Provider", null, "Commands:Types:crm.contact.upsert:Provider")]
    [InlineData("Http:Method", "GET", "Commands:Types:crm.contact.upsert:Http:Method")]
    [InlineData("Http:Path", "v1/contacts", "Commands:Types:crm.contact.upsert:Http:Path")]
    [InlineData("Http:Path", "/v1/../admin", "Commands:Types:crm.contact.upsert:Http:Path")]
    [InlineData("Http:Path", "/v1/contacts/{id}", "{id}, which must be a root property")]
    [InlineData("Http:Path", "/v1/contacts/{tags}", "{tags}, which must be a root property")]
    [InlineData("Http:Path", "/v1/contacts/{customerId", "a brace that is not a {field} placeholder")]
    [InlineData("Schema", "{not json", "Commands:Types:crm.contact.upsert:Schema is not a JSON Schema")]
    [InlineData("Schema", """{"type":"object","properties":{"customerId":{"$ref":"https://example.com/id.json"}}}""", "refers to 'https://example.com/id.json'")]
    [InlineData("Schema", null, "Commands:Types:crm.contact.upsert:Schema (a JSON Schema as a JSON string) or Commands:Types:crm.contact.upsert:SchemaFile is required")]
    public void Read_ABadDeclaration_StopsNamingTheKey(string field, string? value, string named)
    {
        var values = Declared();
        values[$"Commands:Types:crm.contact.upsert:{field}"] = value;

        var ex = Assert.Throws<InvalidOperationException>(() => Read(values));

        Assert.Contains(named, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Crm_Contact")]
    [InlineData("crm")]
    public void Read_AnInvalidTypeName_StopsNamingTheKey(string key)
    {
        var ex = Assert.Throws<InvalidOperationException>(() => Read(Declared(key)));

        Assert.Contains($"Commands:Types:{key}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("is not a valid command type name", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_ASchemaWrittenAsANestedObject_PointsToSchemaFile()
    {
        var values = Declared();
        values.Remove("Commands:Types:crm.contact.upsert:Schema");
        values["Commands:Types:crm.contact.upsert:Schema:type"] = "object";

        var ex = Assert.Throws<InvalidOperationException>(() => Read(values));

        Assert.Contains("Schema is a nested object", ex.Message, StringComparison.Ordinal);
        Assert.Contains("SchemaFile", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_ASchemaFile_IsReadRelativeToTheContentRoot()
    {
        var root = Directory.CreateTempSubdirectory("schemas-").FullName;
        File.WriteAllText(Path.Combine(root, "contact.json"), ContactSchema);
        var values = Declared();
        values.Remove("Commands:Types:crm.contact.upsert:Schema");
        values["Commands:Types:crm.contact.upsert:SchemaFile"] = "contact.json";

        var declaration = Assert.Single(Read(values, root).All);

        Assert.Equal(ContactSchema, declaration.SchemaText);
    }

    [Fact]
    public void Request_ThatTheSchemaRefuses_HasOneErrorPerJsonPath()
    {
        var declaration = Assert.Single(Read(Declared()).All);
        var errors = new ValidationErrors();

        var request = HttpCommandRequest.Read(declaration,
            Encoding.UTF8.GetBytes("""{"customerId":"c1","email":7,"age":-1,"tags":["ok","too-long"],"extra":true}"""), errors, out var jsonError);

        Assert.False(jsonError);
        Assert.NotNull(request);
        var fields = errors.ToDictionary().Keys.Order(StringComparer.Ordinal).ToList();
        Assert.Contains("$.email", fields);
        Assert.Contains("$.age", fields);
        Assert.Contains("$.tags[1]", fields);
        Assert.Contains("$.extra", fields); // additionalProperties: false
    }

    [Theory]
    [InlineData("""{"customerId":"a/b c","email":"a@example.com"}""", "/v1/contacts/a%2Fb%20c")]
    [InlineData("""{"customerId":"Ünïcode","email":"a@example.com"}""", "/v1/contacts/%C3%9Cn%C3%AFcode")]
    public void Request_ThatTheSchemaAccepts_HasNoErrors_AndItsPathIsEscapedAsOneSegment(string body, string path)
    {
        var declaration = Assert.Single(Read(Declared()).All);
        var errors = new ValidationErrors();

        var request = HttpCommandRequest.Read(declaration, Encoding.UTF8.GetBytes(body), errors, out _);

        Assert.Equal(0, errors.Count);
        Assert.Equal(path, declaration.PathFor(request!.Body, out _));
        Assert.True(JsonElement.DeepEquals(JsonDocument.Parse(body).RootElement, JsonDocument.Parse(JsonSerializer.Serialize(request)).RootElement));
    }

    [Theory]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("")]
    public void Request_WhosePathFieldIsNoSegment_IsRefusedNamingTheField(string customerId)
    {
        var declaration = Assert.Single(Read(Declared()).All);
        var errors = new ValidationErrors();

        HttpCommandRequest.Read(declaration, Encoding.UTF8.GetBytes($$"""{"customerId":"{{customerId}}","email":"a@example.com"}"""), errors, out _);

        Assert.Contains("$.customerId", errors.ToDictionary().Keys);
    }

    [Theory]
    [InlineData("[1,2]")]
    [InlineData("{\"a\":1} {\"b\":2}")]
    [InlineData("{\"a\":1,}")]
    [InlineData("not json")]
    public void Request_ThatIsNotOneJsonObject_IsAJsonError(string body)
    {
        var declaration = Assert.Single(Read(Declared()).All);

        Assert.Null(HttpCommandRequest.Read(declaration, Encoding.UTF8.GetBytes(body), new ValidationErrors(), out var jsonError));
        Assert.True(jsonError);
    }
}
