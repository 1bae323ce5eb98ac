using Messaging.Contracts.Commands;

namespace Messaging.CommandTypes;

/// <summary>
/// One command type as its registration declared it (<see cref="CommandTypeServiceCollectionExtensions.AddCommandType{TCommand}(Microsoft.Extensions.Hosting.IHostApplicationBuilder, string)"/>):
/// what the registry, the gateway and the workers derive everything from.
/// </summary>
public sealed class CommandTypeRegistration
{
    internal CommandTypeRegistration(string typeName, Type messageType)
    {
        TypeName = typeName;
        MessageType = messageType;
    }

    /// <summary>The type name, in lower case.</summary>
    public string TypeName { get; }

    /// <summary>The message contract on the bus.</summary>
    public Type MessageType { get; }

    /// <summary>The provider that executes it (<c>UsesProvider</c>).</summary>
    public string? Provider { get; internal set; }

    /// <summary>The request the gateway reads for it (<c>WithRequest</c>); without one, the gateway does not accept it over HTTP.</summary>
    public Type? RequestType { get; internal set; }

    /// <summary>The JSON Schema of the request body, for a type declared in configuration.</summary>
    public string? JsonSchema { get; internal set; }

    /// <summary>The default deadline (<c>WithDefaultTimeout</c>).</summary>
    public TimeSpan DefaultTimeout { get; internal set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Whether the handler addresses each command's requests itself (<c>AddressedPerCommand</c>, as completion callbacks
    /// are): its provider has no declared endpoints, and its breakers, one per address, do not pause the type's endpoint.
    /// </summary>
    public bool AddressedPerCommand { get; internal set; }

    /// <summary>The module's defaults for the type's options (<c>WithDefaults</c>), applied before <c>Commands:Types:&lt;type&gt;</c>.</summary>
    internal Action<CommandTypeOptions>? Defaults { get; set; }

    /// <summary>The handler (<c>ExecutedBy</c>).</summary>
    public Type? HandlerType { get; internal set; }

    /// <summary>The fallback (<c>WithFallback</c>), if any.</summary>
    public Type? FallbackType { get; internal set; }

    /// <summary>The events its fallback publishes (<c>Publishes</c>).</summary>
    public IReadOnlyList<Type> EventTypes => _eventTypes;

    private readonly List<Type> _eventTypes = [];

    internal void AddEventType(Type eventType)
    {
        if (!_eventTypes.Contains(eventType))
        {
            _eventTypes.Add(eventType);
        }
    }

    /// <summary>Runs the fallback, resolved from the delivery's services, for a command of <see cref="MessageType"/>.</summary>
    public Func<IServiceProvider, ICommandMessage, CommandFallbackContext, Task<string?>>? RunFallback { get; internal set; }

    /// <summary>The descriptor every part of the system shares (the queue is named after the type).</summary>
    public CommandDescriptor ToDescriptor() =>
        new(TypeName, MessageType, QueueName: TypeName, Provider ?? "")
        {
            RequestType = RequestType,
            JsonSchema = JsonSchema,
            EventTypes = [.. _eventTypes],
            DefaultTimeout = DefaultTimeout,
            AddressedPerCommand = AddressedPerCommand,
        };
}
