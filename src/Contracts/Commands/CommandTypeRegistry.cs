using System.Collections.Frozen;
using System.Text.RegularExpressions;

namespace Messaging.Contracts.Commands;

/// <summary>
/// The command types a host knows: the only list of types and providers. The gateway's routes and
/// validation, the queues and their topology, per-type options, the breakers that pause an endpoint,
/// quotas, fallbacks and monitoring all derive from it. Each type's registration adds its
/// <see cref="CommandDescriptor"/>; the registry checks them all together when it is built.
/// </summary>
/// <remarks>
/// Type names are matched case-insensitively and kept in lower case (configuration keys are
/// case-insensitive, and a URL's type should not depend on how it was typed).
/// </remarks>
public sealed partial class CommandTypeRegistry
{
    private readonly FrozenDictionary<string, CommandDescriptor> _byName;
    private readonly FrozenDictionary<Type, CommandDescriptor> _byMessageType;
    private readonly FrozenDictionary<string, CommandDescriptor> _byMessageTypeName;
    private readonly FrozenDictionary<string, Type> _eventTypes;

    /// <summary>Builds the registry from every type's descriptor.</summary>
    /// <exception cref="ArgumentException">
    /// A name that is not a valid type or provider name, two types whose names differ only in case, or two
    /// types that share a message type or a queue.
    /// </exception>
    public CommandTypeRegistry(IEnumerable<CommandDescriptor> descriptors)
    {
        ArgumentNullException.ThrowIfNull(descriptors);
        var all = descriptors.ToList();
        var problems = new List<string>();
        foreach (var descriptor in all)
        {
            if (!IsValidTypeName(descriptor.TypeName))
            {
                problems.Add($"'{descriptor.TypeName}' is not a valid command type name: lower-case segments separated by dots, such as payments.charge ({TypeNamePattern().ToString()}).");
            }

            if (!IsValidProviderName(descriptor.Provider))
            {
                problems.Add($"'{descriptor.Provider}' (the provider of {descriptor.TypeName}) is not a valid provider name ({ProviderNamePattern().ToString()}).");
            }

            if (!typeof(ICommandMessage).IsAssignableFrom(descriptor.MessageType))
            {
                problems.Add($"{descriptor.MessageType.FullName} (the message of {descriptor.TypeName}) does not implement {nameof(ICommandMessage)}.");
            }
        }

        problems.AddRange(Duplicates(all, d => d.TypeName, StringComparer.OrdinalIgnoreCase, "command type name"));
        problems.AddRange(Duplicates(all, d => d.QueueName, StringComparer.OrdinalIgnoreCase, "queue"));
        problems.AddRange(Duplicates(all.Where(d => !IsShared(d.MessageType)).ToList(), d => d.MessageType.FullName!, StringComparer.Ordinal, "message type"));
        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid command type registrations: " + string.Join(" ", problems), nameof(descriptors));
        }

        All = all;
        Providers = all.Select(d => d.Provider).Distinct(StringComparer.Ordinal).ToList();
        _byName = all.ToFrozenDictionary(d => d.TypeName, StringComparer.OrdinalIgnoreCase);
        // A shared message type names no single command type: those are found by name (the header) instead.
        var owned = all.Where(d => !IsShared(d.MessageType)).ToList();
        _byMessageType = owned.ToFrozenDictionary(d => d.MessageType);
        _byMessageTypeName = owned.ToFrozenDictionary(d => d.MessageType.FullName!, StringComparer.Ordinal);
        _eventTypes = all.SelectMany(d => d.EventTypes).Distinct().ToFrozenDictionary(t => t.FullName!, StringComparer.Ordinal);
    }

    /// <summary>Every registered type, in registration order.</summary>
    public IReadOnlyList<CommandDescriptor> All { get; }

    /// <summary>Every provider a registered type names, once each, in registration order.</summary>
    public IReadOnlyList<string> Providers { get; }

    /// <summary>Finds a type by its name, case-insensitively (as configuration keys name it).</summary>
    public bool TryGet(string? typeName, out CommandDescriptor descriptor) =>
        _byName.TryGetValue(typeName ?? "", out descriptor!);

    /// <summary>
    /// Finds a type by its exact (lower-case) name, as the HTTP API names it: <c>/api/commands/Payments.Charge</c>
    /// is not a type, so a URL has one spelling (and one cache and rate-limit key).
    /// </summary>
    public bool TryGetExact(string? typeName, out CommandDescriptor descriptor) =>
        TryGet(typeName, out descriptor) && string.Equals(descriptor.TypeName, typeName, StringComparison.Ordinal);

    /// <summary>
    /// Finds a type by its bus message type. A message type that several types share
    /// (<see cref="ISharedCommandMessage"/>) finds none: the type is in the message's header.
    /// </summary>
    public bool TryGetByMessageType(Type messageType, out CommandDescriptor descriptor) =>
        _byMessageType.TryGetValue(messageType, out descriptor!);

    /// <summary>Finds a type by the full CLR name of its message type, as outbox rows store it.</summary>
    public bool TryGetByMessageTypeName(string messageTypeName, out CommandDescriptor descriptor) =>
        _byMessageTypeName.TryGetValue(messageTypeName, out descriptor!);

    /// <summary>Finds an event type a registered type's fallback publishes, by its full CLR name (as outbox rows store it).</summary>
    public bool TryGetEventType(string eventTypeName, out Type eventType) =>
        _eventTypes.TryGetValue(eventTypeName, out eventType!);

    /// <summary>Whether command types share <paramref name="messageType"/> (it implements <see cref="ISharedCommandMessage"/>).</summary>
    public static bool IsShared(Type messageType) => typeof(ISharedCommandMessage).IsAssignableFrom(messageType);

    /// <summary>Whether <paramref name="name"/> is a valid type name: lower-case segments separated by dots, at least two.</summary>
    public static bool IsValidTypeName(string? name) => name is { Length: > 0 and <= 100 } && TypeNamePattern().IsMatch(name);

    /// <summary>Whether <paramref name="name"/> is a valid provider name (it becomes pipeline and breaker names).</summary>
    public static bool IsValidProviderName(string? name) => name is { Length: > 0 and <= 50 } && ProviderNamePattern().IsMatch(name);

    private static IEnumerable<string> Duplicates(List<CommandDescriptor> all, Func<CommandDescriptor, string> key, StringComparer comparer, string what) =>
        all.GroupBy(key, comparer).Where(g => g.Count() > 1)
            .Select(g => $"The {what} '{g.Key}' is registered more than once ({string.Join(", ", g.Select(d => d.TypeName))}).");

    [GeneratedRegex(@"^[a-z][a-z0-9]*(\.[a-z][a-z0-9-]*)+$", RegexOptions.CultureInvariant)]
    private static partial Regex TypeNamePattern();

    [GeneratedRegex("^[a-z][a-z0-9-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex ProviderNamePattern();
}
