using Messaging.CommandTypes;
using Messaging.CommandTypes.Notifications;
using Messaging.CommandTypes.Payments;
using Messaging.Contracts.Commands;
using Messaging.Contracts.Notifications;
using Messaging.Contracts.Payments;
using Microsoft.Extensions.DependencyInjection;
using Polly;

namespace Messaging.Workers.Tests.ExternalServices;

/// <summary>
/// Calls a type's handler as the executor does: resolved from the container, with a <see cref="CommandContext"/>
/// carrying the provider's HttpClient (its endpoints, pipelines and credentials) and the given resilience context.
/// </summary>
internal class HandlerCall<TCommand>(IServiceProvider services, IHttpClientFactory httpClients, string provider, string commandType = "test")
    where TCommand : class, ICommandMessage
{
    public async Task<CommandResult> CallAsync(TCommand command, ResilienceContext context)
    {
        await using var scope = services.CreateAsyncScope();
        var handler = scope.ServiceProvider.GetRequiredService<ICommandHandler<TCommand>>();
        var deadline = context.Properties.TryGetValue(Resilience.Deadlines.Deadline.PropertyKey, out var due) ? due.At : (DateTimeOffset?)null;
        return await handler.HandleAsync(command, new CommandContext(command.CommandId, command.Tenant, commandType, 1, deadline, provider,
            httpClients.CreateClient(provider), context));
    }
}

/// <summary><c>payments.charge</c>'s handler, called as the executor calls it.</summary>
internal sealed class ChargeHandlerCall(IServiceProvider services, IHttpClientFactory httpClients)
    : HandlerCall<ChargePayment>(services, httpClients, PaymentsCommandType.ProviderName)
{
    public Task<CommandResult> ChargeAsync(ChargePayment command, ResilienceContext context) => CallAsync(command, context);
}

/// <summary><c>notifications.send</c>'s handler, called as the executor calls it.</summary>
internal sealed class SendNotificationHandlerCall(IServiceProvider services, IHttpClientFactory httpClients)
    : HandlerCall<SendNotification>(services, httpClients, NotificationsCommandType.ProviderName)
{
    public Task<CommandResult> SendAsync(SendNotification command, ResilienceContext context) => CallAsync(command, context);
}
