namespace Messaging.Gateway.Tests.Commands;

/// <summary>The gateway with a command type declared in configuration alone (under a label, as environment variables would).</summary>
public sealed class DeclaredTypesFixture : CommandsApiFixture
{
    public const string Schema = """
        {"type":"object","required":["customerId","email"],
         "properties":{"customerId":{"type":"string","maxLength":64},"email":{"type":"string","maxLength":100},"age":{"type":"integer","minimum":0}},
         "additionalProperties":false}
        """;

    public override IDictionary<string, string?> HostConfiguration()
    {
        var configuration = base.HostConfiguration();
        configuration["Commands:Types:crm:Name"] = "crm.contact.upsert";
        configuration["Commands:Types:crm:Kind"] = "http";
        configuration["Commands:Types:crm:Provider"] = "crm";
        configuration["Commands:Types:crm:Http:Method"] = "PUT";
        configuration["Commands:Types:crm:Http:Path"] = "/v1/contacts/{customerId}";
        configuration["Commands:Types:crm:Schema"] = Schema;
        configuration["Commands:Types:crm:DefaultTimeout"] = "00:20:00";
        return configuration;
    }
}
