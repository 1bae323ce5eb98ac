
namespace Messaging.System.Tests;

public static class DeclaredTypeSettings
{
    public const string Type = "crm.contact.upsert";

    public static void Declare(Dictionary<string, string> environment)
    {
        environment["Commands__Types__crm__Name"] = Type;
        environment["Commands__Types__crm__Kind"] = "http";
        environment["Commands__Types__crm__Provider"] = "crm";
        environment["Commands__Types__crm__Http__Method"] = "PUT";
        environment["Commands__Types__crm__Http__Path"] = "/v1/contacts/{contactId}";
        environment["Commands__Types__crm__Schema"] = """
            {"type":"object","required":["contactId","email"],
             "properties":{"contactId":{"type":"string","maxLength":64},"email":{"type":"string","maxLength":100},"name":{"type":"string"}},
             "additionalProperties":false}
            """;
    }
}
