using Messaging.CommandTypes;
using Messaging.CommandTypes.Http;
using Messaging.CommandTypes.Providers;
using Messaging.Contracts.Http;
using Microsoft.Extensions.Options;

// In the hosting namespace, as the framework's Add… extensions are: a host adds it without a using directive.
namespace Microsoft.Extensions.Hosting;

/// <summary>Registers the command types declared in configuration alone (<c>Commands:Types:&lt;key&gt;:Kind = http</c>).</summary>
public static class ConfiguredCommandTypeExtensions
{
    /// <summary>
    /// Reads every <c>Commands:Types</c> entry with <c>Kind = http</c> (<see cref="HttpCommandDeclarations"/>) and
    /// registers it as a command type like any other: its schema validates requests at the door, its queue and
    /// endpoint are made, <see cref="HttpCommandHandler"/> executes it, and its provider (unless a module declares
    /// it in code) is wired from <c>ExternalServices:&lt;provider&gt;</c> (<c>Endpoints</c>, <c>Auth:*</c>) in the
    /// workers. A bad declaration stops the host, naming the key. Call it after the modules that register types in
    /// code, in both hosts.
    /// </summary>
    public static IHostApplicationBuilder AddConfiguredCommandTypes(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var declarations = HttpCommandDeclarations.Read(builder.Configuration, builder.Environment);
        builder.Services.AddSingleton(declarations);
        var providers = builder.Services.CommandProviderRegistrations().Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var declaration in declarations.All)
        {
            builder.AddCommandType<HttpCommand>(declaration.TypeName, declaration.Key)
                .WithSchema(declaration.SchemaText)
                .UsesProvider(declaration.Provider)
                .ExecutedBy<HttpCommandHandler>();
            if (providers.Add(declaration.Provider))
            {
                AddDeclaredProvider(builder, declaration.Provider);
            }
        }

        return builder;
    }

    // A provider declared by configuration only: its auth kind is read at start (a change needs a restart, as the
    // declarations do); its secrets reload.
    private static void AddDeclaredProvider(IHostApplicationBuilder builder, string provider)
    {
        var section = $"ExternalServices:{provider}";
        var kindText = builder.Configuration[$"{section}:Auth:Kind"];
        var kind = ProviderAuthKind.None;
        if (kindText is not null && !Enum.TryParse(kindText, ignoreCase: true, out kind))
        {
            throw new InvalidOperationException($"{section}:Auth:Kind must be None, ApiKey, Bearer, Basic or OAuth2; it is '{kindText}'.");
        }

        var registration = builder.AddCommandProvider(provider)
            .WithConfigurationSection(section)
            .ConfigureServices(workers =>
            {
                workers.Services.AddOptions<ProviderAuthOptions>(provider)
                    .Bind(workers.Configuration.GetSection($"{section}:Auth"))
                    .ValidateOnStart();
                workers.Services.AddSingleton<IValidateOptions<ProviderAuthOptions>>(new ProviderAuthOptionsValidator(provider, section));
            });
        if (kind == ProviderAuthKind.OAuth2)
        {
            registration.WithClientCredentials(services =>
            {
                var auth = services.GetRequiredService<IOptionsMonitor<ProviderAuthOptions>>().Get(provider);
                return new ClientCredentials(provider, new Uri(auth.TokenUrl!, UriKind.Absolute), auth.ClientId!, auth.ClientSecret!, auth.Scope);
            });
        }
        else if (kind != ProviderAuthKind.None)
        {
            registration.ConfigureHttpClient(client => client.AddHttpMessageHandler(services =>
                new StaticCredentialsHandler(services.GetRequiredService<IOptionsMonitor<ProviderAuthOptions>>(), provider)));
        }
    }
}
