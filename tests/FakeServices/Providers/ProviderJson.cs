using System.Text.Json;

namespace Messaging.FakeServices.Providers;

/// <summary>JSON settings for reading provider request bodies (web defaults: camelCase, case-insensitive).</summary>
internal static class ProviderJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);
}
