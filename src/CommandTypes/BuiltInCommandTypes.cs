using Messaging.CommandTypes.Notifications;
using Messaging.CommandTypes.Payments;
using Microsoft.Extensions.Hosting;

namespace Messaging.CommandTypes;

/// <summary>The command types that ship with the gateway.</summary>
public static class BuiltInCommandTypes
{
    /// <summary>Registers <c>payments.charge</c> and <c>notifications.send</c> with their providers. Gateway and Workers both call it.</summary>
    public static IHostApplicationBuilder AddBuiltInCommandTypes(this IHostApplicationBuilder builder) =>
        builder.AddPaymentsCommandType().AddNotificationsCommandType();
}
