using Messaging.Contracts.Commands;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Messaging.CommandTypes;

/// <summary>
/// Declares one command type, step by step: its request (what the gateway validates), its provider, its
/// handler (what the workers run) and optionally its fallback. Returned by
/// <see cref="CommandTypeServiceCollectionExtensions.AddCommandType{TCommand}(Microsoft.Extensions.Hosting.IHostApplicationBuilder, string)"/>.
/// </summary>
/// <typeparam name="TCommand">The command's message contract.</typeparam>
public sealed class CommandTypeBuilder<TCommand>
    where TCommand : class, ICommandMessage
{
    private readonly IServiceCollection _services;

    internal CommandTypeBuilder(IServiceCollection services, CommandTypeRegistration registration)
    {
        _services = services;
        Registration = registration;
    }

    /// <summary>What has been declared so far.</summary>
    public CommandTypeRegistration Registration { get; }

    /// <summary>The request body the gateway reads (strictly, camelCase), validates and turns into the command.</summary>
    public CommandTypeBuilder<TCommand> WithRequest<TRequest>()
        where TRequest : CommandRequest<TCommand>, new()
    {
        Registration.RequestType = typeof(TRequest);
        return this;
    }

    /// <summary>The request body is any JSON object that <paramref name="jsonSchema"/> (draft 2020-12) accepts (types declared in configuration).</summary>
    internal CommandTypeBuilder<TCommand> WithSchema(string jsonSchema)
    {
        Registration.JsonSchema = jsonSchema;
        return this;
    }

    /// <summary>The deadline of a command submitted without <c>Command-Timeout</c> (1 second to 1 day); <c>Commands:Types:&lt;type&gt;:DefaultTimeout</c> overrides it.</summary>
    /// <param name="timeout">The default. Without this call it is 1 hour.</param>
    public CommandTypeBuilder<TCommand> WithDefaultTimeout(TimeSpan timeout)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(timeout, CommandTypeOptions.MinTimeout);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(timeout, CommandTypeOptions.MaxTimeout);
        Registration.DefaultTimeout = timeout;
        return this;
    }

    /// <summary>
    /// The provider the handler calls (<c>^[a-z][a-z0-9-]*$</c>): its endpoints' breakers pause the type's
    /// endpoint, its quota (<c>RateLimiting:Providers:&lt;provider&gt;</c>) holds commands back, and the handler's
    /// <see cref="CommandContext.Http"/> is its client. Declare the provider once with <c>AddCommandProvider</c>.
    /// </summary>
    public CommandTypeBuilder<TCommand> UsesProvider(string provider)
    {
        if (!CommandTypeRegistry.IsValidProviderName(provider))
        {
            throw new ArgumentException($"'{provider}' is not a valid provider name (^[a-z][a-z0-9-]*$).", nameof(provider));
        }

        Registration.Provider = provider;
        return this;
    }

    /// <summary>
    /// The handler addresses each command's requests itself (completion callbacks post to each command's URL): the provider
    /// named by <see cref="UsesProvider"/> labels its pipelines, breakers and quota but declares no endpoints, and its breakers
    /// (one per address) do not pause the type's endpoint, so one failing address does not hold back the others.
    /// </summary>
    public CommandTypeBuilder<TCommand> AddressedPerCommand()
    {
        Registration.AddressedPerCommand = true;
        return this;
    }

    /// <summary>
    /// The module's defaults for the type's options (retries, flow, fallback), applied before the type's configuration
    /// section (<c>Commands:Types:&lt;type&gt;</c>), which overrides them key by key.
    /// </summary>
    public CommandTypeBuilder<TCommand> WithDefaults(Action<CommandTypeOptions> defaults)
    {
        ArgumentNullException.ThrowIfNull(defaults);
        Registration.Defaults += defaults;
        return this;
    }

    /// <summary>The handler the workers run for each command (resolved per delivery).</summary>
    public CommandTypeBuilder<TCommand> ExecutedBy<THandler>()
        where THandler : class, ICommandHandler<TCommand>
    {
        Registration.HandlerType = typeof(THandler);
        _services.RemoveAll<ICommandHandler<TCommand>>();
        _services.AddScoped<ICommandHandler<TCommand>, THandler>();
        return this;
    }

    /// <summary>
    /// Declares an event the type's fallback publishes (<c>context.PublishAsync</c>): the outbox relay publishes
    /// an event row only when its type is declared by a registered type.
    /// </summary>
    public CommandTypeBuilder<TCommand> Publishes<TEvent>()
        where TEvent : class
    {
        Registration.AddEventType(typeof(TEvent));
        return this;
    }

    /// <summary>What runs, in the dead letter's transaction, when a command of this type is dead-lettered (<c>Commands:Types:&lt;type&gt;:Fallback:Enabled</c> turns it off).</summary>
    public CommandTypeBuilder<TCommand> WithFallback<TFallback>()
        where TFallback : class, ICommandFallback<TCommand>
    {
        Registration.FallbackType = typeof(TFallback);
        Registration.RunFallback = static (services, command, context) =>
            services.GetRequiredService<TFallback>().RunAsync((TCommand)command, context);
        _services.TryAddScoped<TFallback>();
        return this;
    }
}
