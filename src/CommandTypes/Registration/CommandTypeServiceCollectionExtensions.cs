using Messaging.Contracts.Commands;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Messaging.CommandTypes;

/// <summary>Registers command types: one call per type, in a module both hosts add.</summary>
public static class CommandTypeServiceCollectionExtensions
{
    /// <summary>
    /// Registers the command type <paramref name="typeName"/> with the message <typeparamref name="TCommand"/>,
    /// and returns its builder to declare the request, provider, handler and fallback:
    /// <code>
    /// builder.AddCommandType&lt;ChargePayment&gt;("payments.charge")
    ///     .WithRequest&lt;ChargePaymentRequest&gt;()
    ///     .UsesProvider("payments")
    ///     .ExecutedBy&lt;ChargePaymentHandler&gt;();
    /// </code>
    /// Everything else derives from it: the gateway's route and validation, the queue and its topology, the
    /// type's options (<c>Commands:Types:&lt;type&gt;</c>, validated on start), the consumer and its
    /// breaker-aware endpoint, quotas, fallbacks and monitoring. The name is matched case-insensitively and
    /// kept in lower case; a name registered twice, or a <c>Commands:Types</c> key that names no registered
    /// type, stops the host at start.
    /// </summary>
    /// <param name="builder">The host builder (gateway or workers: add the same module to both).</param>
    /// <param name="typeName">Lower-case segments separated by dots, for example <c>crm.contact.upsert</c>.</param>
    public static CommandTypeBuilder<TCommand> AddCommandType<TCommand>(this IHostApplicationBuilder builder, string typeName)
        where TCommand : class, ICommandMessage =>
        AddCommandType<TCommand>(builder, typeName, configurationKey: null);

    /// <summary>As <see cref="AddCommandType{TCommand}(IHostApplicationBuilder, string)"/>, with the type's settings under <c>Commands:Types:&lt;configurationKey&gt;</c> (a label).</summary>
    internal static CommandTypeBuilder<TCommand> AddCommandType<TCommand>(this IHostApplicationBuilder builder, string typeName, string? configurationKey)
        where TCommand : class, ICommandMessage
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(typeName);
        var name = typeName.ToLowerInvariant();
        if (!CommandTypeRegistry.IsValidTypeName(name))
        {
            throw new ArgumentException(
                $"'{typeName}' is not a valid command type name: lower-case segments separated by dots, such as payments.charge.", nameof(typeName));
        }

        var services = builder.Services;
        if (services.CommandTypeRegistrations().Count == 0)
        {
            // Once per host: the registry (which refuses invalid names and duplicates) and the check of every
            // Commands:Types key, both on start.
            services.AddSingleton(sp => new CommandTypeRegistry(sp.GetServices<CommandTypeRegistration>().Select(r => r.ToDescriptor())));
            services.AddOptions<CommandTypesCheck>().ValidateOnStart();
            services.AddSingleton<IValidateOptions<CommandTypesCheck>, CommandTypesCheckValidator>();
            services.AddSingleton<IValidateOptions<CommandTypeOptions>, CommandTypeOptionsValidator>();
        }

        var registration = new CommandTypeRegistration(name, typeof(TCommand));
        services.AddSingleton(registration);

        services.AddOptions<CommandTypeOptions>(name)
            .Configure(options =>
            {
                options.DefaultTimeout = registration.DefaultTimeout;
                registration.Defaults?.Invoke(options);
            })
            .Bind(builder.Configuration.GetSection($"{CommandTypeOptions.SectionName}:{configurationKey ?? name}"))
            .ValidateOnStart();
        return new CommandTypeBuilder<TCommand>(services, registration);
    }

    /// <summary>
    /// The builder of the command type of <typeparamref name="TCommand"/>, registered earlier by another module: for a host
    /// that adds what only it needs to a type both hosts know (the workers' handler of <c>callbacks.deliver</c>).
    /// </summary>
    /// <exception cref="InvalidOperationException">No type with that message is registered.</exception>
    public static CommandTypeBuilder<TCommand> CommandType<TCommand>(this IHostApplicationBuilder builder)
        where TCommand : class, ICommandMessage
    {
        ArgumentNullException.ThrowIfNull(builder);
        var registration = builder.Services.CommandTypeRegistrations().SingleOrDefault(r => r.MessageType == typeof(TCommand))
            ?? throw new InvalidOperationException($"No command type with the message {typeof(TCommand).Name} is registered.");
        return new CommandTypeBuilder<TCommand>(builder.Services, registration);
    }

    /// <summary>
    /// The registry that <paramref name="addModules"/> makes, without a host: for tools that read queues or
    /// rows of the registered types (load runs, tests) and must agree with the hosts.
    /// </summary>
    public static CommandTypeRegistry RegistryOf(Action<IHostApplicationBuilder> addModules)
    {
        ArgumentNullException.ThrowIfNull(addModules);
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        addModules(builder);
        return new CommandTypeRegistry(builder.Services.CommandTypeRegistrations().Select(r => r.ToDescriptor()));
    }

    /// <summary>The command types registered in <paramref name="services"/> so far (for wiring that must know them before the container is built).</summary>
    public static IReadOnlyList<CommandTypeRegistration> CommandTypeRegistrations(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        return services
            .Where(d => d.ServiceType == typeof(CommandTypeRegistration) && !d.IsKeyedService && d.ImplementationInstance is not null)
            .Select(d => (CommandTypeRegistration)d.ImplementationInstance!)
            .ToList();
    }
}

/// <summary>A marker whose validation on start checks the registry and the <c>Commands:Types</c> keys.</summary>
internal sealed class CommandTypesCheck;

/// <summary>
/// Builds the registry (which refuses invalid names and duplicates) and refuses a <c>Commands:Types</c> key
/// that names no registered type: a typo there would otherwise be ignored silently.
/// </summary>
internal sealed class CommandTypesCheckValidator(IServiceProvider services, IConfiguration configuration) : IValidateOptions<CommandTypesCheck>
{
    public ValidateOptionsResult Validate(string? name, CommandTypesCheck options)
    {
        CommandTypeRegistry registry;
        try
        {
            registry = services.GetRequiredService<CommandTypeRegistry>();
        }
        catch (ArgumentException ex)
        {
            return ValidateOptionsResult.Fail(ex.Message);
        }

        var failures = new List<string>();
        foreach (var registration in services.GetServices<CommandTypeRegistration>())
        {
            if (registration.Provider is null)
            {
                failures.Add($"The command type {registration.TypeName} names no provider (UsesProvider).");
            }
        }

        foreach (var section in configuration.GetSection(CommandTypeOptions.SectionName).GetChildren())
        {
            if (!registry.TryGet(Http.HttpCommandDeclarations.TypeNameOf(section), out _))
            {
                failures.Add($"{CommandTypeOptions.SectionName}:{section.Key}: '{section.Key}' is not a registered command type. Known types: {string.Join(", ", registry.All.Select(d => d.TypeName))}.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
