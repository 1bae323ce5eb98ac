namespace Messaging.CommandTypes.Providers;

/// <summary>
/// One OAuth2 client-credentials registration at one token endpoint. Tokens are cached per
/// <see cref="CacheKey"/> (token URL, client id and scope), so two providers sharing a client share its token.
/// </summary>
/// <param name="Provider">The provider these credentials are for (used in errors and logs).</param>
/// <param name="TokenUrl">The absolute URL of the token endpoint.</param>
/// <param name="ClientId">The client id.</param>
/// <param name="ClientSecret">The client secret. Never logged: <see cref="ToString"/> leaves it out.</param>
/// <param name="Scope">The requested scope, or null for the client's default.</param>
internal sealed record ClientCredentials(string Provider, Uri TokenUrl, string ClientId, string ClientSecret, string? Scope)
{
    /// <summary>The token cache key: token URL, client id and scope.</summary>
    public string CacheKey => string.Join('\n', TokenUrl.AbsoluteUri, ClientId, Scope ?? "");

    /// <summary>Describes the registration without its secret.</summary>
    public override string ToString() => $"{ClientId} at {TokenUrl.GetLeftPart(UriPartial.Path)}";
}
