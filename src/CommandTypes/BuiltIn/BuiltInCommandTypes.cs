using Messaging.CommandTypes.Callbacks;
using Messaging.CommandTypes.Notifications;
using Messaging.CommandTypes.Payments;
using Messaging.Contracts.Commands;
using Microsoft.Extensions.Hosting;

namespace Messaging.CommandTypes.BuiltIn;

/// <summary>The command types that ship with the gateway.</summary>
public static class BuiltInCommandTypes
{
    /// <summary>
    /// Registers <c>payments.charge</c> and <c>notifications.send</c> with their providers, and <c>callbacks.deliver</c>
    /// (completion callbacks, not accepted over HTTP). Gateway and Workers both call it.
    /// </summary>
    public static IHostApplicationBuilder AddBuiltInCommandTypes(this IHostApplicationBuilder builder) =>
        builder.AddPaymentsCommandType().AddNotificationsCommandType().AddCallbacksCommandType();

    /// <summary>
    /// The registry a host that adds only the built-in types has: for tools that read their queues or rows (load
    /// runs, tests) and must agree with the hosts. Made once.
    /// </summary>
    public static CommandTypeRegistry Registry { get; } = CommandTypeServiceCollectionExtensions.RegistryOf(builder => builder.AddBuiltInCommandTypes());
}
