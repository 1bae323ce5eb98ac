namespace Messaging.CommandTypes.Http;

/// <summary>The ways a provider declared in configuration is authenticated.</summary>
public enum ProviderAuthKind
{
    /// <summary>No credentials.</summary>
    None,

    /// <summary>A key in a header (<c>Header</c>, <c>Value</c>).</summary>
    ApiKey,

    /// <summary>A static <c>Authorization: Bearer &lt;Value&gt;</c>.</summary>
    Bearer,

    /// <summary><c>Authorization: Basic</c> with <c>Username</c> and <c>Password</c>.</summary>
    Basic,

    /// <summary>OAuth2 client credentials (<c>TokenUrl</c>, <c>ClientId</c>, <c>ClientSecret</c>, <c>Scope</c>), refreshed before expiry and once on a 401.</summary>
    OAuth2,
}
