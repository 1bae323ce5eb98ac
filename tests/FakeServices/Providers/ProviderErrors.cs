using System.Text.Json.Serialization;

namespace Messaging.FakeServices.Providers;

/// <summary>The error body of the provider APIs: <c>{"error":"code","message":"..."}</c> (not problem+json, like real providers).</summary>
internal sealed record ProviderError(string Error, string Message);

/// <summary>The error body of the OAuth2 token endpoint (RFC 6749 section 5.2).</summary>
internal sealed record OAuthError(
    [property: JsonPropertyName("error")] string Error,
    [property: JsonPropertyName("error_description")] string Description);

/// <summary>Answers shared by the provider routes.</summary>
internal static class ProviderResults
{
    public static IResult Error(int status, string code, string message) => Results.Json(new ProviderError(code, message), statusCode: status);

    public static IResult Unavailable() => Error(StatusCodes.Status503ServiceUnavailable, "service_unavailable", "The service is temporarily unavailable.");
}
