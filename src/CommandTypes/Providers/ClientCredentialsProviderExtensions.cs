using Messaging.Resilience.Pipelines;

namespace Messaging.CommandTypes.Providers;

/// <summary>OAuth2 client credentials for a provider, with the credential refresh every provider of this kind gets.</summary>
internal static class ClientCredentialsProviderExtensions
{
    /// <summary>
    /// Sends a client-credentials bearer token on every request to the provider: fetched from the token
    /// endpoint through its own pipeline (<c>&lt;provider&gt;.token</c>, settings under
    /// <c>Resilience:Dependencies:&lt;provider&gt;.token</c>), cached and refreshed before it expires; on a 401
    /// it is refreshed once and the request sent once more.
    /// </summary>
    /// <param name="provider">The provider's builder.</param>
    /// <param name="credentials">Reads the current credentials (from the provider's options, so they reload).</param>
    public static CommandProviderBuilder WithClientCredentials(this CommandProviderBuilder provider, Func<IServiceProvider, ClientCredentials> credentials)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(credentials);
        var name = provider.Registration.Name;
        var tokenPipeline = ProviderResilience.TokenPipelineName(name);
        provider.ConfigureServices(builder =>
        {
            builder.Services.AddDependencyOptions(builder.Configuration, tokenPipeline, ProviderResilience.TokenDefaults);
            builder.Services.AddHttpClient(tokenPipeline)
                .RemoveAllLoggers().AddLogger<ProviderHttpLogger>().WithoutRedirects()
                .AddTokenPipeline(name);
        });
        provider.ConfigureHttpClient(client => client.AddHttpMessageHandler(sp => new ClientCredentialsHandler(
            sp.GetRequiredService<ClientCredentialsTokenProvider>(),
            () => credentials(sp),
            sp.GetRequiredService<ILogger<ClientCredentialsHandler>>())));
        return provider;
    }
}
